"""Standing meetings (联席会议, 圆桌议事会) as use cases: call one, collect and settle its agenda, record its
minutes. The minutes reach every case of the meeting through that case's own workflow (``ConveneMeeting``
with attendance and commitments), so each commitment is watched by the case's ladder like any other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import uuid4

from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.meetings import MeetingStart
from application.access import require_role, require_visible
from application.errors import InvalidInput, NotFound, Refused, Unavailable, from_domain
from domain.events import Actor, MeetingEvent
from domain.meetings import (
    CallMeeting,
    DecideItem,
    MeetingCommand,
    MeetingNotPermitted,
    MeetingRefused,
    MeetingState,
    ProposeItem,
    RecordMinutes,
    case_records,
    decide,
    replay,
    round_table_due,
)
from domain.organisation import UnknownId
from domain.policy import MeetingsPolicy
from domain.vocabulary import Role
from infra.meetings import (
    StaleMeeting,
    append_meeting_events,
    last_round_table,
    meeting_events,
    meetings_between,
    seen_request,
)
from workflows.meeting import StandingMeetingWorkflow

if TYPE_CHECKING:
    from application.cases import Application

READ_MEETINGS = frozenset({Role.mediator, Role.liaison, Role.supervisor, Role.auditor, Role.admin, Role.leader})


@dataclass(frozen=True)
class MeetingWritten:
    meeting_id: str
    events: list[str]
    state: MeetingState


async def call_meeting(app: Application, actor: Actor, command: CallMeeting,
                       request_id: str | None = None) -> MeetingWritten:
    """召集: the departments invited must exist in the organisation, the place too."""
    for department in command.departments:
        try:
            app.org.department(department)
        except UnknownId as exc:
            raise InvalidInput(str(exc), "departments") from exc
    try:
        app.org.jurisdiction(command.jurisdiction)
    except UnknownId as exc:
        raise InvalidInput(str(exc), "jurisdiction") from exc
    if request_id is not None and (seen := await seen_request(app.pool, request_id)) is not None:
        return await _written(app, seen, [])
    meeting_id = f"MT-{app.clock().strftime('%Y%m%d')}-{uuid4().hex[:8]}"
    written = await _write(app, actor, meeting_id, command, request_id)
    await _start_notices(app, written.state)
    return written


async def propose_item(app: Application, actor: Actor, meeting_id: str, case_id: str, note: str | None = None,
                       request_id: str | None = None) -> MeetingWritten:
    """征集议题: a case put forward for the meeting by one who holds it."""
    state = await app._state(case_id)  # 404 for a case that does not exist
    if actor.role is Role.grid_worker:
        require_visible(state, actor)  # a grid worker puts forward only their own grid's cases
    return await _write(app, actor, meeting_id, ProposeItem(case_id=case_id, note=note), request_id)


async def decide_item(app: Application, actor: Actor, meeting_id: str, item_id: str, accepted: bool,
                      request_id: str | None = None) -> MeetingWritten:
    """审定: a supervisor puts an item on the agenda or declines it."""
    return await _write(app, actor, meeting_id, DecideItem(item_id=item_id, accepted=accepted), request_id)


async def record_minutes(app: Application, actor: Actor, meeting_id: str, minutes: RecordMinutes,
                         request_id: str | None = None) -> MeetingWritten:
    """会议纪要: then each case of the minutes records the meeting, who stayed away and its commitments."""
    written = await _write(app, actor, meeting_id, minutes, request_id)
    for case_id, record in case_records(written.state).items():
        # One request id per case: a repeated minutes request leaves each case its record once.
        per_case = f"{request_id or meeting_id}:{case_id}"
        await app.act(actor, case_id, record, per_case)
    return written


async def get_meeting(app: Application, actor: Actor, meeting_id: str) -> MeetingState:
    require_role(actor, READ_MEETINGS)
    state = replay(await meeting_events(app.pool, meeting_id))
    if state is None:
        raise NotFound(f"no meeting {meeting_id}", "no_standing_meeting", {"meeting": meeting_id})
    return state


async def list_meetings(app: Application, actor: Actor, start: datetime | None = None,
                        end: datetime | None = None) -> list[MeetingState]:
    require_role(actor, READ_MEETINGS)
    states = [replay(await meeting_events(app.pool, m)) for m in await meetings_between(app.pool, start, end)]
    return [s for s in states if s is not None]


async def round_table_due_from(app: Application, actor: Actor, today: date, every: str = "quarter") -> date | None:
    """The board's 会议到期: the day the next round table has been due from, or None when it is not yet due."""
    require_role(actor, READ_MEETINGS)
    last = await last_round_table(app.pool)
    return round_table_due(every, None if last is None else last.date(), today)


def round_table_every(app: Application) -> str:
    """``[meetings] round_table_every`` of the policy in force; quarterly when the policy has no such section.
    The district's, like ``[scoring]``: read when the board is drawn, never pinned on a case."""
    return (app.policy.meetings or MeetingsPolicy()).round_table_every


async def _start_notices(app: Application, state: MeetingState) -> None:
    """The meeting's own workflow sends the invitation now and the reminder the day before."""
    try:
        await app.temporal.start_workflow(
            StandingMeetingWorkflow.run, MeetingStart(meeting_id=state.meeting_id, reminder_at=state.reminder_at),
            id=f"meeting-{state.meeting_id}", task_queue=app.cases.task_queue)
    except WorkflowAlreadyStartedError:
        pass  # a repeat of the call: its notices are already under way
    except RPCError as exc:
        raise Unavailable(f"the engine could not schedule the meeting's notices: {exc.message}") from exc


async def _write(app: Application, actor: Actor, meeting_id: str, command: MeetingCommand,
                 request_id: str | None) -> MeetingWritten:
    if request_id is not None and await seen_request(app.pool, request_id) is not None:
        return await _written(app, meeting_id, [])
    events = await meeting_events(app.pool, meeting_id)
    state = replay(events)
    if state is None and not isinstance(command, CallMeeting):
        raise NotFound(f"no meeting {meeting_id}", "no_standing_meeting", {"meeting": meeting_id})
    now = app.clock()
    try:
        new = decide(state, command, role=actor.role, meeting_id=meeting_id, now=now)
    except (MeetingNotPermitted, MeetingRefused) as exc:  # the domain's two refusals, mapped as a case's are
        raise from_domain(exc) from exc
    after = replay([*events, *new])
    assert after is not None
    try:
        await append_meeting_events(app.pool, meeting_id, len(events), new, actor, now, after.at, request_id)
    except StaleMeeting as exc:
        raise Refused(f"meeting {meeting_id} changed meanwhile; try again", "meeting_changed") from exc
    return MeetingWritten(meeting_id=meeting_id, events=[e.type for e in new], state=after)


async def _written(app: Application, meeting_id: str, events: Sequence[MeetingEvent]) -> MeetingWritten:
    state = replay(await meeting_events(app.pool, meeting_id))
    if state is None:
        raise NotFound(f"no meeting {meeting_id}", "no_standing_meeting", {"meeting": meeting_id})
    return MeetingWritten(meeting_id=meeting_id, events=[e.type for e in events], state=state)
