"""The actor's optional display name leaves every stored event's bytes, and so its hash, unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from domain.chain import GENESIS_HASH, canonical_json, chain_hash, envelope_for_hash
from domain.events import Actor, PendingEvent
from domain.vocabulary import Role

# An actor as every event stored before people had names holds it: no "name" key.
STORED_ACTOR = {"role": "liaison", "id": "liaison-dept-a", "department": "dept-a"}
STORED = dict(case_id="C-1", seq=1, event_id="00000000-0000-4000-8000-000000000001", type="TaskAcknowledged",
              schema_version=1, occurred_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), data={"task_id": "C-1-T1"})
# Computed by the code before Actor had a name (main at 442be9e): it must never change.
STORED_HASH = "7ea9e4fe6eacb957bb86ed0303d645301c6de412e7c913f67cf7992ed4e2c8b9"


def hash_with(actor: dict[str, object]) -> str:
    return chain_hash(GENESIS_HASH, envelope_for_hash(actor=actor, **STORED))  # type: ignore[arg-type]


def test_an_actor_without_name_serializes_exactly_as_stored_events_hold_it() -> None:
    actor = Actor.model_validate(STORED_ACTOR)
    assert actor.name is None
    assert actor.model_dump(mode="json") == STORED_ACTOR
    assert json.loads(actor.model_dump_json()) == STORED_ACTOR
    assert hash_with(actor.model_dump(mode="json")) == hash_with(STORED_ACTOR) == STORED_HASH


def test_a_named_actor_carries_its_name_and_reads_back() -> None:
    actor = Actor(role=Role.mediator, id="u-7", department="dept-a", name="王丽")
    dumped = actor.model_dump(mode="json")
    assert dumped["name"] == "王丽"
    assert Actor.model_validate_json(canonical_json(dumped)) == actor


def test_an_event_envelope_keeps_the_old_actor_shape() -> None:
    event = PendingEvent.model_validate_json(json.dumps({
        "event_id": STORED["event_id"], "occurred_at": "2026-03-02T09:00:00Z", "actor": STORED_ACTOR,
        "payload": {"type": "TaskAcknowledged", "task_id": "C-1-T1"}}))
    assert json.loads(event.model_dump_json())["actor"] == STORED_ACTOR
