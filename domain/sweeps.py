"""Sweeps (排查, docs/api.md §8): the centre asks every grid under a street, community or district to report the
disputes it has found by a deadline. Each grid's report is watched like a task's clock: an unreported grid
climbs the same ladder (domain/alarms.py ``rungs``: reminders at fractions of the time, the warning when it
passes, listed supervision after a further period), pinned with the sweep's policy and calendar.

A grid worker of the grid reports once: the cases found (each received as a case, channel grid_report) or none
at all, the zero report (排查无纠纷). Pure: times, ids and the grids under the jurisdiction come in as arguments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field

from domain.alarms import rungs
from domain.calendar import due_at as due_after
from domain.case import Delivery, NotificationRecord
from domain.events import (
    Actor,
    Frozen,
    SweepEvent,
    SweepGridEscalated,
    SweepGridReminded,
    SweepGridReported,
    SweepNotice,
    SweepNoticeDelivered,
    SweepNoticeFailed,
    SweepStarted,
)
from domain.notifications import Audience, Intent
from domain.policy import Duration, PinnedPolicy
from domain.rules import ActionRefused, NotPermitted
from domain.vocabulary import Role


class SweepRefused(ActionRefused):
    """The command does not fit the sweep as it stands (a 409 at the edge)."""


class SweepNotPermitted(NotPermitted):
    """This person may not take this part in the sweep (a 403 at the edge)."""


class InvalidDue(ValueError):
    """A sweep's ``due`` that is neither a duration nor an ISO time after now (a 422 at the edge)."""


# --- commands ------------------------------------------------------------------------------------------------


class StartSweep(Frozen):
    kind: Literal["start_sweep"] = "start_sweep"
    jurisdiction: str
    grids: tuple[str, ...] = Field(min_length=1)
    due: str
    due_at: datetime
    note: str | None = None
    policy: PinnedPolicy


class ReportSweep(Frozen):
    kind: Literal["report_sweep"] = "report_sweep"
    grid_id: str
    cases: tuple[str, ...] = ()  # the ids of the cases received for this report; () is the zero report
    note: str | None = None


class RemindGrid(Frozen):
    kind: Literal["remind_grid"] = "remind_grid"
    grid_id: str
    fraction: float


class EscalateGrid(Frozen):
    kind: Literal["escalate_grid"] = "escalate_grid"
    grid_id: str
    level: int


SweepCommand = Annotated[StartSweep | ReportSweep | RemindGrid | EscalateGrid, Field(discriminator="kind")]

SWEEP_PERMISSIONS: dict[type[Frozen], frozenset[Role]] = {
    StartSweep: frozenset({Role.mediator, Role.supervisor}),
    ReportSweep: frozenset({Role.grid_worker}),
    RemindGrid: frozenset({Role.system}),
    EscalateGrid: frozenset({Role.system}),
}

# --- state ---------------------------------------------------------------------------------------------------

GridStatus = Literal["pending", "overdue", "reported", "zero_report"]
STATUS_NAMES: dict[str, str] = {"pending": "待上报", "overdue": "逾期未报", "reported": "已上报",
                                "zero_report": "排查无纠纷"}
LEVEL_NAMES: dict[int, str] = {0: "", 1: "催办", 2: "预警", 3: "挂牌督办"}


class GridSweep(Frozen):
    grid_id: str
    reported_at: datetime | None = None
    cases: tuple[str, ...] = ()
    note: str | None = None
    escalation_level: int = 0  # 0 none, 1 reminded, 2 warned, 3 flagged (as a task's)
    reminded: tuple[float, ...] = ()

    def status(self, due_at: datetime, now: datetime) -> GridStatus:
        if self.reported_at is not None:
            return "reported" if self.cases else "zero_report"
        return "overdue" if now > due_at else "pending"


class NoticeRecord(Frozen):
    notice: SweepNotice
    grid_id: str
    delivered: tuple[str, ...] = ()  # channel ids
    failed: tuple[str, ...] = ()

    @property
    def undelivered(self) -> tuple[str, ...]:
        done = set(self.delivered) | set(self.failed)
        return tuple(t.channel_id for t in self.notice.targets if t.channel_id not in done)


