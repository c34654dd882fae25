"""``decide(state, command, actor, now) -> events``: what a command does to a case, or why it may not.

Pure: time comes in as ``now``; ids are derived from the state (task ``C-…-T3``), so the same command on
the same state always gives the same events, in the workflow, its validator and any replay."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import due_at, shift_for_pause, working_time_between
from domain.case import CaseState, Task, Watch, summons_watch_id
from domain.commands import (
    AcknowledgeTask,
    AddAttachment,
    ArchiveCase,
    Command,
    CommitmentPromise,
    ConveneMeeting,
    DecideExtension,
    DecideReturn,
    DeclineCase,
    EscalateTask,
    FulfilCommitment,
    JudgeComplaint,
    LiftListing,
    ListCase,
    PauseClock,
    ReceiveCase,
    RecordFollowUp,
    RecordMediation,
    RecordMeetingMinutes,
    RegradeRisk,
    RemindTask,
    ReplyTask,
    ReportToSummons,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    SummonDepartments,
    VerifyResolution,
)
from domain.events import (
    Actor,
    AttachmentAdded,
    CaseArchived,
    CaseListed,
    CaseMarkedDuplicate,
    CaseNotAccepted,
    CaseReceived,
    CaseReopened,
    CaseRouted,
    ClockPaused,
    ClockResumed,
    CommitmentFulfilled,
    CommitmentTaken,
    ComplaintJudged,
    DepartmentsSummoned,
    DomainEvent,
    DueTimes,
    EscalationCleared,
    ExtensionDecided,
    ExtensionRequested,
    FollowUpRecorded,
    FollowUpScheduled,
    ListingLifted,
    MediationRecorded,
    MeetingConvened,
    MeetingMinutesRecorded,
    ResolutionRejected,
    ResolutionSubmitted,
    ResolutionVerified,
    ReturnDecided,
    ReturnRequested,
    RiskRegraded,
    SummonsReported,
    TaskAcknowledged,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
    TaskReplied,
    TaskReturned,
    TaskWithdrawn,
    WatchedDeadlinesMoved,
    WatchedDue,
)
from domain.policy import DEFAULT_SUMMONS, Duration, PinnedPolicy
from domain.vocabulary import (
    WATCH_CLOCKS,
    ArchiveReason,
    Clock,
    Outcome,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)


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
    # Whoever mediates records it: the centre's mediator, or the liaison of a department with a task on the
    # case (治安调解 by the police station, 司法调解 by the tribunal, ...).
    RecordMediation: frozenset({Role.mediator, Role.liaison}),
    SubmitResolution: frozenset({Role.mediator}),
    VerifyResolution: frozenset({Role.supervisor}),
    RecordFollowUp: frozenset({Role.mediator}),
    ArchiveCase: frozenset({Role.mediator}),
    RemindTask: frozenset({Role.system}),
    EscalateTask: frozenset({Role.system}),
    # issue 12: the mediator and the liaisons of the departments holding a task on the case
    AddAttachment: frozenset({Role.mediator, Role.liaison}),
    # issue 10
    DecideReturn: frozenset({Role.supervisor}),
    SummonDepartments: frozenset({Role.mediator, Role.supervisor}),
    ReportToSummons: frozenset({Role.liaison}),
    RecordMeetingMinutes: frozenset({Role.mediator}),
    FulfilCommitment: frozenset({Role.liaison, Role.mediator}),
    ListCase: frozenset({Role.supervisor}),
    LiftListing: frozenset({Role.supervisor}),
    RegradeRisk: frozenset({Role.mediator, Role.supervisor}),
    JudgeComplaint: frozenset({Role.supervisor}),
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
    if actor.role is not Role.liaison:
        return
    if isinstance(command, RecordMediation) and not any(t.department == actor.department for t in state.tasks):
        raise NotPermitted(f"department {actor.department} has no task on this case and may not record a mediation")
    if isinstance(command, ReportToSummons):
        summons = state.summons_by_id(command.summons_id)
        if summons is not None and actor.department not in {d.department for d in summons.departments}:
            raise NotPermitted(f"department {actor.department} was not summoned by {command.summons_id}")
    if isinstance(command, FulfilCommitment):
        commitment = state.commitment(command.commitment_id)
        if commitment is not None and commitment.department != actor.department:
            raise NotPermitted(f"commitment {command.commitment_id} belongs to department {commitment.department}")


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
            return _return(state, command, now)
        case DecideReturn():
            _require_stage(state, Stage.coordination)
            task = _task(state, command.task_id, TaskStatus.return_requested)
            decided = ReturnDecided(task_id=task.task_id, approved=command.approve, note=command.note)
            if not command.approve:
                return [decided]
            return [decided, *_returned(state, task, task.return_reason or "")]
        case RequestExtension():
            _require_stage(state, Stage.coordination)
            task = _task(state, command.task_id, TaskStatus.acknowledged)
            if task.pending_extension is not None:
                raise ActionRefused(f"task {task.task_id} already has an extension request awaiting decision")
            try:
                extra = Duration.parse(command.extra)
            except ValueError as exc:
                raise ActionRefused(str(exc)) from exc
            _check_extension_bounds(state, task, extra, now)
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
            resumed: list[DomainEvent] = [ClockResumed(reason=command.reason, due_times=shifted)]
            if state.open_watches:  # reports, commitments and the follow-up move by the paused time too
                resumed.append(WatchedDeadlinesMoved(due_times=tuple(
                    WatchedDue(watch_id=w.watch_id, due_at=shift_for_pause(w.due_at, state.paused_at, now, calendar))
                    for w in state.open_watches)))
            return resumed
        case ConveneMeeting():
            _require_stage(state, Stage.coordination)
            meeting_id = f"{state.case_id}-M{len(state.meetings) + 1}"
            convened = MeetingConvened(meeting_id=meeting_id, at=command.at, departments=command.departments,
                                       agenda=command.agenda)
            if not command.attended:
                if command.commitments:
                    raise ActionRefused("commitments need the meeting's attendance (attended)")
                return [convened]
            return [convened, _minutes(state, meeting_id, command.attended, command.commitments, now)]
        case RecordMeetingMinutes():
            _require_stage(state, Stage.coordination)
            if not any(m.meeting_id == command.meeting_id for m in state.meetings):
                raise ActionRefused(f"the case has no meeting {command.meeting_id}")
            if any(m.meeting_id == command.meeting_id for m in state.minutes):
                raise ActionRefused(f"the minutes of meeting {command.meeting_id} are already recorded")
            return [_minutes(state, command.meeting_id, command.attended, command.commitments, now)]
        case FulfilCommitment():
            commitment = state.commitment(command.commitment_id)
            if commitment is None:
                raise ActionRefused(f"the case has no commitment {command.commitment_id}")
            if commitment.fulfilled_at is not None:
                raise ActionRefused(f"commitment {command.commitment_id} was already fulfilled")
            watch = state.watch(commitment.commitment_id)
            return [*_watch_cleared(watch), CommitmentFulfilled(commitment_id=commitment.commitment_id,
                                                                 note=command.note)]
        case SummonDepartments():
            return _summon(state, command, now)
        case ReportToSummons():
            _require_stage(state, Stage.triage, Stage.coordination)
            summons = state.summons_by_id(command.summons_id)
            if summons is None:
                raise ActionRefused(f"the case has no summons {command.summons_id}")
            department = next((d for d in summons.departments if d.department == actor.department), None)
            if department is None:  # only a system actor could get here: authorize checks liaisons
                raise ActionRefused(f"department {actor.department} was not summoned by {summons.summons_id}")
            if department.reported_at is not None:
                raise ActionRefused(f"department {department.department} already reported to {summons.summons_id}")
            watch = state.watch(summons_watch_id(summons.summons_id, department.department))
            return [*_watch_cleared(watch), SummonsReported(summons_id=summons.summons_id,
                                                            department=department.department, note=command.note)]
        case ListCase():
            _require_stage(state, Stage.triage, Stage.coordination, Stage.supervision)
            if state.verified:
                raise ActionRefused("the resolution is already verified: nothing is left to supervise")
            if state.listing is not None:
                raise ActionRefused(f"the case is already listed (挂牌督办) under {state.listing.leader}")
            return [CaseListed(leader=command.leader, reason=command.reason)]
        case LiftListing():
            if state.listing is None:
                raise ActionRefused("the case is not listed (挂牌督办)")
            return [ListingLifted(reason=command.reason)]
        case RegradeRisk():
            if command.risk_level is state.risk_level:
                raise ActionRefused(f"the risk is already {state.risk_level.value}")
            return [RiskRegraded(previous=state.risk_level, risk_level=command.risk_level, reason=command.reason)]
        case JudgeComplaint():
            return _judge_complaint(state, command, now)
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
                if not state.as_practised:
                    return [ResolutionVerified(note=command.note)]
                # 回访 is due follow_up.within after verification, and watched like a task clock.
                pinned = pinned_policy(state)
                due = due_at(now, pinned.policy.follow_up.within, pinned.calendar)
                follow_up_id = f"{state.case_id}-F{sum(w.clock is Clock.follow_up for w in state.watches) + 1}"
                return [ResolutionVerified(note=command.note), FollowUpScheduled(follow_up_id=follow_up_id, due_at=due)]
            return [ResolutionRejected(note=command.note, reopened=_reopen_lead(state, now))]
        case RecordFollowUp():
            return _follow_up(state, command, now)
        case ArchiveCase():
            _require_stage(state, Stage.supervision)
            if not state.verified or not state.follow_ups:
                raise ActionRefused("a case is archived after its verification (验收) and follow-up (回访)")
            if state.complaint_pending:
                raise ActionRefused("the dissatisfied follow-up awaits a supervisor's judgement before archiving")
            return [CaseArchived(reason=ArchiveReason.resolved)]
        case RemindTask() if command.clock in WATCH_CLOCKS:
            watch = _watched_deadline(state, command.task_id, command.clock)
            if command.fraction in watch.reminded:
                raise ActionRefused("already reminded")
            return [TaskReminded(task_id=watch.watch_id, clock=command.clock, fraction=command.fraction,
                                 due_at=watch.due_at)]
        case EscalateTask() if command.clock in WATCH_CLOCKS:
            watch = _watched_deadline(state, command.task_id, command.clock)
            if watch.escalation_level >= command.level:
                raise ActionRefused("already escalated to this level")
            return [TaskEscalated(task_id=watch.watch_id, clock=command.clock, level=command.level,
                                  due_at=watch.due_at,
                                  notify_jurisdiction=watch.escalate_to if command.level == 3 else None)]
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
    for watch in state.open_watches:  # summonses and commitments stop being watched with the resolution
        cleared += _watch_cleared(watch)
    return [*cleared, ResolutionSubmitted(outcome=command.outcome, summary=command.summary)]


def _follow_up(state: CaseState, command: RecordFollowUp, now: datetime) -> list[DomainEvent]:
    _require_stage(state, Stage.supervision)
    if not state.verified:
        raise ActionRefused("follow-up (回访) comes after the resolution is verified (验收)")
    recorded = FollowUpRecorded(satisfaction=command.satisfaction, note=command.note)
    if state.complaint_pending:
        raise ActionRefused("the last follow-up's complaint awaits a supervisor's judgement")
    follow_up = next((w for w in state.open_watches if w.clock is Clock.follow_up), None)
    cleared = _watch_cleared(follow_up)
    if state.as_practised:  # a dissatisfied follow-up goes to a supervisor, who judges it (JudgeComplaint)
        return [*cleared, recorded]
    allowed = pinned_policy(state).policy.follow_up.reopen_on_dissatisfied
    if command.satisfaction is Satisfaction.dissatisfied and state.reopen_count < allowed:
        return [recorded, CaseReopened(reason="当事人不满意 (dissatisfied follow-up)",
                                       reopen_count=state.reopen_count + 1, reopened=_reopen_lead(state, now))]
    return [recorded]


# --- issue 10: supervision as practised ---------------------------------------------------------------------


def _watch_cleared(watch: Watch | None) -> list[DomainEvent]:
    if watch is None or watch.escalation_level == 0:
        return []
    return [EscalationCleared(task_id=watch.watch_id, clock=watch.clock, level=watch.escalation_level)]


def _watched_deadline(state: CaseState, watch_id: str, clock: Clock) -> Watch:
    watch = state.watch(watch_id)
    if watch is None or watch.clock is not clock or not watch.open or state.paused_at is not None:
        raise ActionRefused(f"{watch_id} is not running on its {clock.value} clock")
    return watch


def _returned(state: CaseState, task: Task, reason: str) -> list[DomainEvent]:
    """A return taking effect. As practised, only the lead's return sends the case back to triage (every
    open task closes with it); a co-department's withdraws its own task and leaves the lead's work alone."""
    if state.as_practised and task.role is TaskRole.co:
        clock = task.open_clock
        return [*(_cleared(task, clock) if clock else []), TaskWithdrawn(task_id=task.task_id, reason=reason)]
    cleared: list[DomainEvent] = []
    for other in state.active_tasks:  # every open escalation closes with the tasks
        clock = other.open_clock
        if clock is not None:
            cleared += _cleared(other, clock)
    return [*cleared, TaskReturned(task_id=task.task_id, reason=reason)]


def _return(state: CaseState, command: ReturnTask, now: datetime) -> list[DomainEvent]:
    _require_stage(state, Stage.coordination)
    requested = state.task(command.task_id)
    if requested is not None and requested.status is TaskStatus.return_requested:
        raise ActionRefused(f"task {command.task_id} already has a return awaiting a supervisor's decision")
    task = _task(state, command.task_id, TaskStatus.pending_ack, TaskStatus.acknowledged)
    returns = pinned_policy(state).policy.returns
    if returns is None:  # received before returns were reviewed: the return takes effect at once, as it did
        return _returned(state, task, command.reason)
    if task.forced:
        raise ActionRefused(f"task {task.task_id} was dispatched by order (强制派单) after a refused return; "
                            "it cannot be returned again")
    calendar = pinned_policy(state).calendar
    last = due_at(task.assigned_at, returns.within, calendar)
    if now > last:
        raise ActionRefused(f"a task can be returned only within {returns.within} of its assignment "
                            f"(until {last.isoformat()})")
    if returns.review == "none":
        return _returned(state, task, command.reason)
    return [ReturnRequested(task_id=task.task_id, reason=command.reason)]


def _check_extension_bounds(state: CaseState, task: Task, extra: Duration, now: datetime) -> None:
    limits = pinned_policy(state).policy.extensions
    if limits is None:  # received before extensions were bounded
        return
    if now >= task.reply_due_at:
        raise ActionRefused(f"an extension must be asked before the reply deadline passes "
                            f"({task.reply_due_at.isoformat()})")
    # Measured in working time on the case's calendar, so "3wd" and "24wh" compare as they should.
    calendar = pinned_policy(state).calendar
    used = sum((working_time_between(a, b, calendar) for a, b in task.extended), start=timedelta(0))
    asked = working_time_between(task.reply_due_at, due_at(task.reply_due_at, extra, calendar), calendar)
    cap = working_time_between(task.reply_due_at, due_at(task.reply_due_at, limits.max_total, calendar), calendar)
    if used + asked > cap:
        raise ActionRefused(f"extensions of task {task.task_id} may add at most {limits.max_total} in all "
                            f"(extensions.max_total); {_hours(used)} already granted, {_hours(asked)} asked")


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g}h of working time"


def _summon(state: CaseState, command: SummonDepartments, now: datetime) -> list[DomainEvent]:
    _require_stage(state, Stage.triage, Stage.coordination)
    if len(set(command.departments)) != len(command.departments):
        raise ActionRefused("a department appears twice in the summons")
    pinned = pinned_policy(state)
    within_text = command.report_within
    if within_text is not None:
        try:
            within = Duration.parse(within_text)
        except ValueError as exc:
            raise ActionRefused(f"report_within: {exc}") from exc
    else:
        # a case received before summonses existed uses today's default limit
        within = (pinned.policy.summons or DEFAULT_SUMMONS).report_within
    return [DepartmentsSummoned(summons_id=f"{state.case_id}-S{len(state.summons) + 1}",
                                departments=command.departments, reason=command.reason,
                                due_at=due_at(now, within, pinned.calendar),
                                escalate_to={d: command.escalate_to.get(d) for d in command.departments})]


def _minutes(state: CaseState, meeting_id: str, attended: tuple[str, ...],
             promises: tuple[CommitmentPromise, ...], now: datetime) -> MeetingMinutesRecorded:
    if len(set(attended)) != len(attended):
        raise ActionRefused("a department appears twice in the attendance")
    taken: list[CommitmentTaken] = []
    first = len(state.commitments) + 1
    for n, promise in enumerate(promises, start=first):
        if promise.department not in attended:
            raise ActionRefused(f"department {promise.department} did not attend and cannot take on a commitment")
        if promise.due_at <= now:
            raise ActionRefused(f"the commitment of {promise.department} is due {promise.due_at.isoformat()}, "
                                "which has already passed")
        taken.append(CommitmentTaken(commitment_id=f"{meeting_id}-C{n}", department=promise.department,
                                     what=promise.what, due_at=promise.due_at))
    return MeetingMinutesRecorded(meeting_id=meeting_id, attended=attended, commitments=tuple(taken))


def _judge_complaint(state: CaseState, command: JudgeComplaint, now: datetime) -> list[DomainEvent]:
    _require_stage(state, Stage.supervision)
    if not state.complaint_pending:
        raise ActionRefused("no dissatisfied follow-up awaits a judgement")
    judged = ComplaintJudged(reasonable=command.reasonable, reason=command.reason)
    if not command.reasonable:
        return [judged, CaseArchived(reason=ArchiveReason.resolved)]
    allowed = pinned_policy(state).policy.follow_up.reopen_on_dissatisfied
    if state.reopen_count >= allowed:
        raise ActionRefused(f"the case was already reopened {state.reopen_count} time(s), the most the policy "
                            f"allows (follow_up.reopen_on_dissatisfied = {allowed}); judge it unreasonable "
                            "to archive it")
    return [judged, CaseReopened(reason=f"回访不满意，经督办人认定合理: {command.reason}",
                                 reopen_count=state.reopen_count + 1, reopened=_reopen_lead(state, now))]

