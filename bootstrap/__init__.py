"""The one composition root: every process (``liandiao up``, ``liandiao worker``, the CLI, the tests, the
benchmarks) assembles the application layer here, so a new service is wired in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from temporalio.client import Client

from activities.monthly_report import MakeRequest, MonthlyMade, MonthlyReportActivities
from application.case_client import CaseClient
from application.cases import Application
from domain.organisation import Organisation
from domain.policy import Policy, Scoring, wall_clock_seconds
from infra.event_store import EventStore
from infra.projections import Projector


def build_application(pool: asyncpg.Pool, temporal: Client, task_queue: str, *, org: Organisation,
                      policy: Policy, projector: Projector | None = None,
                      clock: Callable[[], datetime] | None = None,
                      visitor_key: bytes | None = None) -> Application:
    """The application over one pool and one Temporal client. ``projector`` is the running one when the
    caller also runs it (``up``), so reads wait on the projector that is actually catching up."""
    store = projector.store if projector is not None else EventStore(pool)
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    if visitor_key is not None:
        extra["visitor_key"] = visitor_key
    return Application(pool=pool, temporal=temporal, cases=CaseClient(temporal, task_queue), store=store,
                       projector=projector or Projector(pool, store), org=org, policy=policy, **extra)


def monthly_report_activities(pool: asyncpg.Pool, org: Organisation, policy: Policy, public_url: str,
                              give_up_after_s: int) -> MonthlyReportActivities:
    """The schedule's activities over the monthly report's use case (application/monthly.py), under the
    organisation the activities hold (the admin's desk hands them a new one)."""
    from temporalio.exceptions import ApplicationError

    from application.errors import InvalidInput
    from application.monthly import make_and_keep, parse_month, previous_month

    async def make(request: MakeRequest) -> MonthlyMade:
        try:
            period = (parse_month(request.period, request.at.date()) if request.period
                      else previous_month(request.at))
        except InvalidInput as exc:  # a month asked for by hand that is no month: retrying will not help
            raise ApplicationError(str(exc), type="InvalidInput", non_retryable=True) from None
        made = await make_and_keep(pool, activities.org, policy.scoring or Scoring(), request.at, period,
                                   public_url, give_up_after_s,
                                   timedelta(seconds=wall_clock_seconds(policy.analysis_rules.repeat_window)))
        return MonthlyMade(period=made.period, stored=list(made.stored), sha256=made.sha256,
                           notification_id=made.notification_id, announced=made.announced)

    activities = MonthlyReportActivities(pool, org, make)
    return activities
