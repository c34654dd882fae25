"""The canonical form is RFC 8785 (JCS): domain/chain.py against the independent `rfc8785` package."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import rfc8785

import domain.events as ev
from domain.chain import (
    MAX_SAFE_INTEGER,
    NotCanonical,
    canonical_json,
    chain_hash,
    chain_hash_matches,
    envelope_for_hash,
    es_number,
    legacy_canonical_json,
)
from domain.events import (
    EVENT_TYPES,
    Actor,
    AttachmentAdded,
    CaseArchived,
    CaseMarkedDuplicate,
    CaseNotAccepted,
    CaseReceived,
    CaseReopened,
    CaseRouted,
    ClockPaused,
    ClockResumed,
    DeliveryTarget,
    DueTimes,
    EscalationCleared,
    EventPayload,
    ExtensionDecided,
    ExtensionRequested,
    FollowUpRecorded,
    MediationRecorded,
    MeetingConvened,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationIssued,
    Party,
    ResolutionRejected,
    ResolutionSubmitted,
    ResolutionVerified,
    TaskAcknowledged,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
    TaskReplied,
    TaskReturned,
    payload_data,
)
from domain.organisation import JurisdictionLevel
from domain.policy import parse_policy, pin_policy
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    DocumentKind,
    Grade,
    MediationMethod,
    NotAcceptedReason,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    TaskRole,
)

NOW = datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
# Chinese text, every C0 control character, DEL, the line separators, quotes and backslashes, an astral
# character (U+1F600) and a character above the surrogates (U+FF01).
TRICKY = "楼上漏水\"\\/" + "".join(chr(c) for c in range(0x20)) + "\x7f\u2028\u2029😀！"
DUE = DueTimes(task_id="T1", acknowledge_due_at=NOW, reply_due_at=LATER)


def one_of_each() -> list[EventPayload]:
    policy = pin_policy(parse_policy("[escalation]\nremind_at = [0.1, 0.3333333333333333, 0.75, 0.9]\n"), NOW)
    return [
        CaseReceived(title=TRICKY, description="邻里纠纷\n第二行\t制表", category="邻里纠纷", channel=Channel.hotline,
                     grid_id="G-01", risk_level=RiskLevel.high, policy=policy,
                     parties=(Party(name="张三", role=PartyRole.applicant, phone="13800000000",
                                    id_number="110101199001011234"),
                              Party(name=TRICKY, role=PartyRole.respondent))),
        CaseNotAccepted(reason=TRICKY, reason_code=NotAcceptedReason.other),
        CaseMarkedDuplicate(duplicate_of="C-2026-000001"),
        CaseRouted(lead_department="dept-a", co_departments=("dept-b", "dept-c"), note=TRICKY, suggested_lead="x"),
        TaskAssigned(task_id="T1", department="dept-a", role=TaskRole.lead, acknowledge_due_at=NOW,
                     reply_due_at=LATER, escalate_to="jur-1"),
        TaskAcknowledged(task_id="T1"),
        TaskReturned(task_id="T1", reason=TRICKY),
        TaskReminded(task_id="T1", clock=Clock.reply, fraction=0.3333333333333333, due_at=LATER),
        TaskEscalated(task_id="T1", clock=Clock.acknowledge, level=3, due_at=NOW, notify_jurisdiction="jur-1"),
        EscalationCleared(task_id="T1", clock=Clock.acknowledge, level=2),
        ExtensionRequested(task_id="T1", extra="3wd", reason=TRICKY),
        ExtensionDecided(task_id="T1", approved=True, note=None, reply_due_at=LATER),
        ClockPaused(reason=TRICKY),
        ClockResumed(reason="恢复", due_times=(DUE,)),
        TaskReplied(task_id="T1", summary=TRICKY),
        MeetingConvened(meeting_id="M1", at=NOW, departments=("dept-a", "dept-b"), agenda=TRICKY),
        MediationRecorded(mediation_id="MD1", method=MediationMethod.people, agreement_reached=True, terms=TRICKY),
        ResolutionSubmitted(outcome=Outcome.mediated, summary=TRICKY),
        ResolutionVerified(note=None),
        ResolutionRejected(note=TRICKY, reopened=(DUE,)),
        FollowUpRecorded(satisfaction=Satisfaction.dissatisfied, note=TRICKY),
        CaseReopened(reason=TRICKY, reopen_count=2, reopened=(DUE,)),
        CaseArchived(reason=ArchiveReason.resolved),
        AttachmentAdded(sha256="ab" * 32, name="调解协议书\t(签字版).pdf", media_type="application/pdf", size=2**31),
        # supervision as practised
        ev.ReturnRequested(task_id="T1", reason=TRICKY),
        ev.ReturnDecided(task_id="T1", approved=False, note=TRICKY),
        ev.TaskWithdrawn(task_id="T2", reason=TRICKY),
        ev.DepartmentsSummoned(summons_id="S1", departments=("dept-a",), reason=TRICKY, due_at=LATER,
                               escalate_to={"dept-a": "jur-1"}),
        ev.SummonsReported(summons_id="S1", department="dept-a", note=None),
        ev.MeetingMinutesRecorded(meeting_id="M1", attended=("dept-a",), commitments=(
            ev.CommitmentTaken(commitment_id="M1-C1", department="dept-a", what=TRICKY, due_at=LATER),)),
        ev.CommitmentFulfilled(commitment_id="M1-C1", note=TRICKY),
        ev.CaseListed(leader=TRICKY, reason=TRICKY),
        ev.LeaderAssigned(user="usr-0a1b2c3d4e5f", reason=TRICKY),
        ev.TaskAssigneeNamed(task_id="T1", user="usr-0a1b2c3d4e5f"),
        ev.ListingLifted(reason=TRICKY),
        ev.RiskRegraded(previous=RiskLevel.medium, risk_level=RiskLevel.critical, reason=TRICKY),
        ev.FollowUpScheduled(follow_up_id="F1", due_at=LATER),
        ev.ComplaintJudged(reasonable=True, reason=TRICKY),
        ev.WatchedDeadlinesMoved(due_times=(ev.WatchedDue(watch_id="S1:dept-a", due_at=LATER),)),
        ev.TaskRated(task_id="T1", grade=Grade.good, note=TRICKY),
        ev.CalendarUpdated(year=2027, content_hash="ab" * 32, holidays=(date(2027, 1, 1),),
                           workdays=(date(2027, 2, 6),), moved=(ev.DeadlineMoved(
                               ref="T1", clock=Clock.reply, before=NOW, after=LATER),)),
        # mediation papers
        ev.DocumentIssued(document_id="C1-D1", kind=DocumentKind.agreement, number="（2026）东湖人调字第12号",
                          sha256="cd" * 32, size=12345),
        ev.SignedAgreementFiled(sha256="ef" * 32, document_id="C1-D1"),
        ev.PerformanceRecorded(mediation_id="MD1", performed=False, note=TRICKY, performance_due=LATER),
        ev.JudicialConfirmationWindowOpened(watch_id="C1-J1", due_at=LATER),
        ev.JudicialConfirmationApplied(court_department="dept-c", applied_at=NOW),
        ev.JudicialConfirmationDecided(confirmed=True, ruling_no="（2026）临0102民特12号", note=TRICKY),
        # the grid: 上交
        ev.CaseHandedUp(from_level=JurisdictionLevel.street, to_level=JurisdictionLevel.district, reason=TRICKY),
        ev.ClusterDetected(alert_id="CL-C3", jurisdiction="cm-1", category="邻里纠纷", case_ids=("C1", "C2", "C3"),
                           opened=True),
        NotificationIssued(notification_id="N1", kind="warning", level=2, task_id="T1", due_at=NOW,
                           recipients=("head:dept-a",), text=TRICKY, link="http://127.0.0.1/cases/C1", urgent=False,
                           targets=(DeliveryTarget(channel_id="dept-a/head/0/abcdef012345", department="dept-a",
                                                   role="head", address="wecombot://***"),),
                           give_up_after_s=21600),
        NotificationDeferred(notification_id="N1", until=LATER),
        NotificationDelivered(notification_id="N1", channel_id="dept-a/head/0/abcdef012345", attempts=4),
        NotificationFailed(notification_id="N1", channel_id="dept-a/head/0/abcdef012345", attempts=7,
                           reason="接收方未接受"),
    ]


def envelope(payload: EventPayload, seq: int = 1) -> dict[str, Any]:
    return envelope_for_hash(
        case_id="C-2026-000001", seq=seq, event_id=str(uuid.UUID(int=seq)), type=payload.type,  # type: ignore[attr-defined]
        schema_version=payload.schema_version, occurred_at=NOW,
        actor=Actor(role=Role.mediator, id="u-1", department="zongzhi").model_dump(mode="json"),
        data=payload_data(payload),
    )


def test_every_event_type_is_covered() -> None:
    assert sorted(p.type for p in one_of_each()) == sorted(EVENT_TYPES)  # type: ignore[attr-defined]


@pytest.mark.parametrize("payload", one_of_each(), ids=lambda p: p.type)
def test_each_event_type_matches_rfc8785(payload: EventPayload) -> None:
    value = envelope(payload)
    assert canonical_json(value).encode("utf-8") == rfc8785.dumps(value)


def test_a_stored_event_reads_back_to_the_same_bytes() -> None:
    """What the verifier sees is the JSON round trip of what was hashed (jsonb hands back parsed values)."""
    for payload in one_of_each():
        value = envelope(payload)
        again = json.loads(json.dumps(value, ensure_ascii=False))
        assert canonical_json(again) == canonical_json(value)


@pytest.mark.parametrize("number", [
    0.5, 0.1, 0.3333333333333333, 0.9999999999999999, 1e-4, 5e-5, 1e-6, 1e-7, 2.5e-7, 1.0, 100.0, -0.0, -0.25,
    1e16, 1.5e16, 1e20, 1e21, 1.7976931348623157e308, 5e-324, 123456789.125,
])
def test_numbers_are_written_as_ecmascript_does(number: float) -> None:
    assert es_number(number).encode() == rfc8785.dumps(number)
    assert canonical_json({"x": [number]}).encode() == rfc8785.dumps({"x": [number]})


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+FF01 there, after it by code point.
    value = {"\uff01": 1, "😀": 2, "a": 3, "é": 4}
    assert canonical_json(value).encode() == rfc8785.dumps(value)
    assert canonical_json(value).index("😀") < canonical_json(value).index("\uff01")


def test_our_own_keys_are_ascii_so_code_point_order_is_utf16_order() -> None:
    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    for payload in one_of_each():
        assert all(k.isascii() for k in keys(json.loads(canonical_json(envelope(payload)))))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), MAX_SAFE_INTEGER + 1, -(2**60),
                                 {1: "x"}, {"x": {1, 2}}])
def test_values_jcs_cannot_carry_are_refused(bad: Any) -> None:
    with pytest.raises(NotCanonical):
        canonical_json({"x": bad})


def test_the_largest_safe_integer_is_carried() -> None:
    assert canonical_json({"x": MAX_SAFE_INTEGER}).encode() == rfc8785.dumps({"x": MAX_SAFE_INTEGER})


def test_hashes_of_events_without_floats_are_unchanged_from_the_earlier_form() -> None:
    for payload in one_of_each():
        value = envelope(payload)
        if "fraction" not in value["data"] and payload.type != "CaseReceived":  # type: ignore[attr-defined]
            assert canonical_json(value) == legacy_canonical_json(value)
    # Fractions as the domain writes them are the same in both forms too.
    reminded = envelope(TaskReminded(task_id="T1", clock=Clock.reply, fraction=0.75, due_at=LATER))
    assert canonical_json(reminded) == legacy_canonical_json(reminded)


def test_an_event_hashed_in_the_earlier_form_still_verifies() -> None:
    value = envelope(TaskReminded(task_id="T1", clock=Clock.reply, fraction=5e-5, due_at=LATER))
    assert canonical_json(value) != legacy_canonical_json(value)
    import hashlib

    legacy = hashlib.sha256(("0" * 64 + legacy_canonical_json(value)).encode()).hexdigest()
    assert chain_hash_matches("0" * 64, value, legacy)
    assert chain_hash_matches("0" * 64, value, chain_hash("0" * 64, value))
    assert not chain_hash_matches("0" * 64, value, "f" * 64)


def test_floats_repr_writes_as_ecmascript_take_the_fast_path_with_the_same_bytes() -> None:
    """The fast path (json.dumps) is taken for non-integral floats in [1e-4, 1e16); over many such floats
    and the ones around the edges its bytes are the rfc8785 package's."""
    import random

    from domain.chain import _needs_jcs

    rng = random.Random(8785)
    numbers = [rng.uniform(-1, 1) * 10 ** rng.uniform(-4, 16) for _ in range(5000)]
    numbers += [1e-4, -1e-4, 1.0001e-4, 9.999e-5, 0.5, 0.75, 1.5, 1e16 - 2, 9007199254740993.0, 1e15 + 0.5,
                1e-4 * (1 + 2**-52), 2.0, 0.0, -0.0, 1e16, 12345.0]
    for number in numbers:
        value = {"x": [number], "y": {"z": number}}
        assert canonical_json(value).encode() == rfc8785.dumps(value), number
        if 1e-4 <= abs(number) < 1e16 and not number.is_integer():
            assert not _needs_jcs(value), number
    assert _needs_jcs({"x": 2.0}) and _needs_jcs({"x": 5e-5}) and _needs_jcs({"x": 1e16})


def test_an_astral_key_anywhere_takes_the_exact_path() -> None:
    from domain.chain import _needs_jcs

    assert _needs_jcs({"a": [{"😀": 1}]}) and not _needs_jcs({"a": [{"\uff01": 1, "é": 2}]})
