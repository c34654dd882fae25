"""``decide(state, command, actor, now) -> events``: what a command does to a case, or why it may not.

Pure: time comes in as ``now``; ids are derived from the state (task ``C-…-T3``), so the same command on
the same state always gives the same events, in the workflow, its validator and any replay.

This module is the dispatcher, who may do what (``PERMITTED``) and the core lifecycle rules; supervision as
practised is in ``domain.supervision`` and ``domain.summons``, what they share in ``domain.rules``."""

from __future__ import annotations

from datetime import datetime

from domain import handling, papers, summons, supervision
from domain.calendar import due_at, holds_year, shift_for_pause
from domain.calendar_update import calendar_moves
from domain.case import CaseState, Task
from domain.commands import (
    AcknowledgeTask,
    AddAttachment,
    ApplyJudicialConfirmation,
    ArchiveCase,
    AssignLeader,
    Command,
    ConveneMeeting,
    DecideExtension,
    DecideJudicialConfirmation,
    DecideReturn,
    DeclineCase,
    EscalateTask,
    FulfilCommitment,
    HandUp,
    IssueDocument,
    JudgeComplaint,
    LiftListing,
    ListCase,
    NameAssignee,
    NoteCluster,
    PauseClock,
    RateTask,
    ReceiveCase,
    RecordFollowUp,
    RecordMediation,
    RecordMeetingMinutes,
    RecordPerformance,
    RegradeRisk,
    RemindTask,
    ReplyTask,
    ReportToSummons,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SettleOnSpot,
    SubmitResolution,
    SummonDepartments,
    UpdateCalendar,
    VerifyResolution,
)
from domain.events import (
    Actor,
    CalendarUpdated,
    CaseArchived,
    CaseMarkedDuplicate,
    CaseNotAccepted,
    CaseReceived,
    CaseReopened,
    CaseRouted,
    ClockPaused,
    ClockResumed,
    ClusterDetected,
    DomainEvent,
    DueTimes,
    ExtensionDecided,
    ExtensionRequested,
    FollowUpRecorded,
    LeaderAssigned,
    MediationRecorded,
    ResolutionRejected,
    ResolutionSubmitted,
    ResolutionVerified,
    TaskAcknowledged,
    TaskAssigned,
    TaskAssigneeNamed,
    TaskEscalated,
    TaskRated,
    TaskReminded,
    TaskReplied,
    WatchedDeadlinesMoved,
    WatchedDue,
)
from domain.organisation import JurisdictionLevel
from domain.policy import Duration
from domain.rules import (
    ActionRefused,
    NotPermitted,
    cleared,
    pinned_policy,
    reopen_lead,
    require_stage,
    task_in,
    watch_cleared,
)
from domain.vocabulary import (
    WATCH_CLOCKS,
    ArchiveReason,
    Channel,
    Clock,
    Outcome,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)

# ActionRefused and NotPermitted are defined in domain.rules and re-exported here, where callers import them.
__all__ = ["PERMITTED", "ActionRefused", "NotPermitted", "authorize", "decide", "pinned_policy", "roles_for"]

