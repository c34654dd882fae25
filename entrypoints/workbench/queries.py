"""Read-model queries the board needs beyond the application's (board, its extras, statistics): the
verification queue and the cases the timers have listed. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class ToVerify:
    case_id: str
    title: str
    outcome: str | None
    since: datetime | None


async def verification_queue(pool: asyncpg.Pool, limit: int = 50) -> list[ToVerify]:
    rows = await pool.fetch(
        """SELECT s.case_id, s.title, s.outcome, s.updated_at FROM case_summaries s
             JOIN case_states c USING (case_id)
            WHERE s.stage = 'supervision' AND (c.state->>'verified')::boolean IS NOT TRUE
            ORDER BY s.updated_at LIMIT $1""", limit)
    return [ToVerify(r["case_id"], r["title"], r["outcome"], r["updated_at"]) for r in rows]


async def listed_cases(pool: asyncpg.Pool, limit: int = 50) -> list[asyncpg.Record]:
    """Cases under listed supervision (挂牌督办): by the timer's level 3 on any open task."""
    return list(await pool.fetch(
        """SELECT case_id, title, risk_level, escalation_level, updated_at FROM case_summaries
            WHERE escalation_level >= 3 AND stage <> 'archived' ORDER BY updated_at LIMIT $1""", limit))
