"""The append-only ``access_log`` table: who saw which case's personal data, when, and what they opened."""

from __future__ import annotations

from typing import Any

import asyncpg


async def append_access(pool: asyncpg.Pool, actor: dict[str, Any], case_id: str | None, what: str) -> None:
    await pool.execute("INSERT INTO access_log (actor, case_id, what) VALUES ($1, $2, $3)", actor, case_id, what)


async def access_rows(pool: asyncpg.Pool, case_id: str | None, before: int | None, limit: int) -> list[asyncpg.Record]:
    """Newest first, ``before`` an id (exclusive) when given."""
    return list(await pool.fetch(
        """SELECT id, at, actor, case_id, what FROM access_log
           WHERE ($1::text IS NULL OR case_id = $1) AND ($2::bigint IS NULL OR id < $2)
           ORDER BY id DESC LIMIT $3""", case_id, before, limit))