# Who may issue each command (docs/domain.md, "Who uses it"). Liaisons act only on their own department's tasks.
PERMITTED: dict[type, frozenset[Role]] = {
    # a grid worker reports (网格上报) from their own grid, and may settle it there (就地化解)
    ReceiveCase: frozenset({Role.mediator, Role.grid_worker}),
    SettleOnSpot: frozenset({Role.grid_worker}),
    # 上交: the centre's mediator, or the grid worker of the case's grid
    HandUp: frozenset({Role.mediator, Role.grid_worker}),
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
    # the community's mediator verifies a settlement on the spot (就地化解); any other result, a supervisor
    VerifyResolution: frozenset({Role.supervisor, Role.mediator}),
    RecordFollowUp: frozenset({Role.mediator}),
    ArchiveCase: frozenset({Role.mediator}),
    RemindTask: frozenset({Role.system}),
    EscalateTask: frozenset({Role.system}),
    # the mediator and the liaisons of the departments holding a task on the case
    AddAttachment: frozenset({Role.mediator, Role.liaison, Role.grid_worker}),  # a grid worker: photos of a report
    # supervision as practised
    DecideReturn: frozenset({Role.supervisor}),
    SummonDepartments: frozenset({Role.mediator, Role.supervisor}),
    ReportToSummons: frozenset({Role.liaison}),
    RecordMeetingMinutes: frozenset({Role.mediator}),
    FulfilCommitment: frozenset({Role.liaison, Role.mediator}),
    ListCase: frozenset({Role.supervisor}),
    LiftListing: frozenset({Role.supervisor}),
    AssignLeader: frozenset({Role.supervisor}),  # 包案
    NameAssignee: frozenset({Role.liaison}),  # 责任人: within the liaison's own department
    RegradeRisk: frozenset({Role.mediator, Role.supervisor}),
    JudgeComplaint: frozenset({Role.supervisor}),
    RateTask: frozenset({Role.supervisor}),
    UpdateCalendar: frozenset({Role.system}),
    # mediation papers: the mediator issues and records; the court's liaison enters its ruling
    IssueDocument: frozenset({Role.mediator}),
    RecordPerformance: frozenset({Role.mediator}),
    ApplyJudicialConfirmation: frozenset({Role.mediator}),
    DecideJudicialConfirmation: frozenset({Role.mediator, Role.liaison}),
    # 研判: the engine records a cluster alert on its cases at intake (application/clusters.py)
    NoteCluster: frozenset({Role.system}),
}
_LIAISON_COMMANDS = (AcknowledgeTask, ReturnTask, RequestExtension, ReplyTask, NameAssignee)


def roles_for(command_type: type) -> frozenset[Role]:
    """The roles that may issue this kind of command: entry points check it early (before reading a body)."""
    return PERMITTED[command_type]


def authorize(state: CaseState, command: Command, actor: Actor) -> None:
    allowed = PERMITTED[type(command)]
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise NotPermitted(f"a {actor.role.value} may not do this; it is for: {names}", "role",
                           role=actor.role.value, allowed=" ".join(sorted(r.value for r in allowed)))
    if isinstance(command, _LIAISON_COMMANDS):
        task = state.task(command.task_id)
        if task is not None and task.department != actor.department:
            raise NotPermitted(f"task {command.task_id} belongs to department {task.department}", "not_your_task",
                               task=command.task_id, department=task.department)
    if actor.role is Role.grid_worker:
        _authorize_grid_worker(state, command, actor)
    if isinstance(command, VerifyResolution) and actor.role is Role.mediator \
            and state.outcome is not Outcome.resolved_on_spot:
        raise NotPermitted("a mediator verifies only a settlement on the spot (就地化解); this is for: supervisor",
                           "verify_on_spot_only")
    if isinstance(command, AddAttachment) and actor.role is Role.liaison and not any(
            t.department == actor.department for t in state.tasks):
        raise NotPermitted(f"department {actor.department} holds no task on this case", "no_task_here",
                           department=str(actor.department))
    if actor.role is not Role.liaison:
        return
    if isinstance(command, RecordMediation) and not any(t.department == actor.department for t in state.tasks):
        raise NotPermitted(f"department {actor.department} has no task on this case and may not record a mediation",
                           "mediation_needs_task", department=str(actor.department))
    if isinstance(command, ReportToSummons):
        summoned = state.summons_by_id(command.summons_id)
        if summoned is not None and actor.department not in {d.department for d in summoned.departments}:
            raise NotPermitted(f"department {actor.department} was not summoned by {command.summons_id}",
                               "not_summoned", department=str(actor.department), summons=command.summons_id)
    if isinstance(command, DecideJudicialConfirmation):
        court = state.judicial_confirmation.court_department if state.judicial_confirmation else None
        if court != actor.department:
            raise NotPermitted(f"the ruling is entered by the liaison of the court applied to ({court or 'none yet'})",
                               "not_the_court", court=court or "")
    if isinstance(command, FulfilCommitment):
        commitment = state.commitment(command.commitment_id)
        if commitment is not None and commitment.department != actor.department:
            raise NotPermitted(f"commitment {command.commitment_id} belongs to department {commitment.department}",
                               "not_your_commitment", commitment=command.commitment_id,
                               department=commitment.department)


