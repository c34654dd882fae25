"""Standing meetings over many cases: calling, the agenda (征集、审定), the minutes and what each case records.
Pure: fixed times, no fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.commands import CommitmentPromise
from domain.describe import describe_meeting_event
from domain.events import MeetingAttendee, MeetingEvent
from domain.meetings import (
    CallMeeting,
    DecideItem,
    ItemMinute,
    MeetingCommand,
    MeetingNotPermitted,
    MeetingRefused,
    MeetingState,
    ProposeItem,
    RecordMinutes,
    case_records,
    decide,
    evolve,
    replay,
    round_table_due,
)
from domain.vocabulary import Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
CASE_A = "C-20260302-aaaaaaaaaa"
CASE_B = "C-20260302-bbbbbbbbbb"
DEPTS = ("dept-a", "dept-b", "dept-c")
REPS = (MeetingAttendee(name="王某", capacity="居民代表"), MeetingAttendee(name="李某", capacity="居民代表"))


def run(events: list[MeetingEvent], command: MeetingCommand, role: Role, now: datetime = NOW) -> list[MeetingEvent]:
    new = decide(replay(events), command, role=role, meeting_id="MT-1", now=now)
    events.extend(new)
    return new


def called() -> list[MeetingEvent]:
    events: list[MeetingEvent] = []
    run(events, CallMeeting(meeting_kind="round_table", title="一季度圆桌议事会", at=AT, jurisdiction="jur-1",
                            departments=DEPTS, other_attendees=REPS), Role.supervisor)
    return events


def with_agenda() -> list[MeetingEvent]:
    events = called()
    run(events, ProposeItem(case_id=CASE_A, note="噪音扰民"), Role.liaison)
    run(events, ProposeItem(case_id=CASE_B), Role.grid_worker)
    run(events, DecideItem(item_id="MT-1-I1", accepted=True), Role.supervisor)
    run(events, DecideItem(item_id="MT-1-I2", accepted=True), Role.supervisor)
    return events


def minutes() -> RecordMinutes:
    due = AT + timedelta(days=14)
    return RecordMinutes(present=("dept-a", "dept-b"), items=(
        ItemMinute(case_id=CASE_A, decision="限期整改", commitments=(
            CommitmentPromise(department="dept-a", what="十日内答复", due_at=due),)),
        ItemMinute(case_id=CASE_B, decision="联合执法", commitments=(
            CommitmentPromise(department="dept-b", what="两周内答复", due_at=due),)),
    ))


def test_a_liaisons_item_is_approved_by_a_supervisor() -> None:
    state = replay(with_agenda())
    assert state is not None
    assert [(i.item_id, i.proposed_by, i.accepted) for i in state.agenda] == [
        ("MT-1-I1", Role.liaison, True), ("MT-1-I2", Role.grid_worker, True)]
    assert state.other_attendees == REPS


def test_only_a_supervisor_settles_the_agenda_and_only_case_holders_propose() -> None:
    events = called()
    with pytest.raises(MeetingNotPermitted):
        run(events, ProposeItem(case_id=CASE_A), Role.supervisor)
    run(events, ProposeItem(case_id=CASE_A), Role.mediator)
    with pytest.raises(MeetingNotPermitted):
        run(events, DecideItem(item_id="MT-1-I1", accepted=True), Role.liaison)
    with pytest.raises(MeetingRefused):
        run(events, ProposeItem(case_id=CASE_A), Role.liaison)  # already on the agenda


def test_a_declined_item_cannot_carry_a_decision() -> None:
    events = called()
    run(events, ProposeItem(case_id=CASE_A), Role.liaison)
    run(events, DecideItem(item_id="MT-1-I1", accepted=False), Role.supervisor)
    with pytest.raises(MeetingRefused, match="not an accepted item"):
        run(events, RecordMinutes(present=DEPTS, items=(ItemMinute(case_id=CASE_A, decision="x"),)),
            Role.mediator, now=AT)


def test_minutes_record_the_absent_and_leave_each_case_its_commitments() -> None:
    events = with_agenda()
    with pytest.raises(MeetingRefused, match="once the meeting has been held"):
        run(events, minutes(), Role.mediator)
    [minuted] = run(events, minutes(), Role.mediator, now=AT + timedelta(hours=2))
    state = replay(events)
    assert state is not None and state.minutes == minuted
    assert state.minutes.absent == ("dept-c",)
    records = case_records(state)
    assert set(records) == {CASE_A, CASE_B}
    for record in records.values():
        assert record.departments == DEPTS and record.attended == ("dept-a", "dept-b")  # dept-c absent on both
    assert [c.department for c in records[CASE_A].commitments] == ["dept-a"]
    assert [c.department for c in records[CASE_B].commitments] == ["dept-b"]
    assert "圆桌议事会" in records[CASE_A].agenda and "限期整改" in records[CASE_A].agenda
    with pytest.raises(MeetingRefused, match="already recorded"):
        run(events, ProposeItem(case_id="C-20260302-cccccccccc"), Role.liaison, now=AT + timedelta(hours=3))


def test_an_absent_department_cannot_commit() -> None:
    events = with_agenda()
    bad = RecordMinutes(present=("dept-a",), items=(ItemMinute(case_id=CASE_A, decision="x", commitments=(
        CommitmentPromise(department="dept-c", what="y", due_at=AT + timedelta(days=3)),)),))
    with pytest.raises(MeetingRefused, match="did not attend"):
        run(events, bad, Role.mediator, now=AT)


def test_the_reminder_is_due_the_day_before_until_the_minutes() -> None:
    events = with_agenda()
    state = replay(events)
    assert state is not None and state.next_alarm == AT - timedelta(days=1)
    run(events, minutes(), Role.mediator, now=AT)
    state = replay(events)
    assert state is not None and state.next_alarm is None


def test_every_meeting_event_is_told_in_chinese() -> None:
    events = with_agenda()
    run(events, minutes(), Role.mediator, now=AT)
    told = [describe_meeting_event(e) for e in events]
    assert told[0].startswith("召集圆桌议事会「一季度圆桌议事会」") and "居民代表王某" in told[0]
    assert told[1].startswith("联络员征集议题 MT-1-I1")
    assert told[3] == "审定议题 MT-1-I1：列入议程"
    assert "缺席 dept-c" in told[-1]
    assert all(e.type not in t for e, t in zip(events, told, strict=True))


def test_a_round_table_is_due_from_the_next_quarter() -> None:
    assert round_table_due("quarter", None, date(2026, 3, 2)) == date(2026, 3, 2)
    assert round_table_due("quarter", date(2026, 2, 10), date(2026, 3, 31)) is None
    assert round_table_due("quarter", date(2026, 2, 10), date(2026, 4, 1)) == date(2026, 4, 1)
    assert round_table_due("quarter", date(2026, 11, 5), date(2027, 1, 2)) == date(2027, 1, 1)
    with pytest.raises(ValueError):
        round_table_due("fortnight", None, date(2026, 3, 2))


def test_evolve_refuses_an_item_before_the_meeting() -> None:
    [call] = decide(None, CallMeeting(meeting_kind="joint", title="t", at=AT, jurisdiction="j", departments=("d",)),
                    role=Role.mediator, meeting_id="MT-2", now=NOW)
    assert isinstance(evolve(None, call), MeetingState)
