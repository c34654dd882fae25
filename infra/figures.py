"""The district's figures counted in SQL over the projected facts (024_figures.sql).

The definitions are domain/figures.py's; ``domain.figures.count`` is the same counting in Python, and a test
holds the two equal on a fixed set of cases. Counting here, in one pass per table, keeps a month's scores over
100,000 cases a matter of index scans rather than of shipping every row to Python; a period wholly past is
summed from the counts by department and day that triggers keep beside the facts (036_figure_days.sql), a few
thousand rows a month instead of every task."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.case import CaseState
from domain.figures import Counts, Period

# $1, $2: the period [start, end); $3: now (a deadline not yet passed is not judged).
# ``judged`` is a subquery behind OFFSET 0 so each task's judgements are worked out once: inlined (a CTE is),
# every FILTER below evaluated its judgement's comparisons again (most of this query's time).
_TASK_COUNTS = """
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
  FROM (
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
    OFFSET 0
  ) AS judged
 GROUP BY department, assignee
HAVING count(*) FILTER (WHERE assigned OR ack_due OR reply_due OR listed) > 0  -- nothing judged yet: no row"""

_FOLLOW_UP_COUNTS = """
SELECT department, count(*) AS follow_ups,
       count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basically_satisfied')) AS satisfied
  FROM follow_up_facts
 WHERE at >= $1 AND at < $2
 GROUP BY department"""

# Tasks and follow-ups in one statement: one snapshot without a transaction around two (BEGIN and COMMIT were
# two of a score's four round trips).
_DEPARTMENT_COUNTS = f"""
WITH tasks AS ({_TASK_COUNTS.format(person="NULL::text", only_named="")}
), follow_ups AS ({_FOLLOW_UP_COUNTS}
)
SELECT * FROM tasks FULL JOIN follow_ups USING (department)"""

# Per person (责任人): the tasks someone is named on, by department and person; follow-ups rate departments only.
_PERSON_TASK_COUNTS = _TASK_COUNTS.format(person="assignee", only_named="AND assignee IS NOT NULL")

# A period wholly past, from the sums by day (036_figure_days.sql): $1, $2 the period [start, end), $3, $4 its
# first and last day. Each figure is its days' sum; ``tasks`` adds to the tasks starting in the period those that
# started before it and have a judged date in it (``crossing``: a task's days span the eve and the first day).
_PAST_DEPARTMENT_COUNTS = """
WITH days AS (
    SELECT department, sum(starting) AS starting, sum(ack_due) AS ack_due, sum(ack_on_time) AS ack_on_time,
           sum(reply_due) AS reply_due, sum(reply_on_time) AS reply_on_time, sum(assigned) AS assigned,
           sum(returned) AS returned, sum(reopen_base) AS reopen_base, sum(reopened) AS reopened,
           sum(listed) AS listed, sum(rated) AS rated, sum(rating_points) AS rating_points
      FROM task_days
     WHERE day >= $3 AND day <= $4
     GROUP BY department
    HAVING sum(assigned) + sum(ack_due) + sum(reply_due) + sum(listed) > 0  -- nothing judged: no row
), crossing AS (
    SELECT department, count(*) AS tasks
      FROM (SELECT department, returned, assigned_at, acknowledge_due_at, reply_due_at
              FROM task_facts
             WHERE NOT cancelled
               AND task_span(returned, assigned_at, acknowledge_due_at, reply_due_at) @> daterange($3 - 1, $3, '[]')
            OFFSET 0) AS spanning  -- the GiST alone: ANDed with the date indexes' bitmaps it was slower
     WHERE (assigned_at >= $1 AND assigned_at < $2)
        OR NOT returned AND ((acknowledge_due_at >= $1 AND acknowledge_due_at < $2)
                             OR (reply_due_at >= $1 AND reply_due_at < $2))
     GROUP BY department
), follow_ups AS (
    SELECT department, sum(follow_ups) AS follow_ups, sum(satisfied) AS satisfied
      FROM follow_up_days
     WHERE day >= $3 AND day <= $4
     GROUP BY department
    HAVING sum(follow_ups) > 0
)
SELECT department, days.starting + coalesce(crossing.tasks, 0) AS tasks, ack_due, ack_on_time, reply_due,
       reply_on_time, assigned, returned, reopen_base, reopened, listed, rated, rating_points, follow_ups, satisfied
  FROM days LEFT JOIN crossing USING (department) FULL JOIN follow_ups USING (department)"""


async def archived_states(pool: asyncpg.Pool, period: Period) -> list[CaseState]:
    """The cases archived in ``period``, as folded, oldest archive first."""
    # An archived case's summary is last updated by its archive or later (a late delivery): a superset by index.
    rows = await pool.fetch(
        """SELECT s.state::text AS state FROM case_summaries c JOIN case_states s USING (case_id)
            WHERE c.stage = 'archived' AND c.updated_at >= $1""", period.start)
    states = [CaseState.model_validate_json(r["state"]) for r in rows]
    return sorted((s for s in states if period.holds(s.archived_at)), key=lambda s: (s.archived_at, s.case_id))


async def person_counts(pool: asyncpg.Pool, period: Period, now: datetime) -> list[Counts]:
    """Every 责任人's counts for ``period`` as seen at ``now``, by department and user id."""
    rows = await pool.fetch(_PERSON_TASK_COUNTS, period.start, period.end, now)
    return sorted((Counts(**dict(r)) for r in rows), key=lambda c: (c.department, c.assignee or ""))


async def department_counts(pool: asyncpg.Pool, period: Period, now: datetime) -> list[Counts]:
    """Every department's counts for ``period`` as seen at ``now``, by department id."""
    if period.end <= now:  # every deadline in the period has passed: the day sums give the same counts
        rows = await pool.fetch(_PAST_DEPARTMENT_COUNTS, period.start, period.end, period.first, period.last)
    else:
        rows = await pool.fetch(_DEPARTMENT_COUNTS, period.start, period.end, now)
    return _department_rows(rows)


async def department_counts_from_rows(pool: asyncpg.Pool, period: Period, now: datetime) -> list[Counts]:
    """:func:`department_counts` counted from the facts' rows whatever the period (for the tests of the sums)."""
    return _department_rows(await pool.fetch(_DEPARTMENT_COUNTS, period.start, period.end, now))


def _department_rows(rows: list[asyncpg.Record]) -> list[Counts]:
    # A department with follow-ups and no task judged (or the reverse) has the other side's columns NULL: 0.
    return sorted((Counts(**{k: v for k, v in r.items() if v is not None and k != "assignee"}) for r in rows),
                  key=lambda c: c.department)
