"""研判 counted in SQL: the cases received per grid and category (from ``case_summaries``) and the repeat
visitors (from ``visitor_marks``). What each figure means is domain/analysis.py's; this only counts."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from domain.analysis import Tally
from domain.figures import Period

_TALLIES = """
SELECT grid_id, category, count(*) AS count
  FROM case_summaries
 WHERE received_at >= $1 AND received_at < $2 AND archive_reason IS DISTINCT FROM 'duplicate'
 GROUP BY grid_id, category
 ORDER BY grid_id, category"""

# A visitor of a case received in [$1, $2) whose mark matches a mark of another case received within $3
# before it (domain/analysis.py's rule); each counted once, by ID number hash, else by phone hash.
_REPEAT_VISITORS = """
SELECT count(DISTINCT coalesce(n.id_digest, n.phone_digest))
  FROM visitor_marks n
 WHERE n.received_at >= $1 AND n.received_at < $2
   AND EXISTS (
       SELECT 1 FROM visitor_marks e
        WHERE e.case_id <> n.case_id
          AND (e.received_at, e.case_id) < (n.received_at, n.case_id)
          AND e.received_at >= n.received_at - $3::interval
          AND ((n.id_digest IS NOT NULL AND e.id_digest = n.id_digest)
               OR ((n.id_digest IS NULL OR e.id_digest IS NULL) AND e.phone_digest = n.phone_digest)))"""


async def tallies(pool: asyncpg.Pool, period: Period) -> list[Tally]:
    """The counted cases (domain/analysis.py, "count") of each grid and category received in ``period``."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(_TALLIES, period.start, period.end)
    return [Tally(grid_id=r["grid_id"], category=r["category"], count=r["count"]) for r in rows]


async def repeat_visitors(pool: asyncpg.Pool, period: Period, window: timedelta) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(_REPEAT_VISITORS, period.start, period.end, window))
