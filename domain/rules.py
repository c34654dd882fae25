"""What every decision rule shares: the two refusals and the checks and clearings the lifecycle
(``domain.decide``) and supervision (``domain.supervision``, ``domain.summons``) rules all use.

A module of its own so the rule modules can use it without importing the dispatcher that imports them."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import due_at
from domain.case import CaseState, Task, Watch
from domain.events import DomainEvent, DueTimes, EscalationCleared
from domain.policy import PinnedPolicy
from domain.vocabulary import Clock, Stage, TaskRole, TaskStatus


class Refusal(Exception):
    """A decision that says no. ``str()`` is the English reason (logs, API clients); ``code`` and ``data``, when
    the refusal has them, say the same for a program: the workbench words it in Chinese from them (see
    entrypoints/workbench/messages.py), so a reworded English message changes no page."""

    def __init__(self, message: str, code: str | None = None, **data: str) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


class ActionRefused(Refusal):
    """The case is not in a state that allows this (HTTP 409). The message says why."""


class NotPermitted(Refusal):
    """This role or department may not take this action (HTTP 403)."""


def pinned_policy(state: CaseState) -> PinnedPolicy:
    if state.policy is None:
        raise ActionRefused("the case has not been received yet", "not_received")
    return state.policy


def require_stage(state: CaseState, *stages: Stage) -> None:
    if state.stage not in stages:
        wanted = " or ".join(s.value for s in stages)
        raise ActionRefused(f"the case is in stage {state.stage.value}; this needs {wanted}", "stage",
                            stage=state.stage.value, needs=" ".join(s.value for s in stages))


def task_in(state: CaseState, task_id: str, *statuses: TaskStatus) -> Task:
    """The case's task ``task_id``, which must be in one of ``statuses`` (any status when none is named)."""
    task = state.task(task_id)
    if task is None:
        raise ActionRefused(f"the case has no task {task_id}", "no_task", task=task_id)
    if statuses and task.status not in statuses:
        wanted = " or ".join(s.value for s in statuses)
        raise ActionRefused(f"task {task_id} is {task.status.value}; this needs {wanted}", "task_status",
                            task=task_id, status=task.status.value, needs=" ".join(s.value for s in statuses))
    return task


def cleared(task: Task, clock: Clock) -> list[DomainEvent]:
    """Acting on a task clears its open escalation (the history stays)."""
    if task.escalation_level == 0:
        return []
    return [EscalationCleared(task_id=task.task_id, clock=clock, level=task.escalation_level)]


def watch_cleared(watch: Watch | None) -> list[DomainEvent]:
    """Reporting, fulfilling or following up clears the watched deadline's open escalation."""
    if watch is None or watch.escalation_level == 0:
        return []
    return [EscalationCleared(task_id=watch.watch_id, clock=watch.clock, level=watch.escalation_level)]


def reopen_lead(state: CaseState, now: datetime) -> tuple[DueTimes, ...]:
    """After a rejected verification or a dissatisfied follow-up, the lead department works again."""
    pinned = pinned_policy(state)
    deadlines = pinned.policy.risk[state.risk_level]
    return tuple(
        DueTimes(task_id=t.task_id, acknowledge_due_at=t.acknowledge_due_at,
                 reply_due_at=due_at(now, deadlines.reply_within, pinned.calendar))
        for t in state.tasks
        if t.role is TaskRole.lead and t.status is TaskStatus.replied
    )
