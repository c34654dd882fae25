"""Supervision as practised (督办规则, docs/domain.md): returns reviewed by a supervisor, extensions
bounded, listed supervision by hand, risk re-graded, the follow-up's deadline and the judgement of a
dissatisfied follow-up, and the watched deadlines (reports, commitments, follow-ups) reminded and escalated.

Summonses and joint meetings are in ``domain.summons``; ``domain.decide`` dispatches to both."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import due_at, working_time_between
from domain.case import CaseState, Task, Watch
from domain.commands import (
    DecideReturn,
    EscalateTask,
    JudgeComplaint,
    LiftListing,
    ListCase,
    RegradeRisk,
    RemindTask,
    ReturnTask,
)
from domain.events import (
    CaseArchived,
    CaseListed,
    CaseReopened,
    ComplaintJudged,
    DomainEvent,
    FollowUpScheduled,
    LeaderAssigned,
    ListingLifted,
    ReturnDecided,
    ReturnRequested,
    RiskRegraded,
    TaskEscalated,
    TaskReminded,
    TaskReturned,
    TaskWithdrawn,
)
from domain.policy import Duration
from domain.rules import ActionRefused, cleared, pinned_policy, reopen_lead, require_stage, task_in
from domain.vocabulary import ArchiveReason, Clock, Stage, TaskRole, TaskStatus

# --- returns are reviewed (退回审核) -------------------------------------------------------------------------


def request_return(state: CaseState, command: ReturnTask, now: datetime) -> list[DomainEvent]:
    require_stage(state, Stage.coordination)
    requested = state.task(command.task_id)
    if requested is not None and requested.status is TaskStatus.return_requested:
        raise ActionRefused(f"task {command.task_id} already has a return awaiting a supervisor's decision",
                            "return_pending", task=command.task_id)
    task = task_in(state, command.task_id, TaskStatus.pending_ack, TaskStatus.acknowledged)
    returns = pinned_policy(state).policy.returns
    if returns is None:  # received before returns were reviewed: the return takes effect at once, as it did
        return _returned(state, task, command.reason)
    if task.forced:
        raise ActionRefused(f"task {task.task_id} was dispatched by order (强制派单) after a refused return; "
                            "it cannot be returned again", "dispatched_by_order", task=task.task_id)
    calendar = pinned_policy(state).calendar
    last = due_at(task.assigned_at, returns.within, calendar)
    if now > last:
        raise ActionRefused(f"a task can be returned only within {returns.within} of its assignment "
                            f"(until {last.isoformat()})", "return_window_passed", within=str(returns.within),
                            until=last.isoformat())
    if returns.review == "none":
        return _returned(state, task, command.reason)
    return [ReturnRequested(task_id=task.task_id, reason=command.reason)]


def decide_return(state: CaseState, command: DecideReturn) -> list[DomainEvent]:
    require_stage(state, Stage.coordination)
    task = task_in(state, command.task_id, TaskStatus.return_requested)
    decided = ReturnDecided(task_id=task.task_id, approved=command.approve, note=command.note)
    if not command.approve:
        return [decided]
    return [decided, *_returned(state, task, task.return_reason or "")]


def _returned(state: CaseState, task: Task, reason: str) -> list[DomainEvent]:
    """A return taking effect. As practised, only the lead's return sends the case back to triage (every
    open task closes with it); a co-department's withdraws its own task and leaves the lead's work alone."""
    if state.as_practised and task.role is TaskRole.co:
        clock = task.open_clock
        return [*(cleared(task, clock) if clock else []), TaskWithdrawn(task_id=task.task_id, reason=reason)]
    closed: list[DomainEvent] = []
    for other in state.active_tasks:  # every open escalation closes with the tasks
        clock = other.open_clock
        if clock is not None:
            closed += cleared(other, clock)
    return [*closed, TaskReturned(task_id=task.task_id, reason=reason)]


# --- extensions are bounded ----------------------------------------------------------------------------------


def check_extension_bounds(state: CaseState, task: Task, extra: Duration, now: datetime) -> None:
    limits = pinned_policy(state).policy.extensions
    if limits is None:  # received before extensions were bounded
        return
    if now >= task.reply_due_at:
        raise ActionRefused(f"an extension must be asked before the reply deadline passes "
                            f"({task.reply_due_at.isoformat()})", "extension_too_late",
                            due=task.reply_due_at.isoformat())
    # Measured in working time on the case's calendar, so "3wd" and "24wh" compare as they should.
    calendar = pinned_policy(state).calendar
    used = sum((working_time_between(a, b, calendar) for a, b in task.extended), start=timedelta(0))
    asked = working_time_between(task.reply_due_at, due_at(task.reply_due_at, extra, calendar), calendar)
    cap = working_time_between(task.reply_due_at, due_at(task.reply_due_at, limits.max_total, calendar), calendar)
    if used + asked > cap:
        raise ActionRefused(f"extensions of task {task.task_id} may add at most {limits.max_total} in all "
                            f"(extensions.max_total); {_hours(used)} already granted, {_hours(asked)} asked",
                            "extension_limit", task=task.task_id, max_total=str(limits.max_total))


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g}h of working time"


# --- listed supervision by hand (挂牌督办) and risk -------------------------------------------------------------


def list_case(state: CaseState, command: ListCase) -> list[DomainEvent]:
    require_stage(state, Stage.triage, Stage.coordination, Stage.supervision)
    if state.verified:
        raise ActionRefused("the resolution is already verified: nothing is left to supervise", "nothing_to_supervise")
    if state.listing is not None:
        raise ActionRefused(f"the case is already listed (挂牌督办) under {state.listing.leader}", "already_listed")
    if command.leader_user is None:  # the old free-text form: a name or a post, no user behind it
        return [CaseListed(leader=command.leader, reason=command.reason)]
    # Listed under a leader user: the same user becomes the case's 包案 leader (told, and sees it among theirs).
    listed: list[DomainEvent] = [CaseListed(leader=command.leader_user, reason=command.reason,
                                            leader_user=command.leader_user)]
    if state.leader is None or state.leader.user != command.leader_user:
        listed.append(LeaderAssigned(user=command.leader_user, reason=command.reason))
    return listed


def lift_listing(state: CaseState, command: LiftListing) -> list[DomainEvent]:
    if state.listing is None:
        raise ActionRefused("the case is not listed (挂牌督办)", "not_listed")
    return [ListingLifted(reason=command.reason)]


def regrade_risk(state: CaseState, command: RegradeRisk) -> list[DomainEvent]:
    if command.risk_level is state.risk_level:
        raise ActionRefused(f"the risk is already {state.risk_level.value}", "risk_unchanged",
                            risk=state.risk_level.value)
    return [RiskRegraded(previous=state.risk_level, risk_level=command.risk_level, reason=command.reason)]


# --- the follow-up (回访) has a deadline; a dissatisfied one is judged ----------------------------------------


def schedule_follow_up(state: CaseState, now: datetime) -> FollowUpScheduled:
    """回访 is due follow_up.within after verification, and watched like a task clock."""
    pinned = pinned_policy(state)
    due = due_at(now, pinned.policy.follow_up.within, pinned.calendar)
    follow_up_id = f"{state.case_id}-F{sum(w.clock is Clock.follow_up for w in state.watches) + 1}"
    return FollowUpScheduled(follow_up_id=follow_up_id, due_at=due)


def judge_complaint(state: CaseState, command: JudgeComplaint, now: datetime) -> list[DomainEvent]:
    require_stage(state, Stage.supervision)
    if not state.complaint_pending:
        raise ActionRefused("no dissatisfied follow-up awaits a judgement", "no_complaint")
    judged = ComplaintJudged(reasonable=command.reasonable, reason=command.reason)
    if not command.reasonable:
        return [judged, CaseArchived(reason=ArchiveReason.resolved)]
    allowed = pinned_policy(state).policy.follow_up.reopen_on_dissatisfied
    if state.reopen_count >= allowed:
        raise ActionRefused(f"the case was already reopened {state.reopen_count} time(s), the most the policy "
                            f"allows (follow_up.reopen_on_dissatisfied = {allowed}); judge it unreasonable "
                            "to archive it", "reopen_limit", reopened=str(state.reopen_count))
    return [judged, CaseReopened(reason=f"回访不满意，经督办人认定合理: {command.reason}",
                                 reopen_count=state.reopen_count + 1, reopened=reopen_lead(state, now))]


# --- watched deadlines: summons reports, commitments, follow-ups (vocabulary.WATCH_CLOCKS) --------------------


def remind_watched(state: CaseState, command: RemindTask) -> list[DomainEvent]:
    watch = _watched_deadline(state, command.task_id, command.clock)
    if command.fraction in watch.reminded:
        raise ActionRefused("already reminded", "already_reminded")
    return [TaskReminded(task_id=watch.watch_id, clock=command.clock, fraction=command.fraction,
                         due_at=watch.due_at)]


def escalate_watched(state: CaseState, command: EscalateTask) -> list[DomainEvent]:
    watch = _watched_deadline(state, command.task_id, command.clock)
    if watch.escalation_level >= command.level:
        raise ActionRefused("already escalated to this level", "already_escalated")
    return [TaskEscalated(task_id=watch.watch_id, clock=command.clock, level=command.level,
                          due_at=watch.due_at,
                          notify_jurisdiction=watch.escalate_to if command.level == 3 else None)]


def _watched_deadline(state: CaseState, watch_id: str, clock: Clock) -> Watch:
    watch = state.watch(watch_id)
    if watch is None or watch.clock is not clock or not watch.open or state.paused_at is not None:
        raise ActionRefused(f"{watch_id} is not running on its {clock.value} clock", "clock_not_running", task=watch_id,
                            clock=clock.value)
    return watch
