"""The district's figures counted in SQL over the projected facts (024_figures.sql).

The definitions are domain/figures.py's; ``domain.figures.count`` is the same counting in Python, and a test
holds the two equal on a fixed set of cases. Counting here, in one pass per table, keeps a month's scores over
100,000 cases a matter of index scans rather than of shipping every row to Python."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.case import CaseState
from domain.figures import Counts, Period

# $1, $2: the period [start, end); $3: now (a deadline not yet passed is not judged).
_TASK_COUNTS = """
WITH judged AS (
    SELECT department, {person} AS assignee,
           assigned_at >= $1 AND assigned_at < $2 AS assigned,
           returned,
           NOT returned AND acknowledge_due_at >= $1 AND acknowledge_due_at < $2
               AND (acknowledged_at IS NOT NULL OR acknowledge_due_at < $3) AS ack_due,
           acknowledged_at <= acknowledge_due_at AS ack_on_time,
           NOT returned AND reply_due_at >= $1 AND reply_due_at < $2
               AND (replied_at IS NOT NULL OR reply_due_at < $3) AS reply_due,
           replied_at <= reply_due_at AS reply_on_time,
           role = 'lead' AS lead,
           case_reopened,
           grade_points,
           listed_at >= $1 AND listed_at < $2 AS listed
      FROM task_facts
     WHERE NOT cancelled {only_named}
       AND ((assigned_at >= $1 AND assigned_at < $2)
            OR (acknowledge_due_at >= $1 AND acknowledge_due_at < $2)
            OR (reply_due_at >= $1 AND reply_due_at < $2)
            OR (listed_at >= $1 AND listed_at < $2))
)
SELECT department, assignee,
       count(*) FILTER (WHERE assigned OR ack_due OR reply_due)       AS tasks,
       count(*) FILTER (WHERE ack_due)                                AS ack_due,
       count(*) FILTER (WHERE ack_due AND ack_on_time)                AS ack_on_time,
       count(*) FILTER (WHERE reply_due)                              AS reply_due,
       count(*) FILTER (WHERE reply_due AND reply_on_time)            AS reply_on_time,
       count(*) FILTER (WHERE assigned)                               AS assigned,
       count(*) FILTER (WHERE assigned AND returned)                  AS returned,
       count(*) FILTER (WHERE reply_due AND lead)                     AS reopen_base,
       count(*) FILTER (WHERE reply_due AND lead AND case_reopened)   AS reopened,
       count(*) FILTER (WHERE listed)                                 AS listed,
       count(*) FILTER (WHERE reply_due AND grade_points IS NOT NULL) AS rated,
       coalesce(sum(grade_points) FILTER (WHERE reply_due), 0)        AS rating_points
  FROM judged
 GROUP BY department, assignee
HAVING count(*) FILTER (WHERE assigned OR ack_due OR reply_due OR listed) > 0  -- nothing judged yet: no row"""

_FOLLOW_UP_COUNTS = """
SELECT department, count(*) AS follow_ups,
       count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basically_satisfied')) AS satisfied
  FROM follow_up_facts
 WHERE at >= $1 AND at < $2
 GROUP BY department"""


async def archived_states(pool: asyncpg.Pool, period: Period) -> list[CaseState]:
    """The cases archived in ``period``, as folded, oldest archive first."""
    # An archived case's summary is last updated by its archive or later (a late delivery): a superset by index.
    rows = await pool.fetch(
        """SELECT s.state::text AS state FROM case_summaries c JOIN case_states s USING (case_id)
            WHERE c.stage = 'archived' AND c.updated_at >= $1""", period.start)
    states = [CaseState.model_validate_json(r["state"]) for r in rows]
    return sorted((s for s in states if period.holds(s.archived_at)), key=lambda s: (s.archived_at, s.case_id))


_DEPARTMENT_TASK_COUNTS = _TASK_COUNTS.format(person="NULL::text", only_named="")
# Per person (责任人): the tasks someone is named on, by department and person; follow-ups rate departments only.
_PERSON_TASK_COUNTS = _TASK_COUNTS.format(person="assignee", only_named="AND assignee IS NOT NULL")


async def person_counts(pool: asyncpg.Pool, period: Period, now: datetime) -> list[Counts]:
    """Every 责任人's counts for ``period`` as seen at ``now``, by department and user id."""
    rows = await pool.fetch(_PERSON_TASK_COUNTS, period.start, period.end, now)
    return sorted((Counts(**dict(r)) for r in rows), key=lambda c: (c.department, c.assignee or ""))


async def department_counts(pool: asyncpg.Pool, period: Period, now: datetime) -> list[Counts]:
    """Every department's counts for ``period`` as seen at ``now``, by department id."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        tasks = await conn.fetch(_DEPARTMENT_TASK_COUNTS, period.start, period.end, now)
        follow_ups = await conn.fetch(_FOLLOW_UP_COUNTS, period.start, period.end)
    by: dict[str, dict[str, int]] = {r["department"]: {k: v for k, v in r.items() if k not in ("department",
                                                                                                "assignee")}
                                     for r in tasks}
    for r in follow_ups:
        by.setdefault(r["department"], {}).update(follow_ups=r["follow_ups"], satisfied=r["satisfied"])
    return [Counts(department=d, **row) for d, row in sorted(by.items())]
