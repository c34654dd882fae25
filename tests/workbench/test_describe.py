"""The desk tells every kind of event in Chinese: none falls through to its English type name."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.case import CaseState
from domain.events import EVENT_TYPES, SYSTEM_ACTOR, EventPayload, RecordedEvent
from tests.domain.test_canonical_json import one_of_each
from workbench.describe import _describe

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_the_sample_covers_every_event_type() -> None:
    assert sorted(p.type for p in one_of_each()) == sorted(EVENT_TYPES)  # type: ignore[attr-defined]


@pytest.mark.parametrize("payload", one_of_each(), ids=lambda p: p.type)
def test_each_event_is_told_in_chinese(payload: EventPayload) -> None:
    recorded = RecordedEvent(case_id="C-1", seq=1, event_id=uuid.uuid4(), occurred_at=AT, actor=SYSTEM_ACTOR,
                             payload=payload, schema_version=1, prev_hash="0" * 64, hash="0" * 64)  # type: ignore[arg-type]
    state = CaseState(case_id="C-1")
    text = _describe(recorded, state, state, lambda department: f"单位{department}")
    assert text != payload.type  # type: ignore[attr-defined]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)
