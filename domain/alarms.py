"""What the engine's timers wait for: the next reminder, warning or listed supervision of any open task.

The workflow sleeps until ``next_alarm(state).at`` (a durable timer) and then issues its command through
``decide`` like any user action; anything that happens meanwhile wakes it to recompute. A deadline that
passed while the workers were down is simply due at once."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import due_at
from domain.case import CaseState, Task
from domain.commands import EscalateTask, RemindTask
from domain.events import Frozen
from domain.policy import PinnedPolicy
from domain.vocabulary import Clock


class Alarm(Frozen):
    at: datetime
    command: RemindTask | EscalateTask


def _clock_started_at(task: Task, clock: Clock) -> datetime:
    if clock is Clock.reply and task.acknowledged_at is not None:
        return task.acknowledged_at
    return task.assigned_at


# (when, ladder rank, what): the ladder rank breaks ties, reminders before the warning before the flag. The
# command is only built for the winner: validating a command per candidate was most of next_alarm's cost.
_Candidate = tuple[datetime, int, str, Clock, float]


def _candidates(task: Task, pinned: PinnedPolicy) -> list[_Candidate]:
    clock = task.open_clock
    if clock is None:
        return []
    escalation = pinned.policy.escalation
    due = task.due_at(clock)
    start = min(_clock_started_at(task, clock), due)
    found: list[_Candidate] = []
    if task.escalation_level < 2:
        for fraction in escalation.remind_at:
            if (clock, fraction) not in task.reminded:
                found.append((start + (due - start) * fraction, 0, task.task_id, clock, fraction))
        found.append((due_at(due, escalation.warn_after, pinned.calendar), 2, task.task_id, clock, 0.0))
    if task.escalation_level < 3:
        found.append((due_at(due, escalation.flag_after, pinned.calendar), 3, task.task_id, clock, 0.0))
    return found


def _alarm(candidate: _Candidate) -> Alarm:
    at, rank, task_id, clock, fraction = candidate
    if rank == 0:
        return Alarm(at=at, command=RemindTask(task_id=task_id, clock=clock, fraction=fraction))
    return Alarm(at=at, command=EscalateTask(task_id=task_id, clock=clock, level=rank))


def alarms_for(task: Task, pinned: PinnedPolicy) -> list[Alarm]:
    return [_alarm(c) for c in _candidates(task, pinned)]


def next_alarm(state: CaseState) -> Alarm | None:
    """The earliest pending alarm of the case; none while its clock is paused (中止)."""
    pinned = state.policy
    if pinned is None or state.paused_at is not None or not state.active_tasks:
        return None
    candidates = [c for task in state.active_tasks for c in _candidates(task, pinned)]
    # Ties keep the ladder's order and, within a rank, the tasks' order (min keeps the first of equals).
    return _alarm(min(candidates, key=lambda c: (c[0], c[1]))) if candidates else None