def _authorize_grid_worker(state: CaseState, command: Command, actor: Actor) -> None:
    """A grid worker acts only in their own grid, and reports through the grid channel (网格上报)."""
    grid = command.grid_id if isinstance(command, ReceiveCase) else state.grid_id
    if actor.jurisdiction is None:
        raise NotPermitted("this grid worker is bound to no grid", "no_grid")
    if grid != actor.jurisdiction:
        raise NotPermitted(f"a grid worker of {actor.jurisdiction} may not act in grid {grid}", "other_grid",
                           own=actor.jurisdiction, grid=str(grid))
    if isinstance(command, ReceiveCase) and command.channel is not Channel.grid_report:
        raise NotPermitted("a grid worker reports through the channel grid_report (网格上报)", "grid_channel")
    if isinstance(command, ReceiveCase) and command.handling_level not in _GRID_LEVELS:
        raise NotPermitted("a grid worker's report is handled in the grid or the community, not higher up",
                           "grid_report_level")
    if isinstance(command, HandUp) and state.handling_level not in _GRID_LEVELS:
        raise NotPermitted(f"a grid worker hands up only what the grid or the community handles; this case is "
                           f"handled at {state.handling_level.value}", "grid_hand_up_level",
                           level=state.handling_level.value)


_GRID_LEVELS = (None, JurisdictionLevel.grid, JurisdictionLevel.community)


def _settle_on_spot(state: CaseState, command: SettleOnSpot) -> list[DomainEvent]:
    """就地化解: the mediation and the resolution at once, straight after the report; no department task."""
    require_stage(state, Stage.triage)
    if state.tasks:
        raise ActionRefused("the case has been routed to departments: it can no longer be settled on the spot",
                            "routed_not_on_spot")
    if not command.agreement_reached:
        raise ActionRefused("a settlement on the spot needs the parties' agreement; "
                            "without one the case waits in triage (report it without a settlement)",
                            "on_spot_needs_agreement")
    return [MediationRecorded(mediation_id=f"{state.case_id}-R{len(state.mediations) + 1}", method=command.method,
                              agreement_reached=True, terms=command.terms),
            ResolutionSubmitted(outcome=Outcome.resolved_on_spot, summary=command.terms)]


