"""``decide(state, command, actor, now) -> events``: what a command does to a case, or why it may not.

Pure: time comes in as ``now``; ids are derived from the state (task ``C-…-T3``), so the same command on
the same state always gives the same events, in the workflow, its validator and any replay."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import due_at, shift_for_pause
from domain.case import CaseState, Task
from domain.commands import (
    AcknowledgeTask,
    AddAttachment,
    ArchiveCase,
    Command,
    ConveneMeeting,
    DecideExtension,
    DeclineCase,
    EscalateTask,
    PauseClock,
    ReceiveCase,
    RecordFollowUp,
    RecordMediation,
    RemindTask,
    ReplyTask,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    VerifyResolution,
)
from domain.events import (
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
    DomainEvent,
    DueTimes,
    EscalationCleared,
    ExtensionDecided,
    ExtensionRequested,
    FollowUpRecorded,
    MediationRecorded,
    MeetingConvened,
    ResolutionRejected,
    ResolutionSubmitted,
    ResolutionVerified,
    TaskAcknowledged,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
    TaskReplied,
    TaskReturned,
)
from domain.policy import Duration, PinnedPolicy
from domain.vocabulary import ArchiveReason, Clock, Outcome, Role, Satisfaction, Stage, TaskRole, TaskStatus


class ActionRefused(Exception):
    """The case is not in a state that allows this (HTTP 409). The message says why."""


class NotPermitted(Exception):
    """This role or department may not take this action (HTTP 403)."""


# Who may issue each command (DOMAIN.md, "Who uses it"). Liaisons act only on their own department's tasks.
PERMITTED: dict[type, frozenset[Role]] = {
    ReceiveCase: frozenset({Role.mediator}),
    DeclineCase: frozenset({Role.mediator}),
    RouteCase: frozenset({Role.mediator}),
    AcknowledgeTask: frozenset({Role.liaison}),
    ReturnTask: frozenset({Role.liaison}),
    RequestExtension: frozenset({Role.liaison}),
    ReplyTask: frozenset({Role.liaison}),
    DecideExtension: frozenset({Role.supervisor}),
    PauseClock: frozenset({Role.supervisor}),
    ResumeClock: frozenset({Role.supervisor}),
    ConveneMeeting: frozenset({Role.mediator}),
    RecordMediation: frozenset({Role.mediator}),
    SubmitResolution: frozenset({Role.mediator}),
    VerifyResolution: frozenset({Role.supervisor}),
    RecordFollowUp: frozenset({Role.mediator}),
    ArchiveCase: frozenset({Role.mediator}),
    RemindTask: frozenset({Role.system}),
    EscalateTask: frozenset({Role.system}),
    # issue 12: the mediator and the liaisons of the departments holding a task on the case
    AddAttachment: frozenset({Role.mediator, Role.liaison}),
}
_LIAISON_COMMANDS = (AcknowledgeTask, ReturnTask, RequestExtension, ReplyTask)


def roles_for(command_type: type) -> frozenset[Role]:
    """The roles that may issue this kind of command: entry points check it early (before reading a body)."""
    return PERMITTED[command_type]


def pinned_policy(state: CaseState) -> PinnedPolicy:
    if state.policy is None:
        raise ActionRefused("the case has not been received yet")
    return state.policy


def authorize(state: CaseState, command: Command, actor: Actor) -> None:
    allowed = PERMITTED[type(command)]
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise NotPermitted(f"a {actor.role.value} may not do this; it is for: {names}")
    if isinstance(command, _LIAISON_COMMANDS):
        task = state.task(command.task_id)
        if task is not None and task.department != actor.department:
            raise NotPermitted(f"task {command.task_id} belongs to department {task.department}")
    if isinstance(command, AddAttachment) and actor.role is Role.liaison and not any(
            t.department == actor.department for t in state.tasks):
        raise NotPermitted(f"department {actor.department} holds no task on this case")


def _require_stage(state: CaseState, *stages: Stage) -> None:
    if state.stage not in stages:
        wanted = " or ".join(s.value for s in stages)
        raise ActionRefused(f"the case is in stage {state.stage.value}; this needs {wanted}")


def _task(state: CaseState, task_id: str, *statuses: TaskStatus) -> Task:
    task = state.task(task_id)
    if task is None:
        raise ActionRefused(f"the case has no task {task_id}")
    if statuses and task.status not in statuses:
        wanted = " or ".join(s.value for s in statuses)
        raise ActionRefused(f"task {task_id} is {task.status.value}; this needs {wanted}")
    return task


def _cleared(task: Task, clock: Clock) -> list[DomainEvent]:
    if task.escalation_level == 0:
        return []
    return [EscalationCleared(task_id=task.task_id, clock=clock, level=task.escalation_level)]


def _reopen_lead(state: CaseState, now: datetime) -> tuple[DueTimes, ...]:
    """After a rejected verification or a dissatisfied follow-up, the lead department works again."""
    pinned = pinned_policy(state)
    deadlines = pinned.policy.risk[state.risk_level]
    return tuple(
        DueTimes(task_id=t.task_id, acknowledge_due_at=t.acknowledge_due_at,
                 reply_due_at=due_at(now, deadlines.reply_within, pinned.calendar))
        for t in state.tasks
        if t.role is TaskRole.lead and t.status is TaskStatus.replied
    )


def decide(state: CaseState, command: Command, actor: Actor, now: datetime) -> list[DomainEvent]:
    authorize(state, command, actor)
    if state.stage is Stage.archived:
        raise ActionRefused("the case is archived: its record is sealed")
    if state.version == 0 and not isinstance(command, ReceiveCase):
        raise ActionRefused("the case has not been received yet")
    match command:
        case ReceiveCase():
            if state.version:
                raise ActionRefused("the case has already been received")
            received = CaseReceived(
                title=command.title, description=command.description, category=command.category,
                channel=command.channel, grid_id=command.grid_id, risk_level=command.risk_level,
                parties=command.parties, policy=command.policy, duplicate_of=command.duplicate_of,
                organisation=command.organisation,
            )
            if command.duplicate_of:
                return [received, CaseMarkedDuplicate(duplicate_of=command.duplicate_of),
                        CaseArchived(reason=ArchiveReason.duplicate)]
            return [received]
        case DeclineCase():
            _require_stage(state, Stage.intake, Stage.triage)
            return [CaseNotAccepted(reason=command.reason, reason_code=command.reason_code),
                    CaseArchived(reason=ArchiveReason.not_accepted)]
        case RouteCase():
            return _route(state, command, now)
        case AcknowledgeTask():
            _require_stage(state, Stage.coordination)
            task = _task(state, command.task_id, TaskStatus.pending_ack)
            return [*_cleared(task, Clock.acknowledge), TaskAcknowledged(task_id=task.task_id)]
        case ReturnTask():
            _require_stage(state, Stage.coordination)
            task = _task(state, command.task_id, TaskStatus.pending_ack, TaskStatus.acknowledged)
            cleared: list[DomainEvent] = []
            for other in state.active_tasks:  # every open escalation closes with the tasks
                clock = other.open_clock
                if clock is not None:
                    cleared += _cleared(other, clock)
            return [*cleared, TaskReturned(task_id=task.task_id, reason=command.reason)]
        case RequestExtension():
            _require_stage(state, Stage.coordination)
            task = _task(state, command.task_id, TaskStatus.acknowledged)
            if task.pending_extension is not None:
                raise ActionRefused(f"task {task.task_id} already has an extension request awaiting decision")
            try:
                Duration.parse(command.extra)
            except ValueError as exc:
                raise ActionRefused(str(exc)) from exc
            return [ExtensionRequested(task_id=task.task_id, extra=command.extra, reason=command.reason)]
        case DecideExtension():
            _require_stage(state, Stage.coordination)
            task = _task(state, command.task_id)
            if task.pending_extension is None:
                raise ActionRefused(f"task {task.task_id} has no extension request awaiting decision")
            if not command.approve:
                return [ExtensionDecided(task_id=task.task_id, approved=False, note=command.note,
                                         reply_due_at=task.reply_due_at)]
            calendar = pinned_policy(state).calendar
            moved = due_at(task.reply_due_at, Duration.parse(task.pending_extension.extra), calendar)
            # The reply clock restarts on the new deadline, so its open warning (if any) is cleared.
            clear = _cleared(task, Clock.reply) if task.open_clock is Clock.reply and moved > now else []
            return [*clear, ExtensionDecided(task_id=task.task_id, approved=True, note=command.note,
                                             reply_due_at=moved)]
        case ReplyTask():
            _require_stage(state, Stage.coordination)
            task = _task(state, command.task_id, TaskStatus.acknowledged)
            return [*_cleared(task, Clock.reply), TaskReplied(task_id=task.task_id, summary=command.summary)]
        case PauseClock():
            _require_stage(state, Stage.triage, Stage.coordination)
            if state.paused_at is not None:
                raise ActionRefused("the clock is already paused")
            return [ClockPaused(reason=command.reason)]
        case ResumeClock():
            if state.paused_at is None:
                raise ActionRefused("the clock is not paused")
            calendar = pinned_policy(state).calendar
            shifted = tuple(
                DueTimes(
                    task_id=t.task_id,
                    acknowledge_due_at=shift_for_pause(t.acknowledge_due_at, state.paused_at, now, calendar),
                    reply_due_at=shift_for_pause(t.reply_due_at, state.paused_at, now, calendar),
                )
                for t in state.active_tasks
            )
            return [ClockResumed(reason=command.reason, due_times=shifted)]
        case ConveneMeeting():
            _require_stage(state, Stage.coordination)
            return [MeetingConvened(meeting_id=f"{state.case_id}-M{len(state.meetings) + 1}", at=command.at,
                                    departments=command.departments, agenda=command.agenda)]
        case RecordMediation():
            _require_stage(state, Stage.coordination)
            return [MediationRecorded(mediation_id=f"{state.case_id}-R{len(state.mediations) + 1}",
                                      method=command.method, agreement_reached=command.agreement_reached,
                                      terms=command.terms)]
        case SubmitResolution():
            return _submit_resolution(state, command)
        case VerifyResolution():
            _require_stage(state, Stage.supervision)
            if state.verified:
                raise ActionRefused("the resolution is already verified")
            if command.accepted:
                return [ResolutionVerified(note=command.note)]
            return [ResolutionRejected(note=command.note, reopened=_reopen_lead(state, now))]
        case RecordFollowUp():
            return _follow_up(state, command, now)
        case ArchiveCase():
            _require_stage(state, Stage.supervision)
            if not state.verified or not state.follow_ups:
                raise ActionRefused("a case is archived after its verification (验收) and follow-up (回访)")
            return [CaseArchived(reason=ArchiveReason.resolved)]
        case RemindTask():
            task = _watched(state, command.task_id, command.clock)
            if (command.clock, command.fraction) in task.reminded:
                raise ActionRefused("already reminded")
            return [TaskReminded(task_id=task.task_id, clock=command.clock, fraction=command.fraction,
                                 due_at=task.due_at(command.clock))]
        case EscalateTask():
            task = _watched(state, command.task_id, command.clock)
            if task.escalation_level >= command.level:
                raise ActionRefused("already escalated to this level")
            return [TaskEscalated(task_id=task.task_id, clock=command.clock, level=command.level,
                                  due_at=task.due_at(command.clock),
                                  notify_jurisdiction=task.escalate_to if command.level == 3 else None)]
        # issue 12
        case AddAttachment():
            if any(a.sha256 == command.sha256 for a in state.attachments):
                raise ActionRefused(f"this file is already attached ({command.sha256[:12]}…)")
            return [AttachmentAdded(sha256=command.sha256, name=command.name, media_type=command.media_type,
                                    size=command.size)]
    raise ActionRefused(f"unknown command {type(command).__name__}")  # pragma: no cover


def _watched(state: CaseState, task_id: str, clock: Clock) -> Task:
    task = _task(state, task_id)
    if task.open_clock is not clock or state.paused_at is not None:
        raise ActionRefused(f"task {task_id} is not running on its {clock.value} clock")
    return task


def _route(state: CaseState, command: RouteCase, now: datetime) -> list[DomainEvent]:
    _require_stage(state, Stage.triage)
    departments = (command.lead_department, *command.co_departments)
    if len(set(departments)) != len(departments):
        raise ActionRefused("a department appears twice in the route")
    refused = [d for d in departments if d in state.returned_by]
    if refused:
        raise ActionRefused(f"department {refused[0]} returned this case and may not be routed to again")
    pinned = pinned_policy(state)
    deadlines = pinned.policy.risk[state.risk_level]
    ack_due = due_at(now, deadlines.acknowledge_within, pinned.calendar)
    reply_due = due_at(now, deadlines.reply_within, pinned.calendar)
    events: list[DomainEvent] = [CaseRouted(lead_department=command.lead_department,
                                            co_departments=command.co_departments, note=command.note,
                                            suggested_lead=command.suggested_lead)]
    for n, department in enumerate(departments, start=len(state.tasks) + 1):
        events.append(TaskAssigned(
            task_id=f"{state.case_id}-T{n}", department=department,
            role=TaskRole.lead if department == command.lead_department else TaskRole.co,
            acknowledge_due_at=ack_due, reply_due_at=reply_due, escalate_to=command.escalate_to.get(department),
        ))
    return events


def _submit_resolution(state: CaseState, command: SubmitResolution) -> list[DomainEvent]:
    _require_stage(state, Stage.coordination)
    lead_replied = any(t.role is TaskRole.lead and t.status is TaskStatus.replied for t in state.tasks)
    if not lead_replied and command.outcome is not Outcome.withdrawn:
        raise ActionRefused("the lead department has not replied yet (only a withdrawal can be submitted now)")
    cleared: list[DomainEvent] = []
    for task in state.active_tasks:  # co-departments still open are closed with the resolution
        clock = task.open_clock
        if clock is not None:
            cleared += _cleared(task, clock)
    return [*cleared, ResolutionSubmitted(outcome=command.outcome, summary=command.summary)]


def _follow_up(state: CaseState, command: RecordFollowUp, now: datetime) -> list[DomainEvent]:
    _require_stage(state, Stage.supervision)
    if not state.verified:
        raise ActionRefused("follow-up (回访) comes after the resolution is verified (验收)")
    recorded = FollowUpRecorded(satisfaction=command.satisfaction, note=command.note)
    allowed = pinned_policy(state).policy.follow_up.reopen_on_dissatisfied
    if command.satisfaction is Satisfaction.dissatisfied and state.reopen_count < allowed:
        return [recorded, CaseReopened(reason="当事人不满意 (dissatisfied follow-up)",
                                       reopen_count=state.reopen_count + 1, reopened=_reopen_lead(state, now))]
    return [recorded]
