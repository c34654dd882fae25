"""The year's calendar: load a holiday schedule as the State Council announced it, and pin the calendar a new
case is received under (the package's data, overridden by the built-in and the loaded announced years)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import asyncpg

from application.errors import ApplicationError
from domain.holiday_schedule import AnnouncedYear, check_announced_year
from domain.policy import PinnedPolicy, Policy, pin_policy
from infra import holiday_schedules
from infra.holiday_schedules import StoredYear


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
