"""The announced holiday schedules an admin loaded (migration 028): the one in force per year, and every load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.calendar import BusinessCalendar
from domain.holiday_schedule import AnnouncedYear
from infra.locks import AdvisoryLock


@dataclass(frozen=True)
class StoredYear:
    """A year's schedule in force: its hash, who loaded it and when; ``replaced_hash`` is the schedule this load
    replaced (None for a year's first), and ``changed`` is False when the same schedule was already in force."""

    year: int
    content_hash: str
    loaded_by: str
    loaded_at: datetime
    replaced_hash: str | None = None
    changed: bool = True
    holidays: int = 0
    workdays: int = 0


async def store(pool: asyncpg.Pool, schedule: AnnouncedYear, loaded_by: str) -> StoredYear:
    """Put ``schedule`` in force for its year. The same schedule again changes nothing (and is not logged)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", int(AdvisoryLock.ANNOUNCED_YEARS))
        before = await conn.fetchrow(
            "SELECT content_hash, loaded_by, loaded_at FROM announced_years WHERE year = $1", schedule.year)
        holidays, workdays = len(schedule.holidays), len(schedule.workdays)
        if before is not None and before["content_hash"] == schedule.content_hash:
            return StoredYear(schedule.year, before["content_hash"], before["loaded_by"], before["loaded_at"],
                              changed=False, holidays=holidays, workdays=workdays)
        loaded_at = await conn.fetchval(
            """INSERT INTO announced_years (year, body, content_hash, loaded_by) VALUES ($1, $2, $3, $4)
               ON CONFLICT (year) DO UPDATE SET body = EXCLUDED.body, content_hash = EXCLUDED.content_hash,
                   loaded_by = EXCLUDED.loaded_by, loaded_at = now()
               RETURNING loaded_at""",
            schedule.year, schedule.canonical_json, schedule.content_hash, loaded_by)
        replaced = None if before is None else before["content_hash"]
        await conn.execute(
            """INSERT INTO announced_year_loads (year, body, content_hash, replaced_hash, loaded_by, loaded_at)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            schedule.year, schedule.canonical_json, schedule.content_hash, replaced, loaded_by, loaded_at)
        return StoredYear(schedule.year, schedule.content_hash, loaded_by, loaded_at, replaced_hash=replaced,
                          holidays=holidays, workdays=workdays)


async def loaded_years(pool: asyncpg.Pool) -> dict[int, AnnouncedYear]:
    """Every loaded year's schedule in force, by year (a handful of rows: one per year)."""
    rows = await pool.fetch("SELECT body FROM announced_years ORDER BY year")
    schedules = (AnnouncedYear.model_validate_json(row["body"]) for row in rows)
    return {s.year: s for s in schedules}


async def stored_years(pool: asyncpg.Pool) -> list[StoredYear]:
    """What is in force per loaded year, oldest year first, with the load's who and when."""
    rows = await pool.fetch("SELECT year, body, content_hash, loaded_by, loaded_at FROM announced_years ORDER BY year")
    found = []
    for row in rows:
        schedule = AnnouncedYear.model_validate_json(row["body"])
        found.append(StoredYear(row["year"], row["content_hash"], row["loaded_by"], row["loaded_at"],
                                holidays=len(schedule.holidays), workdays=len(schedule.workdays)))
    return found


async def last_loaded(pool: asyncpg.Pool) -> tuple[int, object] | None:
    """How many years are loaded and the latest load's time: changes whenever a year is loaded or replaced."""
    row = await pool.fetchrow("SELECT count(*) AS n, max(loaded_at) AS at FROM announced_years")
    return None if row is None or not row["n"] else (row["n"], row["at"])


async def open_case_calendars(pool: asyncpg.Pool) -> list[tuple[str, BusinessCalendar]]:
    """Each open case's pinned calendar (cn calendars only: a continuous one has no days off to announce)."""
    rows = await pool.fetch(
        """SELECT s.case_id, s.state->'policy'->'calendar' AS calendar
             FROM case_states s JOIN case_summaries c USING (case_id)
            WHERE c.stage <> 'archived' AND s.state->'policy'->'calendar'->>'kind' = 'cn'""")
    return [(r["case_id"], BusinessCalendar.model_validate(r["calendar"])) for r in rows]