class SweepState(Frozen):
    sweep_id: str
    jurisdiction: str
    started_at: datetime
    due: str
    due_at: datetime
    note: str | None = None
    grids: tuple[GridSweep, ...]
    policy: PinnedPolicy
    notices: tuple[NoticeRecord, ...] = ()

    def grid(self, grid_id: str) -> GridSweep | None:
        return next((g for g in self.grids if g.grid_id == grid_id), None)

    @property
    def open(self) -> bool:
        """Open while a grid has not reported."""
        return any(g.reported_at is None for g in self.grids)


class SweepAlarm(Frozen):
    """The next rung of an unreported grid: when, and the command the engine issues then."""

    at: datetime
    command: RemindGrid | EscalateGrid


# --- due ----------------------------------------------------------------------------------------------------


def parse_due(text: str, now: datetime, pinned: PinnedPolicy) -> datetime:
    """A sweep's ``due``: a duration counted from now on the policy's calendar (``"3wd"``, ``"2d"``, ``"90s"``,
    as the policy file writes them), or an ISO 8601 time with an offset; either way after now."""
    text = text.strip()
    try:
        duration = Duration.parse(text)
    except ValueError:
        duration = None
    if duration is not None:
        if duration.amount == 0:
            raise InvalidDue(f'due "{text}" is no time at all; give a duration such as 3wd or an ISO time')
        return _within_reach(text, due_after(now, duration, pinned.calendar), now)
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidDue(f'due "{text}" is neither a duration (90s, 15m, 8h, 3d, 3wd or 4wh) nor an ISO 8601 '
                         "time such as 2026-12-10T17:00:00+08:00") from exc
    if at.tzinfo is None:
        raise InvalidDue(f'due "{text}" needs an offset, e.g. {text}+08:00')
    if at <= now:
        raise InvalidDue(f"due {at.isoformat()} has already passed")
    return _within_reach(text, at, now)


MAX_SWEEP = timedelta(days=366)  # a sweep is a round of the year's work, not a standing order


def _within_reach(text: str, at: datetime, now: datetime) -> datetime:
    if at - now > MAX_SWEEP:
        raise InvalidDue(f'due "{text}" is more than a year away; a sweep is due within 366 days')
    return at


# --- decide and evolve ---------------------------------------------------------------------------------------


def decide(state: SweepState | None, command: SweepCommand, *, actor: Actor, sweep_id: str,
           now: datetime) -> list[SweepEvent]:
    if actor.role not in SWEEP_PERMISSIONS[type(command)]:
        raise SweepNotPermitted(f"a {actor.role.value} may not {command.kind}", "sweep_role", role=actor.role.value,
                                act=command.kind)
    if isinstance(command, StartSweep):
        if state is not None:
            raise SweepRefused(f"sweep {sweep_id} already exists", "sweep_exists")
        if len(set(command.grids)) != len(command.grids):
            raise SweepRefused("a grid is named twice", "grid_twice")
        if command.due_at <= now:
            raise SweepRefused(f"the sweep's deadline {command.due_at.isoformat()} has already passed",
                               "sweep_due_passed")
        return [SweepStarted(sweep_id=sweep_id, jurisdiction=command.jurisdiction, grids=command.grids,
                             started_at=now, due=command.due, due_at=command.due_at, note=command.note,
                             policy=command.policy)]
    if state is None:
        raise SweepRefused(f"there is no sweep {sweep_id}", "no_sweep", sweep=sweep_id)
    grid = state.grid(command.grid_id)
    if grid is None:
        if isinstance(command, ReportSweep):
            raise SweepNotPermitted(f"grid {command.grid_id} is not part of sweep {state.sweep_id}", "not_in_sweep")
        raise SweepRefused(f"grid {command.grid_id} is not part of sweep {state.sweep_id}", "not_in_sweep")
    match command:
        case ReportSweep():
            if actor.jurisdiction != grid.grid_id:
                raise SweepNotPermitted(f"a grid worker reports only for their own grid, not {grid.grid_id}",
                                        "sweep_other_grid")
            if grid.reported_at is not None:
                raise SweepRefused(f"grid {grid.grid_id} already reported to sweep {state.sweep_id} "
                                   f"at {grid.reported_at.isoformat()}", "sweep_reported")
            return [SweepGridReported(grid_id=grid.grid_id, reported_at=now, cases=command.cases,
                                      note=command.note)]
        case RemindGrid():
            if grid.reported_at is not None or grid.escalation_level >= 2 or command.fraction in grid.reminded:
                raise SweepRefused(f"grid {grid.grid_id} is not due a reminder", "already_reminded")
            return [SweepGridReminded(grid_id=grid.grid_id, fraction=command.fraction, due_at=state.due_at)]
        case EscalateGrid():
            if grid.reported_at is not None or grid.escalation_level >= command.level:
                raise SweepRefused(f"grid {grid.grid_id} is not due level {command.level}", "already_escalated")
            return [SweepGridEscalated(grid_id=grid.grid_id, level=command.level, due_at=state.due_at)]
    raise AssertionError(command)  # pragma: no cover - the union is exhausted above


