"""What the engine's timers wait for: the next reminder, warning or listed supervision of any open task, and
of the deadlines watched beside them (a summoned department's report, a meeting commitment, the follow-up).

The workflow sleeps until ``next_alarm(state).at`` (a durable timer) and then issues its command through
``decide`` like any user action; anything that happens meanwhile wakes it to recompute. A deadline that
passed while the workers were down is simply due at once."""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime

from domain.calendar import due_at, working_fraction
from domain.case import CaseState, Task, Watch
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


def _remind_at(start: datetime, due: datetime, fraction: float, pinned: PinnedPolicy) -> datetime:
    if pinned.policy.as_practised:  # reminders fall at fractions of working time, never at night
        return working_fraction(start, due, fraction, pinned.calendar)
    return start + (due - start) * fraction  # as cases received before the supervision rules as practised were reminded


def rungs(start: datetime, due: datetime, level: int, reminded: Container[float],
          pinned: PinnedPolicy) -> list[tuple[datetime, int, float]]:
    """The rungs still ahead of one deadline as (when, level, fraction): reminders (level 0 here, with their
    fraction), the warning (level 2), listed supervision (level 3). Any watched deadline climbs these, a
    task's clock and a sweep's grid alike."""
    escalation = pinned.policy.escalation
    start = min(start, due)
    found: list[tuple[datetime, int, float]] = []
    if level < 2:
        for fraction in escalation.remind_at:
            if fraction not in reminded:
                found.append((_remind_at(start, due, fraction, pinned), 0, fraction))
        found.append((due_at(due, escalation.warn_after, pinned.calendar), 2, 0.0))
    if level < 3:
        found.append((due_at(due, escalation.flag_after, pinned.calendar), 3, 0.0))
    return found


def _ladder(watched: str, clock: Clock, start: datetime, due: datetime, level: int, reminded: Container[float],
            pinned: PinnedPolicy) -> list[_Candidate]:
    """The rungs still ahead of one deadline: reminders, warning (level 2), listed supervision (level 3)."""
    return [(at, rank, watched, clock, fraction) for at, rank, fraction in rungs(start, due, level, reminded, pinned)]


def _candidates(task: Task, pinned: PinnedPolicy) -> list[_Candidate]:
    clock = task.open_clock
    if clock is None:
        return []
    reminded = {fraction for c, fraction in task.reminded if c is clock}
    return _ladder(task.task_id, clock, _clock_started_at(task, clock), task.due_at(clock), task.escalation_level,
                   reminded, pinned)


def _watch_candidates(watch: Watch, pinned: PinnedPolicy) -> list[_Candidate]:
    if not watch.open:
        return []
    return _ladder(watch.watch_id, watch.clock, watch.started_at, watch.due_at, watch.escalation_level,
                   watch.reminded, pinned)


def _alarm(candidate: _Candidate) -> Alarm:
    at, rank, task_id, clock, fraction = candidate
    if rank == 0:
        return Alarm(at=at, command=RemindTask(task_id=task_id, clock=clock, fraction=fraction))
    return Alarm(at=at, command=EscalateTask(task_id=task_id, clock=clock, level=rank))


def alarms_for(task: Task, pinned: PinnedPolicy) -> list[Alarm]:
    return [_alarm(c) for c in _candidates(task, pinned)]


def watch_alarms(watch: Watch, pinned: PinnedPolicy) -> list[Alarm]:
    return [_alarm(c) for c in _watch_candidates(watch, pinned)]


def next_alarm(state: CaseState) -> Alarm | None:
    """The earliest pending alarm of the case; none while its clock is paused (中止)."""
    pinned = state.policy
    if pinned is None or state.paused_at is not None:
        return None
    watches = state.open_watches
    if not state.active_tasks and not watches:
        return None
    candidates = [c for task in state.active_tasks for c in _candidates(task, pinned)]
    candidates += [c for watch in watches for c in _watch_candidates(watch, pinned)]
    # Ties keep the ladder's order and, within a rank, the tasks' order (min keeps the first of equals).
    return _alarm(min(candidates, key=lambda c: (c[0], c[1]))) if candidates else None
