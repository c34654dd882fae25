"""The standing meetings' event streams (migration 029): append with the next sequence number, read back in
order. A repeated request id (Idempotency-Key) appends nothing the second time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from domain.events import Actor, MeetingEvent

_EVENT: TypeAdapter[MeetingEvent] = TypeAdapter(MeetingEvent)


class StaleMeeting(Exception):
    """Another write reached the meeting first; read it again and decide again."""


async def meeting_events(pool: asyncpg.Pool, meeting_id: str) -> list[MeetingEvent]:
    rows = await pool.fetch("SELECT payload FROM meeting_events WHERE meeting_id = $1 ORDER BY seq", meeting_id)
    return [_EVENT.validate_python(r["payload"]) for r in rows]


async def seen_request(pool: asyncpg.Pool, request_id: str) -> str | None:
    """The meeting a request already wrote to, if it did."""
    row = await pool.fetchrow("SELECT meeting_id FROM meeting_events WHERE request_id = $1", request_id)
    return None if row is None else str(row["meeting_id"])


async def append_meeting_events(pool: asyncpg.Pool, meeting_id: str, expected: int, events: list[MeetingEvent],
                                actor: Actor, at: datetime, meeting_at: datetime,
                                request_id: str | None = None) -> None:
    async with pool.acquire() as conn, conn.transaction():
        try:
            for n, event in enumerate(events, start=expected + 1):
                await conn.execute(
                    "INSERT INTO meeting_events (meeting_id, seq, type, payload, actor, recorded_at, at, request_id)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    meeting_id, n, event.type, event.model_dump(mode="json"), actor.model_dump(mode="json"), at,
                    meeting_at,
                    request_id if n == expected + 1 else None)
        except asyncpg.UniqueViolationError as exc:
            raise StaleMeeting(meeting_id) from exc


async def meetings_between(pool: asyncpg.Pool, start: datetime | None, end: datetime | None) -> list[str]:
    rows = await pool.fetch(
        "SELECT meeting_id FROM meeting_events WHERE seq = 1 AND ($1::timestamptz IS NULL OR at >= $1)"
        " AND ($2::timestamptz IS NULL OR at < $2) ORDER BY at, meeting_id", start, end)
    return [str(r["meeting_id"]) for r in rows]


async def last_round_table(pool: asyncpg.Pool) -> datetime | None:
    row: Any = await pool.fetchval(
        "SELECT max(at) FROM meeting_events WHERE seq = 1 AND payload->>'kind' = 'round_table'")
    return row  # type: ignore[no-any-return]