def decide(state: CaseState, command: Command, actor: Actor, now: datetime) -> list[DomainEvent]:
    authorize(state, command, actor)
    if state.stage is Stage.archived:
        raise ActionRefused("the case is archived: its record is sealed", "archived")
    if state.version == 0 and not isinstance(command, ReceiveCase):
        raise ActionRefused("the case has not been received yet", "not_received")
    match command:
        case ReceiveCase():
            if state.version:
                raise ActionRefused("the case has already been received", "already_received")
            received = CaseReceived(
                title=command.title, description=command.description, category=command.category,
                channel=command.channel, grid_id=command.grid_id, risk_level=command.risk_level,
                parties=command.parties, policy=command.policy, duplicate_of=command.duplicate_of,
                organisation=command.organisation, departments=command.departments, repeat_of=command.repeat_of,
                # a grid worker's report waits in the community's triage unless it says otherwise
                handling_level=command.handling_level or (
                    JurisdictionLevel.community if actor.role is Role.grid_worker else None),
            )
            if command.duplicate_of:
                return [received, CaseMarkedDuplicate(duplicate_of=command.duplicate_of),
                        CaseArchived(reason=ArchiveReason.duplicate)]
            return [received]
        case DeclineCase():
            require_stage(state, Stage.intake, Stage.triage)
            return [CaseNotAccepted(reason=command.reason, reason_code=command.reason_code),
                    CaseArchived(reason=ArchiveReason.not_accepted)]
        case RouteCase():
            return _route(state, command, now)
        case AcknowledgeTask():
            require_stage(state, Stage.coordination)
            task = task_in(state, command.task_id, TaskStatus.pending_ack)
            return [*cleared(task, Clock.acknowledge), TaskAcknowledged(task_id=task.task_id)]
        case ReturnTask():
            return supervision.request_return(state, command, now)
        case DecideReturn():
            return supervision.decide_return(state, command)
        case RequestExtension():
            require_stage(state, Stage.coordination)
            task = task_in(state, command.task_id, TaskStatus.acknowledged)
            if task.pending_extension is not None:
                raise ActionRefused(f"task {task.task_id} already has an extension request awaiting decision",
                                    "extension_pending", task=task.task_id)
            try:
                extra = Duration.parse(command.extra)
            except ValueError as exc:
                raise ActionRefused(str(exc), "bad_duration", field="extra") from exc
            supervision.check_extension_bounds(state, task, extra, now)
            return [ExtensionRequested(task_id=task.task_id, extra=command.extra, reason=command.reason)]
        case DecideExtension():
            require_stage(state, Stage.coordination)
            task = task_in(state, command.task_id)
            if task.pending_extension is None:
                raise ActionRefused(f"task {task.task_id} has no extension request awaiting decision",
                                    "no_extension_pending", task=task.task_id)
            if not command.approve:
                return [ExtensionDecided(task_id=task.task_id, approved=False, note=command.note,
                                         reply_due_at=task.reply_due_at)]
            calendar = pinned_policy(state).calendar
            moved = due_at(task.reply_due_at, Duration.parse(task.pending_extension.extra), calendar)
            # The reply clock restarts on the new deadline, so its open warning (if any) is cleared.
            clear = cleared(task, Clock.reply) if task.open_clock is Clock.reply and moved > now else []
            return [*clear, ExtensionDecided(task_id=task.task_id, approved=True, note=command.note,
                                             reply_due_at=moved)]
        case ReplyTask():
            require_stage(state, Stage.coordination)
            task = task_in(state, command.task_id, TaskStatus.acknowledged)
            return [*cleared(task, Clock.reply), TaskReplied(task_id=task.task_id, summary=command.summary)]
        case PauseClock():
            require_stage(state, Stage.triage, Stage.coordination)
            if state.paused_at is not None:
                raise ActionRefused("the clock is already paused", "clock_paused")
            return [ClockPaused(reason=command.reason)]
        case ResumeClock():
            if state.paused_at is None:
                raise ActionRefused("the clock is not paused", "clock_not_paused")
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
            return summons.convene_meeting(state, command, now)
        case RecordMeetingMinutes():
            return summons.record_minutes(state, command, now)
        case FulfilCommitment():
            return summons.fulfil_commitment(state, command)
        case SummonDepartments():
            return summons.summon(state, command, now)
        case ReportToSummons():
            return summons.report(state, command, actor)
        case ListCase():
            return supervision.list_case(state, command)
        case LiftListing():
            return supervision.lift_listing(state, command)
        case AssignLeader():
            return _assign_leader(state, command)
        case NameAssignee():
            return _name_assignee(state, command)
        case RegradeRisk():
            return supervision.regrade_risk(state, command)
        case JudgeComplaint():
            return supervision.judge_complaint(state, command, now)
        case UpdateCalendar():
            pinned = pinned_policy(state)
            if holds_year(pinned.calendar, command.schedule):
                raise ActionRefused(f"the case's calendar already holds {command.schedule.year} as announced",
                                    "calendar_held", year=str(command.schedule.year))
            _, deadlines = calendar_moves(state, pinned, command.schedule, now)
            schedule = command.schedule
            return [CalendarUpdated(year=schedule.year, content_hash=schedule.content_hash,
                                    holidays=schedule.holidays, workdays=schedule.workdays, moved=deadlines)]
        case NoteCluster():
            if command.alert_id in state.clusters:
                raise ActionRefused(f"the case already records cluster alert {command.alert_id}", "already_noted")
            return [ClusterDetected(alert_id=command.alert_id, jurisdiction=command.jurisdiction,
                                    category=command.category, case_ids=command.case_ids, opened=command.opened)]
        case RateTask():
            task = task_in(state, command.task_id, TaskStatus.replied)
            if task.grade is not None:
                raise ActionRefused(f"task {task.task_id} is already rated", "already_rated", task=task.task_id)
            return [TaskRated(task_id=task.task_id, grade=command.grade, note=command.note)]
        case RecordMediation():
            require_stage(state, Stage.coordination)
            papers.check_mediation(command, now)
            return [MediationRecorded(mediation_id=f"{state.case_id}-R{len(state.mediations) + 1}",
                                      method=command.method, agreement_reached=command.agreement_reached,
                                      terms=command.terms, disputes=command.disputes,
                                      performance_method=command.performance_method,
                                      performance_due=command.performance_due)]
        case SettleOnSpot():
            return _settle_on_spot(state, command)
        case HandUp():
            return [handling.hand_up(state, command)]
        case SubmitResolution():
            return _submit_resolution(state, command)
        case VerifyResolution():
            require_stage(state, Stage.supervision)
            if state.verified:
                raise ActionRefused("the resolution is already verified", "already_verified")
            if command.accepted:
                if not state.as_practised:
                    return [ResolutionVerified(note=command.note)]
                return [ResolutionVerified(note=command.note), supervision.schedule_follow_up(state, now)]
            return [ResolutionRejected(note=command.note, reopened=reopen_lead(state, now))]
        case RecordFollowUp():
            return _follow_up(state, command, now)
        case ArchiveCase():
            require_stage(state, Stage.supervision)
            if not state.verified or not state.follow_ups:
                raise ActionRefused("a case is archived after its verification (验收) and follow-up (回访)",
                                    "archive_too_early")
            if state.complaint_pending:
                raise ActionRefused("the dissatisfied follow-up awaits a supervisor's judgement before archiving",
                                    "complaint_before_archive")
            awaited = state.open_performance
            if awaited is not None:
                raise ActionRefused(f"the agreement's performance (履行) is awaited until "
                                    f"{awaited.due_at.isoformat()}: record it before archiving", "performance_awaited",
                                    due=awaited.due_at.isoformat())
            return [CaseArchived(reason=ArchiveReason.resolved)]
        case RemindTask() if command.clock in WATCH_CLOCKS:
            return supervision.remind_watched(state, command)
        case EscalateTask() if command.clock in WATCH_CLOCKS:
            return supervision.escalate_watched(state, command)
        case RemindTask():
            task = _watched(state, command.task_id, command.clock)
            if (command.clock, command.fraction) in task.reminded:
                raise ActionRefused("already reminded", "already_reminded")
            return [TaskReminded(task_id=task.task_id, clock=command.clock, fraction=command.fraction,
                                 due_at=task.due_at(command.clock))]
        case EscalateTask():
            task = _watched(state, command.task_id, command.clock)
            if task.escalation_level >= command.level:
                raise ActionRefused("already escalated to this level", "already_escalated")
            return [TaskEscalated(task_id=task.task_id, clock=command.clock, level=command.level,
                                  due_at=task.due_at(command.clock),
                                  notify_jurisdiction=task.escalate_to if command.level == 3 else None)]
        # attachments
        case AddAttachment():
            return papers.attachment_events(state, command)
        case IssueDocument():
            return papers.issue_document(state, command, now)
        case RecordPerformance():
            return papers.record_performance(state, command, now)
        case ApplyJudicialConfirmation():
            return papers.apply_for_confirmation(state, command, now)
        case DecideJudicialConfirmation():
            return papers.decide_confirmation(state, command)
    raise ActionRefused(f"unknown command {type(command).__name__}")  # pragma: no cover


