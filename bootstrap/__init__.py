"""The one composition root: every process (``liandiao up``, ``liandiao worker``, the CLI, the tests, the
benchmarks) assembles the application layer here, so a new service is wired in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
from temporalio.client import Client

from application.case_client import CaseClient
from application.cases import Application
from domain.organisation import Organisation
from domain.policy import Policy
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
