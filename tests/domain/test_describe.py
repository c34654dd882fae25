"""The one describer (domain/describe.py) behind the workbench's history, the auditor's timeline and the
dossier: every kind of event is told in Chinese (none falls through to its English type name), departments
and places by their names, and the parties' data masked unless the reader may see it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from domain.case import CaseState
from domain.describe import Names, actor_label, describe, duration_words, tell
from domain.events import EVENT_TYPES, SYSTEM_ACTOR, Actor, EventPayload, ExtensionRequested, RecordedEvent
from domain.vocabulary import Role
from tests.domain.test_canonical_json import one_of_each

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class Named(Names):
    """An organisation's names for the sample's ids."""

    def department(self, id: str) -> str:
        return {"dept-a": "东湖街道人社所", "dept-b": "东湖街道司法所", "dept-c": "东湖派出所"}.get(id, id)

    def place(self, id: str) -> str:
        return {"G-01": "东湖街道花园社区第一网格", "jur-1": "东湖街道"}.get(id, id)

    def category(self, id: str) -> str:
        return "邻里纠纷"


def recorded(payload: EventPayload, seq: int = 1) -> RecordedEvent:
    return RecordedEvent(case_id="C-1", seq=seq, event_id=uuid.uuid4(), occurred_at=AT, actor=SYSTEM_ACTOR,
                         payload=payload, schema_version=1, prev_hash="0" * 64, hash="0" * 64)  # type: ignore[arg-type]


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_sample_covers_every_event_type() -> None:
    assert sorted(p.type for p in one_of_each()) == sorted(EVENT_TYPES)  # type: ignore[attr-defined]


@pytest.mark.parametrize("payload", one_of_each(), ids=lambda p: p.type)
def test_each_event_is_told_in_chinese(payload: EventPayload) -> None:
    state = CaseState(case_id="C-1")
    text = describe(recorded(payload), state, state, Named())
    assert text != payload.type and payload.type not in text  # type: ignore[attr-defined]
    assert chinese(text)


def lines(events: Sequence[RecordedEvent], *, masked: bool) -> list[str]:
    return [text for _, _, text in tell(events, Named(), masked=masked)]


def sample_case() -> list[RecordedEvent]:
    return [recorded(p, seq) for seq, p in enumerate(one_of_each(), start=1)]


def test_a_whole_case_is_told_by_names_without_raw_types_or_ids() -> None:
    told = lines(sample_case(), masked=True)
    assert len(told) == len(one_of_each())
    for text in told:
        assert chinese(text), text
        for raw in (*EVENT_TYPES, "dept-a", "dept-b", "jur-1", "G-01"):
            assert raw not in text, (raw, text)
    joined = "\n".join(told)
    assert "派单给东湖街道人社所（牵头）" in joined
    assert "挂牌督办：东湖街道人社所签收已超时" in joined and "报东湖街道" in joined
    assert "东湖街道人社所承诺于 2026-03-05 17:30 前" in joined  # local time of the case's policy
    assert "东湖街道人社所负责人（wecombot://***，4 次尝试）" in joined  # 送达记录: whom, where, how often


def test_free_text_is_masked_unless_the_reader_may_see_the_parties() -> None:
    events = sample_case()
    note = events[0].payload.model_copy(update={"title": "张三反映漏水，电话13800000000"})
    events[0] = recorded(note, 1)
    masked, clear = lines(events, masked=True), lines(events, masked=False)
    for secret in ("张三", "13800000000"):
        assert not any(secret in text for text in masked), secret
        assert secret in clear[0]
    assert "张*" in masked[0] and "138****0000" in masked[0]


def test_who_took_a_step() -> None:
    person = Actor(role=Role.liaison, id="usr-1", department="dept-a", name="孙丽")
    assert actor_label(person, Named()) == "孙丽（联络员，东湖街道人社所）"
    assert actor_label(SYSTEM_ACTOR, Named()) == "系统"


@pytest.mark.parametrize(("text", "words"), [
    ("3wd", "3个工作日"), ("8wh", "8个工作小时"), ("2d", "2天"), ("4h", "4小时"), ("15m", "15分钟"), ("90s", "90秒"),
    ("3 weeks", "3 weeks"),  # not a policy duration: shown as it was recorded, never an error
])
def test_a_duration_is_said_in_words(text: str, words: str) -> None:
    assert duration_words(text) == words


def test_an_extension_request_says_how_long_in_words() -> None:
    state = CaseState(case_id="C-1")
    asked = ExtensionRequested(task_id="T-1", extra="3wd", reason="需补充材料")
    text = describe(recorded(asked), state, state, Named())
    assert "申请延期3个工作日：" in text and "3wd" not in text