def _assign_leader(state: CaseState, command: AssignLeader) -> list[DomainEvent]:
    """包案: a leader user takes personal charge; naming the same leader again is refused (nothing would change)."""
    if command.user_role is not Role.leader:
        raise ActionRefused(f"user {command.user} is a {command.user_role.value}, not a leader: 包案 is a leader's",
                            "not_a_leader", user=command.user, role=command.user_role.value)
    if state.leader is not None and state.leader.user == command.user:
        raise ActionRefused(f"user {command.user} is already the case's leader (包案领导)", "already_leader",
                            user=command.user)
    return [LeaderAssigned(user=command.user, reason=command.reason)]


def _name_assignee(state: CaseState, command: NameAssignee) -> list[DomainEvent]:
    """责任人: someone of the task's own department, once the task is acknowledged and while it is worked on."""
    require_stage(state, Stage.coordination)
    task = task_in(state, command.task_id, TaskStatus.acknowledged, TaskStatus.return_requested)
    if task.acknowledged_at is None:
        raise ActionRefused(f"task {task.task_id} is not acknowledged yet: acknowledge it first", "task_status",
                            task=task.task_id, status=task.status.value, needs=TaskStatus.acknowledged.value)
    if command.user_department != task.department:
        raise NotPermitted(f"user {command.user} is not of department {task.department}: a task's 责任人 is one "
                           "of its own department", "assignee_department", user=command.user,
                           department=task.department)
    if task.assignee == command.user:
        raise ActionRefused(f"user {command.user} is already the 责任人 of task {task.task_id}", "already_assignee",
                            user=command.user, task=task.task_id)
    return [TaskAssigneeNamed(task_id=task.task_id, user=command.user)]


