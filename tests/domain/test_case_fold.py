"""``fold`` applies a stream to one working copy of the state, in place, and ``evolve`` copies the state for
each event with ``_replaced`` instead of pydantic's ``model_copy``. Both must give exactly the state that
copying with ``model_copy`` event by event gives (the reference below), over every event type."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

import domain.case as case_module
import domain.events as ev
from domain.case import CaseState, evolve, fold
from domain.events import EVENT_TYPES, Actor, DeliveryTarget, EventPayload, RecordedEvent
from domain.vocabulary import Clock, MediationMethod, Role, TaskRole
from tests.domain.test_canonical_json import LATER, NOW, one_of_each

LIAISON = Actor(role=Role.liaison, id="liaison-1", department="dept-a")
MEDIATOR = Actor(role=Role.mediator, id="u-1", department="zongzhi")


def _extra() -> list[EventPayload]:
    """Branches ``one_of_each`` does not reach: a second task beside the first, an acknowledgement by a
    liaison, a watched deadline reminded, escalated and cleared, an agreement's performance watched and
    recorded, an approved return, a notification with two channels deferred as a whole."""
    return [
        ev.TaskAssigned(task_id="T2", department="dept-b", role=TaskRole.co, acknowledge_due_at=NOW,
                        reply_due_at=LATER),
        ev.TaskAcknowledged(task_id="T2"),
        ev.TaskReminded(task_id="T2", clock=Clock.reply, fraction=0.5, due_at=LATER),
        ev.DepartmentsSummoned(summons_id="S2", departments=("dept-a", "dept-b"), reason="汇报", due_at=LATER),
        ev.TaskReminded(task_id="S2:dept-b", clock=Clock.report, fraction=0.75, due_at=LATER),
        ev.TaskEscalated(task_id="S2:dept-b", clock=Clock.report, level=2, due_at=LATER),
        ev.EscalationCleared(task_id="S2:dept-b", clock=Clock.report, level=2),
        ev.SummonsReported(summons_id="S2", department="dept-b", note="已汇报"),
        ev.MediationRecorded(mediation_id="MD2", method=MediationMethod.people, agreement_reached=True,
                             terms="分期赔偿", performance_due=LATER),
        ev.PerformanceRecorded(mediation_id="MD2", performed=False, note="未履行", performance_due=LATER),
        ev.PerformanceRecorded(mediation_id="MD2", performed=True, note="已履行"),
        ev.ReturnRequested(task_id="T2", reason="不属本部门"),
        ev.ReturnDecided(task_id="T2", approved=True, note=None),
        ev.TaskReturned(task_id="T2", reason="不属本部门"),
        ev.NotificationIssued(
            notification_id="N2", kind="warning", level=1, task_id="T2", due_at=NOW, recipients=("head:dept-b",),
            text="提醒", link="http://127.0.0.1/cases/C1", urgent=True, give_up_after_s=600,
            targets=(DeliveryTarget(channel_id="c-1", department="dept-b", role="head", address="***"),
                     DeliveryTarget(channel_id="c-2", department="dept-b", role="liaisons", address="***"))),
        ev.NotificationDelivered(notification_id="N2", channel_id="c-1", attempts=1),
        ev.NotificationDeferred(notification_id="N2", until=LATER),
    ]


def _stream(payloads: Sequence[EventPayload], case_id: str = "C-1") -> list[RecordedEvent]:
    return [
        RecordedEvent(case_id=case_id, seq=seq, event_id=uuid.UUID(int=seq), occurred_at=NOW + timedelta(minutes=seq),
                      actor=LIAISON if seq % 2 else MEDIATOR, payload=payload, schema_version=payload.schema_version,
                      prev_hash="0" * 64, hash=f"{seq:064x}")
        for seq, payload in enumerate(payloads, start=1)
    ]


STREAM = _stream([*one_of_each(), *_extra()])


def _reference(events: Sequence[RecordedEvent], state: CaseState | None = None) -> Iterator[CaseState]:
    """Every state along ``events``, each one pydantic's ``model_copy`` of the one before (the fold as it was
    written first). Run with ``_replaced`` swapped for model_copy, so every nested copy is model_copy's too."""
    for recorded in events:
        state = CaseState(case_id=recorded.case_id) if state is None else state
        state = evolve(state, recorded.payload, recorded.occurred_at, recorded.seq, recorded.actor)
        yield state


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> list[CaseState]:
    with monkeypatch.context() as m:
        m.setattr(case_module, "_replaced", lambda model, changes: model.model_copy(update=changes))
        return list(_reference(STREAM))


def _same(a: Any, b: Any, where: str = "state") -> None:
    """Equal values, and for models the same fields set at every depth (``==`` does not compare those)."""
    assert type(a) is type(b), where
    if isinstance(a, BaseModel):
        assert a.model_fields_set == b.model_fields_set, where
        assert a.__pydantic_extra__ == b.__pydantic_extra__ and a.__pydantic_private__ == b.__pydantic_private__
        assert a.__dict__.keys() == b.__dict__.keys(), where
        for name in a.__dict__:
            _same(a.__dict__[name], b.__dict__[name], f"{where}.{name}")
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_the_stream_has_every_event_type() -> None:
    assert {e.type for e in STREAM} == set(EVENT_TYPES)


def test_fold_gives_the_reference_state_after_every_event(reference: list[CaseState]) -> None:
    for n in range(1, len(STREAM) + 1):
        folded = fold(STREAM[:n])
        _same(folded, reference[n - 1], f"after {STREAM[n - 1].type} (event {n})")
        assert folded == reference[n - 1]
        assert folded.model_dump_json() == reference[n - 1].model_dump_json()


def test_evolve_gives_the_reference_state_after_every_event(reference: list[CaseState]) -> None:
    for n, state in enumerate(_reference(STREAM), start=1):
        _same(state, reference[n - 1], f"after {STREAM[n - 1].type} (event {n})")


def test_fold_from_a_state_leaves_that_state_as_it_was(reference: list[CaseState]) -> None:
    half = len(STREAM) // 2
    start = fold(STREAM[:half])
    before = start.model_dump_json()
    again = fold(STREAM[half:], start)
    assert start.model_dump_json() == before
    _same(start, reference[half - 1])
    _same(again, reference[-1])
    assert fold([], start) is start


def test_the_state_fold_returns_is_frozen() -> None:
    state = fold(STREAM[:3])
    with pytest.raises(ValueError, match="frozen"):
        state.title = "changed"  # type: ignore[misc]


def test_fold_of_nothing_needs_a_state() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        fold([])
