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


def alarms_for(task: Task, pinned: PinnedPolicy) -> list[Alarm]:
    clock = task.open_clock
    if clock is None:
        return []
    escalation = pinned.policy.escalation
    due = task.due_at(clock)
    start = min(_clock_started_at(task, clock), due)
    alarms: list[Alarm] = []
    if task.escalation_level < 2:
        for fraction in escalation.remind_at:
            if (clock, fraction) not in task.reminded:
                alarms.append(Alarm(at=start + (due - start) * fraction,
                                    command=RemindTask(task_id=task.task_id, clock=clock, fraction=fraction)))
        alarms.append(Alarm(at=due_at(due, escalation.warn_after, pinned.calendar),
                            command=EscalateTask(task_id=task.task_id, clock=clock, level=2)))
    if task.escalation_level < 3:
        alarms.append(Alarm(at=due_at(due, escalation.flag_after, pinned.calendar),
                            command=EscalateTask(task_id=task.task_id, clock=clock, level=3)))
    return alarms


def next_alarm(state: CaseState) -> Alarm | None:
    """The earliest pending alarm of the case; none while its clock is paused (中止)."""
    pinned = state.policy
    if pinned is None or state.paused_at is not None or not state.active_tasks:
        return None
    alarms = [alarm for task in state.active_tasks for alarm in alarms_for(task, pinned)]
    # Ties keep the ladder's order: reminders before the warning before the flag.
    return min(alarms, key=lambda a: (a.at, a.command.kind != "remind", getattr(a.command, "level", 0)),
               default=None)