def _with_grid(state: SweepState, grid_id: str, **changes: object) -> SweepState:
    grids = tuple(g.model_copy(update=changes) if g.grid_id == grid_id else g for g in state.grids)
    return state.model_copy(update={"grids": grids})


def _with_notices(state: SweepState, grid_id: str, notices: tuple[SweepNotice, ...]) -> SweepState:
    return state.model_copy(update={"notices": (*state.notices,
                                                *(NoticeRecord(notice=n, grid_id=grid_id) for n in notices))})


def _with_outcome(state: SweepState, notification_id: str, channel_id: str, delivered: bool) -> SweepState:
    def changed(r: NoticeRecord) -> NoticeRecord:
        if r.notice.notification_id != notification_id:
            return r
        if delivered:
            return r.model_copy(update={"delivered": (*r.delivered, channel_id)})
        return r.model_copy(update={"failed": (*r.failed, channel_id)})
    return state.model_copy(update={"notices": tuple(changed(r) for r in state.notices)})


def evolve(state: SweepState | None, event: SweepEvent) -> SweepState:
    if isinstance(event, SweepStarted):
        return SweepState(sweep_id=event.sweep_id, jurisdiction=event.jurisdiction, started_at=event.started_at,
                          due=event.due, due_at=event.due_at, note=event.note, policy=event.policy,
                          grids=tuple(GridSweep(grid_id=g) for g in event.grids))
    if state is None:
        raise ValueError(f"{event.type} before the sweep was started")
    match event:
        case SweepGridReported():
            return _with_grid(state, event.grid_id, reported_at=event.reported_at, cases=event.cases,
                              note=event.note)
        case SweepGridReminded():
            grid = state.grid(event.grid_id)
            assert grid is not None
            state = _with_grid(state, event.grid_id, reminded=(*grid.reminded, event.fraction),
                               escalation_level=max(grid.escalation_level, 1))
            return _with_notices(state, event.grid_id, event.notices)
        case SweepGridEscalated():
            return _with_notices(_with_grid(state, event.grid_id, escalation_level=event.level),
                                 event.grid_id, event.notices)
        case SweepNoticeDelivered():
            return _with_outcome(state, event.notification_id, event.channel_id, True)
        case SweepNoticeFailed():
            return _with_outcome(state, event.notification_id, event.channel_id, False)
    raise AssertionError(event)  # pragma: no cover


def replay(events: list[SweepEvent]) -> SweepState | None:
    state: SweepState | None = None
    for event in events:
        state = evolve(state, event)
    return state


# --- the ladder ----------------------------------------------------------------------------------------------


def next_alarm(state: SweepState) -> SweepAlarm | None:
    """The earliest rung of any unreported grid; ties keep the ladder's order, then the grids' order. The
    clock of a grid runs from the sweep's start to its due time, as a task's from its assignment."""
    best: tuple[datetime, int, int, str, float] | None = None
    for n, grid in enumerate(state.grids):
        if grid.reported_at is not None:
            continue
        for at, rank, fraction in rungs(state.started_at, state.due_at, grid.escalation_level, grid.reminded,
                                        state.policy):
            candidate = (at, rank, n, grid.grid_id, fraction)
            if best is None or candidate[:3] < best[:3]:
                best = candidate
    if best is None:
        return None
    at, rank, _, grid_id, fraction = best
    command: RemindGrid | EscalateGrid = RemindGrid(grid_id=grid_id, fraction=fraction) if rank == 0 else \
        EscalateGrid(grid_id=grid_id, level=rank)
    return SweepAlarm(at=at, command=command)