def _watched(state: CaseState, task_id: str, clock: Clock) -> Task:
    task = task_in(state, task_id)
    if task.open_clock is not clock or state.paused_at is not None:
        raise ActionRefused(f"task {task_id} is not running on its {clock.value} clock", "clock_not_running",
                            task=task_id, clock=clock.value)
    return task


def _route(state: CaseState, command: RouteCase, now: datetime) -> list[DomainEvent]:
    require_stage(state, Stage.triage)
    departments = (command.lead_department, *command.co_departments)
    if len(set(departments)) != len(departments):
        raise ActionRefused("a department appears twice in the route", "duplicate_department")
    refused = [d for d in departments if d in state.returned_by]
    if refused:
        raise ActionRefused(f"department {refused[0]} returned this case and may not be routed to again",
                            "returned_before", department=refused[0])
    if state.departments is not None:
        unknown = [d for d in departments if d not in state.departments]
        if unknown:
            raise ActionRefused(f"department {unknown[0]} is not in the organisation this case was received under",
                                "not_in_organisation", department=unknown[0])
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
    require_stage(state, Stage.coordination)
    if command.outcome is Outcome.resolved_on_spot:
        raise ActionRefused("resolved_on_spot is a grid worker's settlement on the spot (就地化解), not a resolution",
                            "on_spot_not_a_resolution")
    lead_replied = any(t.role is TaskRole.lead and t.status is TaskStatus.replied for t in state.tasks)
    if not lead_replied and command.outcome is not Outcome.withdrawn:
        raise ActionRefused("the lead department has not replied yet (only a withdrawal can be submitted now)",
                            "lead_not_replied")
    closed: list[DomainEvent] = []
    for task in state.active_tasks:  # co-departments still open are closed with the resolution
        clock = task.open_clock
        if clock is not None:
            closed += cleared(task, clock)
    for watch in state.open_watches:  # summonses and commitments stop being watched with the resolution
        closed += watch_cleared(watch)
    return [*closed, ResolutionSubmitted(outcome=command.outcome, summary=command.summary)]


def _follow_up(state: CaseState, command: RecordFollowUp, now: datetime) -> list[DomainEvent]:
    require_stage(state, Stage.supervision)
    if not state.verified:
        raise ActionRefused("follow-up (回访) comes after the resolution is verified (验收)", "follow_up_too_early")
    recorded = FollowUpRecorded(satisfaction=command.satisfaction, note=command.note)
    if state.complaint_pending:
        raise ActionRefused("the last follow-up's complaint awaits a supervisor's judgement", "complaint_pending")
    follow_up = next((w for w in state.open_watches if w.clock is Clock.follow_up), None)
    closed = watch_cleared(follow_up)
    if state.as_practised:  # a dissatisfied follow-up goes to a supervisor, who judges it (JudgeComplaint)
        return [*closed, recorded]
    allowed = pinned_policy(state).policy.follow_up.reopen_on_dissatisfied
    if command.satisfaction is Satisfaction.dissatisfied and state.reopen_count < allowed:
        return [recorded, CaseReopened(reason="当事人不满意 (dissatisfied follow-up)",
                                       reopen_count=state.reopen_count + 1, reopened=reopen_lead(state, now))]
    return [recorded]
