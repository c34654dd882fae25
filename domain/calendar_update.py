"""A year's holidays announced after a case was received: which of its deadlines move, and to where.

The State Council announces next year's holidays and make-up working days (调休) each November; a case received
before then pinned the ``holidays`` package's estimate for that year (or nothing). When the announcement is
loaded, each open case takes it (``UpdateCalendar``) and every deadline that

* counts working time (its policy duration is in ``wd`` or ``wh``: the tasks' clocks as the risk level sets
  them, the follow-up and the summonses' reports), and
* has not passed yet,

keeps the working time it had left: ``after = now + (working time from now to before, on the old calendar)``
walked on the new one (a result at the end of a working day is written as the next working morning, as
``due_at`` writes whole days). Deadlines on the wall clock (an emergency's "2h", a commitment's or a performance's date
given by people, the 30 days of 司法确认) do not depend on the calendar and never move. Pure."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import (
    BusinessCalendar,
    add_working_time,
    next_morning_if_day_end,
    with_year,
    working_time_between,
)
from domain.case import CaseState
from domain.events import DeadlineMoved
from domain.holiday_schedule import AnnouncedYear
from domain.policy import Duration, PinnedPolicy
from domain.vocabulary import Clock

_WORKING_UNITS = frozenset({"wd", "wh"})


def _counts_working_time(duration: Duration | None) -> bool:
    return duration is not None and duration.unit in _WORKING_UNITS


def _working_clocks(state: CaseState, pinned: PinnedPolicy) -> frozenset[Clock]:
    policy = pinned.policy
    deadlines = policy.risk[state.risk_level]
    clocks = set()
    if _counts_working_time(deadlines.acknowledge_within):
        clocks.add(Clock.acknowledge)
    if _counts_working_time(deadlines.reply_within):
        clocks.add(Clock.reply)
    if _counts_working_time(policy.follow_up.within):
        clocks.add(Clock.follow_up)
    if policy.summons is not None and _counts_working_time(policy.summons.report_within):
        clocks.add(Clock.report)
    return frozenset(clocks)


def calendar_moves(state: CaseState, pinned: PinnedPolicy, schedule: AnnouncedYear,
                   now: datetime) -> tuple[BusinessCalendar, tuple[DeadlineMoved, ...]]:
    """The case's calendar with ``schedule`` in it, and the deadlines that move (module docstring)."""
    old = pinned.calendar
    new = with_year(old, schedule)
    clocks = _working_clocks(state, pinned)

    def moved(ref: str, clock: Clock, before: datetime) -> DeadlineMoved | None:
        if clock not in clocks or before <= now:
            return None
        after = next_morning_if_day_end(add_working_time(now, working_time_between(now, before, old), new), new)
        after = after.astimezone(before.tzinfo)
        return None if after == before else DeadlineMoved(ref=ref, clock=clock, before=before, after=after)

    found: list[DeadlineMoved | None] = []
    for task in state.active_tasks:
        if task.acknowledged_at is None:
            found.append(moved(task.task_id, Clock.acknowledge, task.acknowledge_due_at))
        if task.replied_at is None:
            found.append(moved(task.task_id, Clock.reply, task.reply_due_at))
    for watch in state.open_watches:
        found.append(moved(watch.watch_id, watch.clock, watch.due_at))
    return new, tuple(m for m in found if m is not None)
