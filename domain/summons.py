"""Summons (吹哨报到) and joint meetings (联席会议), as docs/domain.md's supervision rules describe them: the centre
summons departments, each must report within ``summons.report_within``; a meeting records who attended and
what each department took on (commitments, watched until fulfilled)."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import due_at
from domain.case import CaseState, summons_watch_id
from domain.commands import (
    CommitmentPromise,
    ConveneMeeting,
    FulfilCommitment,
    RecordMeetingMinutes,
    ReportToSummons,
    SummonDepartments,
)
from domain.events import (
    Actor,
    CommitmentFulfilled,
    CommitmentTaken,
    DepartmentsSummoned,
    DomainEvent,
    MeetingConvened,
    MeetingMinutesRecorded,
    SummonsReported,
)
from domain.policy import DEFAULT_SUMMONS, Duration
from domain.rules import ActionRefused, pinned_policy, require_stage, watch_cleared
from domain.vocabulary import Stage


def summon(state: CaseState, command: SummonDepartments, now: datetime) -> list[DomainEvent]:
    require_stage(state, Stage.triage, Stage.coordination)
    if len(set(command.departments)) != len(command.departments):
        raise ActionRefused("a department appears twice in the summons", "duplicate_department")
    pinned = pinned_policy(state)
    within_text = command.report_within
    if within_text is not None:
        try:
            within = Duration.parse(within_text)
        except ValueError as exc:
            raise ActionRefused(f"report_within: {exc}", "bad_duration", field="report_within") from exc
    else:
        # a case received before summonses existed uses today's default limit
        within = (pinned.policy.summons or DEFAULT_SUMMONS).report_within
    return [DepartmentsSummoned(summons_id=f"{state.case_id}-S{len(state.summons) + 1}",
                                departments=command.departments, reason=command.reason,
                                due_at=due_at(now, within, pinned.calendar),
                                escalate_to={d: command.escalate_to.get(d) for d in command.departments})]


def report(state: CaseState, command: ReportToSummons, actor: Actor) -> list[DomainEvent]:
    require_stage(state, Stage.triage, Stage.coordination)
    summons = state.summons_by_id(command.summons_id)
    if summons is None:
        raise ActionRefused(f"the case has no summons {command.summons_id}", "no_summons", summons=command.summons_id)
    department = next((d for d in summons.departments if d.department == actor.department), None)
    if department is None:  # only a system actor could get here: authorize checks liaisons
        raise ActionRefused(f"department {actor.department} was not summoned by {summons.summons_id}", "not_summoned",
                            department=str(actor.department), summons=summons.summons_id)
    if department.reported_at is not None:
        raise ActionRefused(f"department {department.department} already reported to {summons.summons_id}",
                            "already_reported", department=department.department, summons=summons.summons_id)
    watch = state.watch(summons_watch_id(summons.summons_id, department.department))
    return [*watch_cleared(watch), SummonsReported(summons_id=summons.summons_id,
                                                   department=department.department, note=command.note)]


def convene_meeting(state: CaseState, command: ConveneMeeting, now: datetime) -> list[DomainEvent]:
    require_stage(state, Stage.coordination)
    meeting_id = f"{state.case_id}-M{len(state.meetings) + 1}"
    convened = MeetingConvened(meeting_id=meeting_id, at=command.at, departments=command.departments,
                               agenda=command.agenda)
    if not command.attended:
        if command.commitments:
            raise ActionRefused("commitments need the meeting's attendance (attended)", "commitments_need_attendance")
        return [convened]
    return [convened, _minutes(state, meeting_id, command.attended, command.commitments, now)]


def record_minutes(state: CaseState, command: RecordMeetingMinutes, now: datetime) -> list[DomainEvent]:
    require_stage(state, Stage.coordination)
    if not any(m.meeting_id == command.meeting_id for m in state.meetings):
        raise ActionRefused(f"the case has no meeting {command.meeting_id}", "no_meeting", meeting=command.meeting_id)
    if any(m.meeting_id == command.meeting_id for m in state.minutes):
        raise ActionRefused(f"the minutes of meeting {command.meeting_id} are already recorded", "minutes_recorded",
                            meeting=command.meeting_id)
    return [_minutes(state, command.meeting_id, command.attended, command.commitments, now)]


def fulfil_commitment(state: CaseState, command: FulfilCommitment) -> list[DomainEvent]:
    commitment = state.commitment(command.commitment_id)
    if commitment is None:
        raise ActionRefused(f"the case has no commitment {command.commitment_id}", "no_commitment",
                            commitment=command.commitment_id)
    if commitment.fulfilled_at is not None:
        raise ActionRefused(f"commitment {command.commitment_id} was already fulfilled", "commitment_fulfilled",
                            commitment=command.commitment_id)
    watch = state.watch(commitment.commitment_id)
    return [*watch_cleared(watch), CommitmentFulfilled(commitment_id=commitment.commitment_id, note=command.note)]


def _minutes(state: CaseState, meeting_id: str, attended: tuple[str, ...],
             promises: tuple[CommitmentPromise, ...], now: datetime) -> MeetingMinutesRecorded:
    if len(set(attended)) != len(attended):
        raise ActionRefused("a department appears twice in the attendance", "duplicate_department")
    taken: list[CommitmentTaken] = []
    first = len(state.commitments) + 1
    for n, promise in enumerate(promises, start=first):
        if promise.department not in attended:
            raise ActionRefused(f"department {promise.department} did not attend and cannot take on a commitment",
                                "absent_commitment", department=promise.department)
        if promise.due_at <= now:
            raise ActionRefused(f"the commitment of {promise.department} is due {promise.due_at.isoformat()}, "
                                "which has already passed", "commitment_due_passed",
                                department=promise.department, due=promise.due_at.isoformat())
        taken.append(CommitmentTaken(commitment_id=f"{meeting_id}-C{n}", department=promise.department,
                                     what=promise.what, due_at=promise.due_at))
    return MeetingMinutesRecorded(meeting_id=meeting_id, attended=attended, commitments=tuple(taken))
