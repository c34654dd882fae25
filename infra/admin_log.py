"""The admin log: every action taken on the admin's desk (who, what, when), append-only. Storage only; what
is recorded is decided in ``application/admin.py``, which never passes a password or a token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class AdminEntry:
    at: datetime
    actor_id: str
    actor_name: str
    action: str
    subject: str
    detail: str


async def record(pool: asyncpg.Pool | asyncpg.Connection, *, actor_id: str, actor_name: str, action: str,
                 subject: str, detail: str = "") -> None:
    await pool.execute(
        "INSERT INTO admin_log (actor_id, actor_name, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
        actor_id, actor_name, action, subject, detail)


async def latest(pool: asyncpg.Pool, limit: int = 50) -> list[AdminEntry]:
    rows = await pool.fetch(
        "SELECT at, actor_id, actor_name, action, subject, detail FROM admin_log ORDER BY id DESC LIMIT $1", limit)
    return [AdminEntry(**dict(r)) for r in rows]