def alarm_level(command: RemindGrid | EscalateGrid) -> int:
    return 1 if isinstance(command, RemindGrid) else command.level


def audiences(state: SweepState, grid_id: str, level: int, community: str, above: str | None) -> Intent:
    """Who is told when a grid has not reported: the centre of the grid's community (the nearest above it)
    is reminded; the warning goes to it and to the centre of the sweep's jurisdiction; listed supervision to
    the centre one level above the sweep's jurisdiction (the district's centre at the top). The grid worker
    sees the rung on their own page (/grid): the organisation names no channel for a person."""
    kind: Literal["reminder", "warning", "listed_supervision"]
    who: tuple[Audience, ...]
    if level == 1:
        kind, who = "reminder", (Audience(kind="centre_of", ref=community),)
    elif level == 2:
        kind, who = "warning", (Audience(kind="centre_of", ref=community),
                                Audience(kind="centre_of", ref=state.jurisdiction))
    else:
        kind = "listed_supervision"
        who = (Audience(kind="centre_of", ref=above),) if above else \
            (Audience(kind="district_centre", ref=state.jurisdiction),)
    return Intent(kind=kind, level=level, due_at=state.due_at, audiences=who)


def notice_text(state: SweepState, level: int, grid_name: str, due_local: str, link: str) -> tuple[str, str]:
    """The subject and the Chinese text of one rung: the sweep, the grid (its name and id), what was due;
    never a person's data."""
    name = {1: "排查催办", 2: "排查预警", 3: "排查挂牌督办"}[level]
    subject = f"【联调·{name}】排查 {state.sweep_id}"
    body = {1: "尚未上报排查结果，请督促网格员按时上报",
            2: "已逾期未上报排查结果（预警）",
            3: "逾期未上报排查结果，已挂牌督办"}[level]
    return subject, f"{subject}：{grid_name} {body}。截止：{due_local}\n{link}"


def notifications_of(events: list[tuple[SweepEvent, datetime]], link: str,
                     give_up_after_s: int) -> list[NotificationRecord]:
    """The sweep's rungs as the bell shows a case's notifications: each notice with its channels' outcomes,
    made at the time its event was stored (``events`` pairs each event with that time). A notice of no case:
    its link opens the sweep."""
    records: dict[str, NotificationRecord] = {}
    for event, at in events:
        match event:
            case SweepGridReminded() | SweepGridEscalated():
                for n in event.notices:
                    records[n.notification_id] = NotificationRecord(
                        notification_id=n.notification_id, kind=n.kind, level=n.level, due_at=event.due_at,
                        recipients=n.recipients, text=n.text, link=link, urgent=n.kind == "listed_supervision",
                        give_up_after_s=give_up_after_s, created_at=at, deferred_until=n.deferred_until,
                        deliveries=tuple(Delivery(channel_id=t.channel_id, department=t.department, role=t.role,
                                                  address=t.address,
                                                  status="deferred" if n.deferred_until else "pending")
                                         for t in n.targets))
            case SweepNoticeDelivered() | SweepNoticeFailed():
                record = records.get(event.notification_id)
                if record is None:
                    continue
                outcome: dict[str, object] = {"attempts": event.attempts} | (
                    {"status": "delivered", "delivered_at": at} if isinstance(event, SweepNoticeDelivered)
                    else {"status": "failed", "reason": event.reason})
                records[event.notification_id] = record.model_copy(update={"deliveries": tuple(
                    d.model_copy(update=outcome) if d.channel_id == event.channel_id else d
                    for d in record.deliveries)})
    return list(records.values())


def with_notices(event: SweepGridReminded | SweepGridEscalated,
                 notices: tuple[SweepNotice, ...]) -> SweepGridReminded | SweepGridEscalated:
    return event.model_copy(update={"notices": notices})
