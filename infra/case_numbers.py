"""The case's people's-mediation number, allocated once per case, gap-free per committee and year (migration 027)."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg


async def case_number(pool: asyncpg.Pool, case_id: str) -> str | None:
    number: str | None = await pool.fetchval("SELECT number FROM case_numbers WHERE case_id = $1", case_id)
    return number


async def allocate_case_number(pool: asyncpg.Pool, case_id: str, committee: str, year: int,
                               formatted: Callable[[int], str]) -> str:
    """The case's number: the one it has, or the committee's next for ``year`` (``formatted(seq)`` writes it).

    The counter's row lock queues concurrent issues; the counter and the case's row commit together, so a
    number is never skipped. Two requests for one case race on its primary key: the loser reads the winner's."""
    for _ in range(3):
        existing = await case_number(pool, case_id)
        if existing is not None:
            return existing
        try:
            async with pool.acquire() as conn, conn.transaction():
                seq: int = await conn.fetchval(
                    """INSERT INTO case_number_counters (committee, year, last_seq) VALUES ($1, $2, 1)
                       ON CONFLICT (committee, year) DO UPDATE SET last_seq = case_number_counters.last_seq + 1
                       RETURNING last_seq""", committee, year)
                number = formatted(seq)
                await conn.execute(
                    "INSERT INTO case_numbers (case_id, committee, year, seq, number) VALUES ($1, $2, $3, $4, $5)",
                    case_id, committee, year, seq, number)
                return number
        except asyncpg.UniqueViolationError:
            continue  # the same case numbered at the same moment by another request: read its number
    raise RuntimeError(f"could not number case {case_id}")  # pragma: no cover - three lost races in a row
