"""Standing meetings (联席会议, 圆桌议事会): one record over many cases (docs/api.md §10).

A meeting is called with the departments it invites and the other attendees (两代表一委员, 居民代表, 物业公司);
its agenda is collected from cases (征集议题) by mediators, liaisons and grid workers and settled by a supervisor
(审定); its minutes record who came, one decision per accepted item and what each department committed to. Each
case of the minutes then records the meeting and its commitments through its own workflow, with today's
``ConveneMeeting`` (attendance and commitments at once), so its commitments are watched by the case's ladder
and the departments that stayed away stand on every case.

Pure: times and ids come in as arguments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field

from domain.commands import CommitmentPromise, ConveneMeeting, ShortText, Text
from domain.events import (
    AgendaItemDecided,
    AgendaItemProposed,
    Frozen,
    MeetingAttendee,
    MeetingEvent,
    MeetingItemCommitment,
    MeetingItemMinute,
    StandingMeetingCalled,
    StandingMeetingMinuted,
)
from domain.rules import ActionRefused, NotPermitted
from domain.vocabulary import Role

MeetingKind = Literal["joint", "round_table"]
KIND_NAMES: dict[str, str] = {"joint": "联席会议", "round_table": "圆桌议事会"}


class MeetingRefused(ActionRefused):
    """The command does not fit the meeting as it stands (a 409 or 422 at the edge)."""


class MeetingNotPermitted(NotPermitted):
    """This role may not take this part in a meeting (a 403 at the edge)."""


class CallMeeting(Frozen):
    kind: Literal["call_meeting"] = "call_meeting"
    meeting_kind: MeetingKind
    title: ShortText
    at: datetime
    jurisdiction: ShortText
    departments: tuple[ShortText, ...] = Field(min_length=1)
    other_attendees: tuple[MeetingAttendee, ...] = ()


class ProposeItem(Frozen):
    kind: Literal["propose_item"] = "propose_item"
    case_id: ShortText
    note: Text | None = None


class DecideItem(Frozen):
    kind: Literal["decide_item"] = "decide_item"
    item_id: ShortText
    accepted: bool


class ItemMinute(Frozen):
    case_id: ShortText
    decision: Text
    commitments: tuple[CommitmentPromise, ...] = ()


class RecordMinutes(Frozen):
    kind: Literal["record_minutes"] = "record_minutes"
    present: tuple[ShortText, ...]
    items: tuple[ItemMinute, ...] = Field(min_length=1)


MeetingCommand = Annotated[CallMeeting | ProposeItem | DecideItem | RecordMinutes, Field(discriminator="kind")]

# Who may do what: the agenda is collected from those who hold the cases, settled by a supervisor.
MEETING_PERMISSIONS: dict[type[Frozen], frozenset[Role]] = {
    CallMeeting: frozenset({Role.mediator, Role.supervisor}),
    ProposeItem: frozenset({Role.mediator, Role.liaison, Role.grid_worker}),
    DecideItem: frozenset({Role.supervisor}),
    RecordMinutes: frozenset({Role.mediator}),
}


class AgendaItem(Frozen):
    item_id: str
    case_id: ShortText
    proposed_by: Role
    note: str | None = None
    accepted: bool | None = None  # None: not yet settled (待审定)


class MeetingState(Frozen):
    meeting_id: str
    kind: MeetingKind
    title: str
    at: datetime
    jurisdiction: str
    departments: tuple[str, ...]
    other_attendees: tuple[MeetingAttendee, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    minutes: StandingMeetingMinuted | None = None

    def item(self, item_id: str) -> AgendaItem | None:
        return next((i for i in self.agenda if i.item_id == item_id), None)

    def accepted_item_of(self, case_id: str) -> AgendaItem | None:
        return next((i for i in self.agenda if i.case_id == case_id and i.accepted), None)

    @property
    def reminder_at(self) -> datetime:
        """The reminder goes out the day before the meeting."""
        return self.at - timedelta(days=1)

    @property
    def next_alarm(self) -> datetime | None:
        return None if self.minutes is not None else self.reminder_at


def decide(state: MeetingState | None, command: MeetingCommand, *, role: Role, meeting_id: str,
           now: datetime) -> list[MeetingEvent]:
    allowed = MEETING_PERMISSIONS[type(command)]
    if role not in allowed:
        raise MeetingNotPermitted(f"a {role.value} may not {command.kind}", "meeting_role", role=role.value,
                                  act=command.kind)
    if isinstance(command, CallMeeting):
        if state is not None:
            raise MeetingRefused(f"meeting {meeting_id} already exists", "meeting_exists")
        if len(set(command.departments)) != len(command.departments):
            raise MeetingRefused("a department is invited twice", "invited_twice")
        # A meeting already held may be entered afterwards with its minutes, as a case's meeting can.
        return [StandingMeetingCalled(meeting_id=meeting_id, kind=command.meeting_kind, title=command.title,
                                      at=command.at, jurisdiction=command.jurisdiction,
                                      departments=command.departments, other_attendees=command.other_attendees)]
    if state is None:
        raise MeetingRefused(f"there is no meeting {meeting_id}", "no_standing_meeting", meeting=meeting_id)
    if state.minutes is not None:
        raise MeetingRefused(f"the minutes of meeting {state.meeting_id} are already recorded", "minutes_recorded",
                             meeting=state.meeting_id)
    match command:
        case ProposeItem():
            if any(i.case_id == command.case_id and i.accepted is not False for i in state.agenda):
                raise MeetingRefused(f"case {command.case_id} is already on the agenda", "already_on_agenda",
                                     case=command.case_id)
            item_id = f"{state.meeting_id}-I{len(state.agenda) + 1}"
            return [AgendaItemProposed(item_id=item_id, case_id=command.case_id, proposed_by=role,
                                       note=command.note)]
        case DecideItem():
            item = state.item(command.item_id)
            if item is None:
                raise MeetingRefused(f"the meeting has no agenda item {command.item_id}", "no_agenda_item")
            if item.accepted is not None:
                raise MeetingRefused(f"agenda item {command.item_id} is already settled", "item_settled")
            return [AgendaItemDecided(item_id=item.item_id, accepted=command.accepted)]
        case RecordMinutes():
            return [_minutes(state, command, now)]
    raise AssertionError(command)  # pragma: no cover - the union is exhausted above


def _minutes(state: MeetingState, command: RecordMinutes, now: datetime) -> StandingMeetingMinuted:
    if now < state.at:
        raise MeetingRefused("the minutes are recorded once the meeting has been held", "meeting_not_held")
    if len(set(command.present)) != len(command.present):
        raise MeetingRefused("a department appears twice in the attendance", "duplicate_department")
    strangers = [d for d in command.present if d not in state.departments]
    if strangers:
        raise MeetingRefused(f"department {strangers[0]} was not invited to the meeting", "not_invited",
                             department=strangers[0])
    seen: set[str] = set()
    items: list[MeetingItemMinute] = []
    for minute in command.items:
        item = state.accepted_item_of(minute.case_id)
        if item is None:
            raise MeetingRefused(f"case {minute.case_id} is not an accepted item of the agenda", "not_an_item",
                                 case=minute.case_id)
        if minute.case_id in seen:
            raise MeetingRefused(f"case {minute.case_id} has two decisions; one decision per item", "two_decisions",
                                 case=minute.case_id)
        seen.add(minute.case_id)
        for promise in minute.commitments:
            if promise.department not in command.present:
                raise MeetingRefused(f"department {promise.department} did not attend "
                                     "and cannot take on a commitment", "absent_commitment",
                                     department=promise.department)
            if promise.due_at <= now:
                raise MeetingRefused(f"the commitment of {promise.department} is due "
                                     f"{promise.due_at.isoformat()}, which has already passed", "commitment_due_passed",
                                     department=promise.department, due=promise.due_at.isoformat())
        items.append(MeetingItemMinute(
            item_id=item.item_id, case_id=minute.case_id, decision=minute.decision,
            commitments=tuple(MeetingItemCommitment(department=p.department, what=p.what, due_at=p.due_at)
                              for p in minute.commitments)))
    absent = tuple(d for d in state.departments if d not in command.present)
    return StandingMeetingMinuted(present=command.present, absent=absent, items=tuple(items))


def evolve(state: MeetingState | None, event: MeetingEvent) -> MeetingState:
    if isinstance(event, StandingMeetingCalled):
        return MeetingState(meeting_id=event.meeting_id, kind=event.kind, title=event.title, at=event.at,
                            jurisdiction=event.jurisdiction, departments=event.departments,
                            other_attendees=event.other_attendees)
    if state is None:
        raise ValueError(f"{event.type} before the meeting was called")
    match event:
        case AgendaItemProposed():
            item = AgendaItem(item_id=event.item_id, case_id=event.case_id, proposed_by=event.proposed_by,
                              note=event.note)
            return state.model_copy(update={"agenda": (*state.agenda, item)})
        case AgendaItemDecided():
            agenda = tuple(i.model_copy(update={"accepted": event.accepted}) if i.item_id == event.item_id else i
                           for i in state.agenda)
            return state.model_copy(update={"agenda": agenda})
        case StandingMeetingMinuted():
            return state.model_copy(update={"minutes": event})
    raise AssertionError(event)  # pragma: no cover


def replay(events: list[MeetingEvent]) -> MeetingState | None:
    state: MeetingState | None = None
    for event in events:
        state = evolve(state, event)
    return state


def case_records(state: MeetingState) -> dict[str, ConveneMeeting]:
    """What each case of the minutes records through its own workflow: the meeting with every invited
    department (so the absent ones stand on the case), who came, and the commitments taken on that case."""
    minutes = state.minutes
    if minutes is None:
        return {}
    name = KIND_NAMES[state.kind]
    return {
        item.case_id: ConveneMeeting(
            at=state.at, departments=state.departments,
            agenda=f"{name}「{state.title}」（{state.meeting_id}）决定：{item.decision}",
            attended=minutes.present,
            commitments=tuple(CommitmentPromise(department=c.department, what=c.what, due_at=c.due_at)
                              for c in item.commitments))
        for item in minutes.items
    }


# ``[meetings] round_table_every``: how often the centre convenes its round table.
_EVERY_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def round_table_due(every: str, last_held: date | None, today: date) -> date | None:
    """The day from which the next round table is due, when it is due by ``today``; None when not yet.

    Due from the first day of the period after the one of the last round table (a quarterly table held in
    February is due again from 1 April); a centre that never held one is due at once."""
    months = _EVERY_MONTHS.get(every)
    if months is None:
        raise ValueError(f"round_table_every must be one of {', '.join(_EVERY_MONTHS)}, not {every!r}")
    if last_held is None:
        return today
    period_start = (last_held.month - 1) // months * months  # months since January of the period's start
    month = period_start + months
    due = date(last_held.year + month // 12, month % 12 + 1, 1)
    return due if due <= today else None


def meeting_notice(state: MeetingState, reminder: bool, when: str) -> tuple[str, str]:
    """The invitation (会议通知) or the reminder the day before, sent to each invited department: the meeting,
    its time (``when``, local), and the agenda as settled so far. Case ids only, never a party's data."""
    name = KIND_NAMES[state.kind]
    subject = f"【联调·{'会议提醒' if reminder else '会议通知'}】{name}「{state.title}」"
    accepted = [i.case_id for i in state.agenda if i.accepted]
    agenda = "、".join(accepted) if accepted else "议题征集中"
    return subject, f"{subject}\n时间：{when}\n会议编号：{state.meeting_id}\n议题：{agenda}"
