"""The year's calendar: load a holiday schedule as the State Council announced it, and pin the calendar a new
case is received under (the package's data, overridden by the built-in and the loaded announced years)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from application.case_client import CaseNotFound
from application.errors import ApplicationError
from domain.calendar import holds_year, with_year
from domain.commands import UpdateCalendar
from domain.decide import ActionRefused
from domain.events import SYSTEM_ACTOR
from domain.holiday_schedule import AnnouncedYear, check_announced_year
from domain.policy import PinnedPolicy, Policy, pin_policy
from infra import holiday_schedules
from infra.holiday_schedules import StoredYear
from infra.logging import get_logger

if TYPE_CHECKING:
    from application.cases import Application

log = get_logger(__name__)


class ScheduleProblems(ApplicationError):
    """A schedule file that cannot be loaded: ``problems`` has one line each, led by its place."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}:\n"
                         + "\n".join(problems))
        self.problems = problems


def check_file(path: Path) -> tuple[AnnouncedYear | None, list[str]]:
    """The schedule in ``path`` and no problems, or ``None`` and every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return None, [f"$: cannot read {path}: {reason}"]
    return check_announced_year(text)


async def load_schedule(pool: asyncpg.Pool, text: str, loaded_by: str, source: str = "schedule") -> StoredYear:
    """Check a schedule (the file's text) and put it in force for its year: every case received from now on
    pins it. ``loaded_by`` names who loaded it (``cli:alice``, a workbench user's login)."""
    schedule, problems = check_announced_year(text)
    if schedule is None:
        raise ScheduleProblems(source, problems)
    return await put_in_force(pool, schedule, loaded_by)


async def put_in_force(pool: asyncpg.Pool, schedule: AnnouncedYear, loaded_by: str) -> StoredYear:
    """Put a checked schedule in force for its year (see :func:`load_schedule`)."""
    return await holiday_schedules.store(pool, schedule, loaded_by)


async def loaded_years(pool: asyncpg.Pool) -> list[StoredYear]:
    return await holiday_schedules.stored_years(pool)


async def pin_for_new_case(pool: asyncpg.Pool, policy: Policy, received_at: datetime) -> PinnedPolicy:
    """The policy pinned with the calendar in force now: read at each intake, so a year loaded while the
    stack runs is in the next case's calendar without a restart."""
    announced = await holiday_schedules.loaded_years(pool) if policy.calendar == "cn" else {}
    return pin_policy(policy, received_at, announced)


async def bring_open_cases_up_to_date(app: Application, only: Collection[str] | None = None) -> int:
    """Every open case whose calendar lacks a loaded year as announced takes it through its own workflow
    (``UpdateCalendar``: the deadlines counted in working time that have not passed move, domain/calendar_update.py).
    The number of cases updated. Safe to repeat: a case that already holds the year refuses, and the request id
    names the year's schedule, so a retried update is applied once. ``only``: just these cases."""
    announced = await holiday_schedules.loaded_years(app.pool)
    if not announced:
        return 0
    updated = 0
    for case_id, calendar in await holiday_schedules.open_case_calendars(app.pool):
        if only is not None and case_id not in only:
            continue
        for schedule in announced.values():
            if holds_year(calendar, schedule):
                continue
            try:
                await app.cases.act(case_id, UpdateCalendar(schedule=schedule), SYSTEM_ACTOR,
                                    request_id=f"calendar-{schedule.year}-{schedule.content_hash[:16]}-{case_id}")
            except (ActionRefused, CaseNotFound) as exc:  # archived meanwhile, or taken already: nothing to do
                log.info("calendar update not needed", case_id=case_id, year=schedule.year, reason=str(exc))
                continue
            calendar = with_year(calendar, schedule)
            updated += 1
    if updated:
        log.info("open cases took the announced calendar", cases=updated)
    return updated


async def follow_announced_years(app: Application, stop: asyncio.Event, interval: float = 60.0) -> None:
    """At start and whenever a year is loaded (by `liandiao calendar load` or the admin desk, from any host),
    bring the open cases up to date; checks every ``interval`` seconds. A failure is logged and retried."""
    seen: object = None
    while not stop.is_set():
        try:
            mark = await holiday_schedules.last_loaded(app.pool)
            if mark != seen:
                await bring_open_cases_up_to_date(app)
                seen = mark
        except Exception as exc:  # outlives a database or Temporal outage: the watchdog heals those
            log.warning("announced calendar not yet applied to open cases; will retry", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
