"""The sweeps' event streams (migration 034): append with the next sequence number and the hash chain of
domain/chain.py, read back in order, verify. A repeated request id (Idempotency-Key) appends nothing the
second time; two writers racing for one sequence number get ``StaleSweep``."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from pydantic import TypeAdapter

from domain.case import NotificationRecord
from domain.chain import GENESIS_HASH, chain_hash, chain_hash_matches, envelope_for_hash
from domain.events import Actor, SweepEvent
from infra.projections import departments_of

_EVENT: TypeAdapter[SweepEvent] = TypeAdapter(SweepEvent)


class StaleSweep(Exception):
    """Another write reached the sweep first; read it again and decide again."""


async def sweep_events(pool: asyncpg.Pool, sweep_id: str) -> list[SweepEvent]:
    rows = await pool.fetch("SELECT payload FROM sweep_events WHERE sweep_id = $1 ORDER BY seq", sweep_id)
    return [_EVENT.validate_python(r["payload"]) for r in rows]


async def sweep_events_at(pool: asyncpg.Pool, sweep_id: str) -> list[tuple[SweepEvent, datetime]]:
    """The sweep's events in order, each with the time it was stored."""
    rows = await pool.fetch("SELECT payload, occurred_at FROM sweep_events WHERE sweep_id = $1 ORDER BY seq",
                            sweep_id)
    return [(_EVENT.validate_python(r["payload"]), r["occurred_at"]) for r in rows]


async def record_sweep_notifications(pool: asyncpg.Pool, records: list[NotificationRecord]) -> None:
    """The sweep's notices in the notifications read model (014_notifications.sql), as notices of no case
    (``case_id`` empty, as the monthly report's announcement): the bell of each centre told finds them. Written
    whole from the sweep's stream each time, so writing again after a crash or a retry changes nothing; the
    projector's rebuild keeps rows of no case."""
    if not records:
        return
    await pool.executemany(
        """INSERT INTO notifications (notification_id, case_id, kind, level, departments, recipients, record,
                                      created_at)
           VALUES ($1, '', $2, $3, $4, $5, $6::text::jsonb, $7)
           ON CONFLICT (notification_id) DO UPDATE SET record = EXCLUDED.record
           WHERE notifications.record IS DISTINCT FROM EXCLUDED.record""",
        [(r.notification_id, r.kind, r.level,
          departments_of(r),
          list(r.recipients), r.model_dump_json(), r.created_at) for r in records])


async def seen_request(pool: asyncpg.Pool, request_id: str) -> str | None:
    """The sweep a request already wrote to, if it did."""
    row = await pool.fetchrow("SELECT sweep_id FROM sweep_events WHERE request_id = $1", request_id)
    return None if row is None else str(row["sweep_id"])


def _envelope(sweep_id: str, seq: int, event_id: str, event: SweepEvent, at: datetime,
              actor: dict[str, object], data: dict[str, object]) -> dict[str, object]:
    # The case's envelope, with the sweep id where a case's id goes: one chain rule for every stream.
    return envelope_for_hash(case_id=sweep_id, seq=seq, event_id=event_id, type=event.type,
                             schema_version=event.schema_version, occurred_at=at, actor=actor, data=data)


async def append_sweep_events(pool: asyncpg.Pool, sweep_id: str, jurisdiction: str, expected: int,
                              events: list[SweepEvent], actor: Actor, at: datetime,
                              request_id: str | None = None) -> None:
    async with pool.acquire() as conn, conn.transaction():
        prev = GENESIS_HASH
        if expected:
            head = await conn.fetchrow("SELECT seq, hash FROM sweep_events WHERE sweep_id = $1 ORDER BY seq DESC "
                                       "LIMIT 1", sweep_id)
            if head is None or head["seq"] != expected:
                raise StaleSweep(sweep_id)
            prev = str(head["hash"])
        who = actor.model_dump(mode="json")
        try:
            for n, event in enumerate(events, start=expected + 1):
                event_id = str(uuid.uuid4())
                data = event.model_dump(mode="json")
                own = chain_hash(prev, _envelope(sweep_id, n, event_id, event, at, who, data))
                await conn.execute(
                    "INSERT INTO sweep_events (sweep_id, seq, event_id, type, payload, actor, occurred_at,"
                    " jurisdiction, request_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    sweep_id, n, uuid.UUID(event_id), event.type, data, who, at, jurisdiction,
                    request_id if n == expected + 1 else None, prev, own)
                prev = own
        except asyncpg.UniqueViolationError as exc:
            raise StaleSweep(sweep_id) from exc


async def sweeps_started(pool: asyncpg.Pool, jurisdictions: list[str] | None = None, limit: int = 100) -> list[str]:
    """The sweeps, latest first; only those over ``jurisdictions`` when given."""
    rows = await pool.fetch(
        "SELECT sweep_id FROM sweep_events WHERE seq = 1 AND ($1::text[] IS NULL OR jurisdiction = ANY($1))"
        " ORDER BY occurred_at DESC, sweep_id LIMIT $2", jurisdictions, limit)
    return [str(r["sweep_id"]) for r in rows]


@dataclass(frozen=True)
class SweepChain:
    valid: bool
    events: int
    head_hash: str | None
    first_bad_seq: int | None = None


async def verify_sweep(pool: asyncpg.Pool, sweep_id: str) -> SweepChain:
    """Recompute the sweep's chain from its stored rows, as the case verifier does."""
    rows = await pool.fetch(
        "SELECT seq, event_id, type, payload::text AS payload, actor::text AS actor, occurred_at, prev_hash, hash"
        " FROM sweep_events WHERE sweep_id = $1 ORDER BY seq", sweep_id)
    prev = GENESIS_HASH
    for expected, row in enumerate(rows, start=1):
        envelope = envelope_for_hash(case_id=sweep_id, seq=row["seq"], event_id=str(row["event_id"]),
                                     type=row["type"], schema_version=1, occurred_at=row["occurred_at"],
                                     actor=json.loads(row["actor"]), data=json.loads(row["payload"]))
        if row["seq"] != expected or row["prev_hash"] != prev or not chain_hash_matches(prev, envelope, row["hash"]):
            return SweepChain(valid=False, events=len(rows), head_hash=rows[-1]["hash"], first_bad_seq=row["seq"])
        prev = row["hash"]
    return SweepChain(valid=True, events=len(rows), head_hash=rows[-1]["hash"] if rows else None)
