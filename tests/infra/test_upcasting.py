"""A stored event of an old schema version is read as the current one; the stored bytes never change."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg

from domain.chain import canonical_json, envelope_for_hash
from domain.events import Actor, CaseNotAccepted, PendingEvent
from domain.upcasting import upcast
from domain.vocabulary import NotAcceptedReason, Role
from infra.event_store import _APPEND_SQL, EventStore, _append_args

MEDIATOR = Actor(role=Role.mediator, id="m-1")


async def _store_v1(pool: asyncpg.Pool, case_id: str, reason: str) -> None:
    """Write a CaseNotAccepted exactly as the code of schema version 1 did: {"reason": ...} only."""
    pending = PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=MEDIATOR,
                           payload=CaseNotAccepted(reason=reason, reason_code=NotAcceptedReason.other))
    args = _append_args(case_id, 0, [pending])
    v1_data = {"reason": reason}
    args[4], args[7] = [1], [json.dumps(v1_data, ensure_ascii=False)]  # the jsonb columns go as text
    args[8] = [canonical_json(envelope_for_hash(
        case_id=case_id, seq=1, event_id=str(pending.event_id), type="CaseNotAccepted", schema_version=1,
        occurred_at=pending.occurred_at, actor=MEDIATOR.model_dump(mode="json"), data=v1_data))]
    async with pool.acquire() as conn:
        await conn.fetch(_APPEND_SQL, *args)


async def test_a_stored_v1_event_is_read_as_v2(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    case_id = f"U-{uuid.uuid4().hex[:10]}"
    await _store_v1(pool, case_id, "当事人已申请劳动仲裁")
    [event] = await store.read_stream(case_id)
    assert event.schema_version == 1  # as stored
    assert isinstance(event.payload, CaseNotAccepted)
    assert event.payload.reason_code is NotAcceptedReason.in_litigation  # as read today
    raw = await pool.fetchval("SELECT data FROM events WHERE case_id = $1", case_id)
    assert raw == {"reason": "当事人已申请劳动仲裁"}  # never rewritten
    assert (await store.verify(case_id)).valid  # and the chain still covers the bytes as stored


def test_the_upcaster_classifies_old_reasons() -> None:
    assert upcast("CaseNotAccepted", 1, {"reason": "重复件，已合并"}, 2)["reason_code"] == "duplicate"
    assert upcast("CaseNotAccepted", 1, {"reason": "不属于受理范围"}, 2)["reason_code"] == "out_of_scope"
    assert upcast("CaseNotAccepted", 1, {"reason": "其他"}, 2)["reason_code"] == "other"
