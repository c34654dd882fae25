"""Sweeps (排查): starting one, a grid's report and the zero report, the ladder of a silent grid and the due
time asked for. Pure: fixed times, no fixtures; the deadlines below are worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.events import (
    Actor,
    DeliveryTarget,
    SweepEvent,
    SweepGridEscalated,
    SweepGridReminded,
    SweepNotice,
    SweepNoticeDelivered,
    SweepNoticeFailed,
)
from domain.policy import PinnedPolicy, parse_policy, pin_policy
from domain.sweeps import (
    EscalateGrid,
    InvalidDue,
    RemindGrid,
    ReportSweep,
    StartSweep,
    SweepCommand,
    SweepNotPermitted,
    SweepRefused,
    audiences,
    decide,
    next_alarm,
    notice_text,
    notifications_of,
    parse_due,
    replay,
    with_notices,
)
from domain.vocabulary import Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
G1, G2 = "grid-donghu-huayuan-1", "grid-donghu-huayuan-2"
MEDIATOR = Actor(role=Role.mediator, id="u-mediator")
SYSTEM = Actor(role=Role.system, id="liandiao")
WORKER_1 = Actor(role=Role.grid_worker, id="u-gw1", jurisdiction=G1)
WORKER_2 = Actor(role=Role.grid_worker, id="u-gw2", jurisdiction=G2)
CONTINUOUS = """calendar = "continuous"
timezone = "Asia/Shanghai"
[risk.medium]
acknowledge_within = "1h"
reply_within = "2h"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "1h"
[follow_up]
within = "1d"
"""
CN = """calendar = "cn"
timezone = "Asia/Shanghai"
[risk.medium]
acknowledge_within = "8wh"
reply_within = "15wd"
"""


def pinned(text: str = CONTINUOUS) -> PinnedPolicy:
    return pin_policy(parse_policy(text), NOW)


def started(due: str = "4h") -> list[SweepEvent]:
    policy = pinned()
    command = StartSweep(jurisdiction="cm-donghu-huayuan", grids=(G1, G2), due=due,
                         due_at=parse_due(due, NOW, policy), policy=policy)
    return decide(None, command, actor=MEDIATOR, sweep_id="SW-1", now=NOW)


def run(events: list[SweepEvent], command: SweepCommand, actor: Actor, now: datetime) -> list[SweepEvent]:
    new = decide(replay(events), command, actor=actor, sweep_id="SW-1", now=now)
    events.extend(new)
    return new


def test_a_sweep_gives_every_grid_the_same_watched_deadline() -> None:
    state = replay(started())
    assert state is not None and state.open
    assert state.due_at == NOW + timedelta(hours=4)  # 09:00 + 4h on the wall clock
    assert [g.grid_id for g in state.grids] == [G1, G2]
    assert [g.status(state.due_at, NOW) for g in state.grids] == ["pending", "pending"]
    assert state.grids[0].status(state.due_at, NOW + timedelta(hours=5)) == "overdue"


def test_only_a_mediator_or_supervisor_starts_one_and_only_once() -> None:
    events = started()
    policy = pinned()
    command = StartSweep(jurisdiction="cm-donghu-huayuan", grids=(G1,), due="1h", due_at=NOW + timedelta(hours=1),
                         policy=policy)
    with pytest.raises(SweepNotPermitted):
        decide(None, command, actor=WORKER_1, sweep_id="SW-2", now=NOW)
    with pytest.raises(SweepRefused, match="already exists"):
        decide(replay(events), command, actor=MEDIATOR, sweep_id="SW-1", now=NOW)
    with pytest.raises(SweepRefused, match="named twice"):
        decide(None, command.model_copy(update={"grids": (G1, G1)}), actor=MEDIATOR, sweep_id="SW-3", now=NOW)


def test_a_grid_reports_once_its_cases_or_the_zero_report() -> None:
    events = started()
    at = NOW + timedelta(hours=1)
    run(events, ReportSweep(grid_id=G1, cases=("C-1", "C-2")), WORKER_1, at)
    run(events, ReportSweep(grid_id=G2), WORKER_2, at)
    state = replay(events)
    assert state is not None and not state.open
    g1, g2 = state.grids
    assert g1.cases == ("C-1", "C-2") and g1.reported_at == at and g1.status(state.due_at, at) == "reported"
    assert g2.cases == () and g2.status(state.due_at, at) == "zero_report"
    assert next_alarm(state) is None  # nothing left to watch
    with pytest.raises(SweepRefused, match="already reported"):
        run(events, ReportSweep(grid_id=G1), WORKER_1, at)


def test_a_grid_worker_reports_only_for_their_own_grid() -> None:
    events = started()
    with pytest.raises(SweepNotPermitted, match="own grid"):
        run(events, ReportSweep(grid_id=G2), WORKER_1, NOW)
    with pytest.raises(SweepNotPermitted, match="not part of sweep"):
        run(events, ReportSweep(grid_id="grid-xicheng-gulou-1"),
            Actor(role=Role.grid_worker, id="u-x", jurisdiction="grid-xicheng-gulou-1"), NOW)
    with pytest.raises(SweepNotPermitted):
        run(events, ReportSweep(grid_id=G1), MEDIATOR, NOW)


def test_a_silent_grid_climbs_the_ladder_and_a_report_stops_it() -> None:
    # Started 09:00, due 13:00: the reminder at half the time (11:00), the warning at the deadline (warn_after
    # 0s), listed supervision an hour after it (flag_after 1h, 14:00). The grids tie: the first grid's goes first.
    events = started()
    state = replay(events)
    assert state is not None
    alarm = next_alarm(state)
    assert alarm is not None and alarm.at == NOW + timedelta(hours=2)
    assert alarm.command == RemindGrid(grid_id=G1, fraction=0.5)
    run(events, alarm.command, SYSTEM, alarm.at)
    state = replay(events)
    assert state is not None
    assert next_alarm(state).command == RemindGrid(grid_id=G2, fraction=0.5)  # type: ignore[union-attr]
    run(events, ReportSweep(grid_id=G2), WORKER_2, NOW + timedelta(hours=2))  # G2 answers: only G1 is left
    seen = []
    while (state := replay(events)) is not None and (alarm := next_alarm(state)) is not None:
        seen.append((alarm.at, alarm.command))
        run(events, alarm.command, SYSTEM, alarm.at)
    assert seen == [(NOW + timedelta(hours=4), EscalateGrid(grid_id=G1, level=2)),
                    (NOW + timedelta(hours=5), EscalateGrid(grid_id=G1, level=3))]
    assert state is not None and state.grids[0].escalation_level == 3 and state.grids[1].escalation_level == 0
    assert state.open  # listed, still awaited: a late report is taken
    run(events, ReportSweep(grid_id=G1), WORKER_1, NOW + timedelta(hours=6))
    assert not replay(events).open  # type: ignore[union-attr]


def test_a_rung_already_taken_or_of_a_reported_grid_is_refused() -> None:
    events = started()
    run(events, RemindGrid(grid_id=G1, fraction=0.5), SYSTEM, NOW)
    with pytest.raises(SweepRefused):
        run(events, RemindGrid(grid_id=G1, fraction=0.5), SYSTEM, NOW)
    run(events, ReportSweep(grid_id=G1), WORKER_1, NOW)
    with pytest.raises(SweepRefused):
        run(events, EscalateGrid(grid_id=G1, level=2), SYSTEM, NOW)
    with pytest.raises(SweepNotPermitted):
        run(events, EscalateGrid(grid_id=G2, level=2), MEDIATOR, NOW)


def test_the_notices_are_recorded_with_the_rung() -> None:
    events = started()
    [rung] = decide(replay(events), EscalateGrid(grid_id=G1, level=2), actor=SYSTEM, sweep_id="SW-1", now=NOW)
    assert isinstance(rung, SweepGridEscalated)
    notice = SweepNotice(notification_id="SW-1/G1/L2", kind="warning", level=2, recipients=("liaisons:d",),
                         text="…")
    events.append(with_notices(rung, (notice,)))
    state = replay(events)
    assert state is not None and state.notices[0].notice == notice and state.notices[0].grid_id == G1
    assert isinstance(events[-1], SweepGridEscalated | SweepGridReminded)


def test_the_notices_reach_the_bell_with_what_each_channel_came_to() -> None:
    events = started()
    street = DeliveryTarget(channel_id="c-street", department="dept-street", role="liaisons", address="json://s")
    head = DeliveryTarget(channel_id="c-head", department="dept-street", role="head", address="mailto://h")
    [remind] = decide(replay(events), RemindGrid(grid_id=G2, fraction=0.5), actor=SYSTEM, sweep_id="SW-1", now=NOW)
    [listed] = decide(replay(events), EscalateGrid(grid_id=G2, level=3), actor=SYSTEM, sweep_id="SW-1", now=NOW)
    assert isinstance(remind, SweepGridReminded) and isinstance(listed, SweepGridEscalated)
    quiet_end = NOW + timedelta(hours=8)
    at = [NOW + timedelta(minutes=m) for m in range(5)]
    stored: list[tuple[SweepEvent, datetime]] = [(e, NOW) for e in events] + [
        (with_notices(remind, (SweepNotice(notification_id="SW-1/G2/R0.5", kind="reminder", level=1,
                                           recipients=("liaisons:dept-street",), targets=(street,), text="催办",
                                           deferred_until=quiet_end),)), at[0]),
        (with_notices(listed, (SweepNotice(notification_id="SW-1/G2/L3", kind="listed_supervision", level=3,
                                           recipients=("liaisons:dept-street", "head:dept-street"),
                                           targets=(street, head), text="挂牌"),)), at[1]),
        (SweepNoticeDelivered(notification_id="SW-1/G2/L3", channel_id="c-street", attempts=1), at[2]),
        (SweepNoticeFailed(notification_id="SW-1/G2/L3", channel_id="c-head", attempts=5, reason="拒收"), at[3]),
        (SweepNoticeDelivered(notification_id="unknown", channel_id="c-street", attempts=1), at[4]),
    ]
    reminder, flagged = notifications_of(stored, "http://desk/sweeps/SW-1", 3600)
    assert (reminder.notification_id, reminder.kind, reminder.level, reminder.created_at) == \
        ("SW-1/G2/R0.5", "reminder", 1, at[0])
    assert not reminder.urgent and reminder.deferred_until == quiet_end
    assert [(d.channel_id, d.status) for d in reminder.deliveries] == [("c-street", "deferred")]
    assert flagged.urgent and flagged.link == "http://desk/sweeps/SW-1" and flagged.due_at == listed.due_at
    assert [(d.channel_id, d.status, d.attempts, d.delivered_at, d.reason) for d in flagged.deliveries] == [
        ("c-street", "delivered", 1, at[2], None), ("c-head", "failed", 5, None, "拒收")]


def test_due_is_a_duration_on_the_policys_calendar_or_an_iso_time() -> None:
    cn = pinned(CN)
    shanghai = ZoneInfo("Asia/Shanghai")
    monday_ten = datetime(2026, 3, 2, 10, 0, tzinfo=shanghai)
    # 3 working days from Monday 10:00: the same time on Thursday (the start day is never counted).
    assert parse_due("3wd", monday_ten, cn) == datetime(2026, 3, 5, 10, 0, tzinfo=shanghai)
    # Friday 10:00 + 1wd skips the weekend: Monday 10:00.
    assert parse_due("1wd", datetime(2026, 3, 6, 10, 0, tzinfo=shanghai), cn) == monday_ten + timedelta(days=7)
    assert parse_due(" 2026-03-04T17:00:00+08:00 ", monday_ten, cn) == datetime(2026, 3, 4, 17, 0, tzinfo=shanghai)


@pytest.mark.parametrize(("due", "message"), [
    ("soon", "neither a duration"),
    ("0s", "no time at all"),
    ("2026-03-04T17:00:00", "needs an offset"),
    ("2026-03-01T17:00:00+08:00", "already passed"),
    ("99999d", "more than a year away"),
    ("2028-03-01T17:00:00+08:00", "more than a year away"),
])
def test_a_bad_due_is_refused_with_a_clear_message(due: str, message: str) -> None:
    with pytest.raises(InvalidDue, match=message):
        parse_due(due, NOW, pinned())


def test_who_is_told_at_each_rung() -> None:
    state = replay(started())
    assert state is not None
    one = audiences(state, G1, 1, "cm-donghu-huayuan", "st-donghu")
    assert one.kind == "reminder" and [(a.kind, a.ref) for a in one.audiences] == [("centre_of", "cm-donghu-huayuan")]
    two = audiences(state, G1, 2, "cm-donghu-huayuan", "st-donghu")
    assert two.kind == "warning" and [a.ref for a in two.audiences] == ["cm-donghu-huayuan", "cm-donghu-huayuan"]
    three = audiences(state, G1, 3, "cm-donghu-huayuan", "st-donghu")
    assert three.kind == "listed_supervision" and [(a.kind, a.ref) for a in three.audiences] == \
        [("centre_of", "st-donghu")]
    top = audiences(state, G1, 3, "cm-donghu-huayuan", None)
    assert [(a.kind, a.ref) for a in top.audiences] == [("district_centre", "cm-donghu-huayuan")]
    subject, text = notice_text(state, 3, "东湖街道花园社区第一网格", "2026年03月02日 21:00", "http://x/sweeps/SW-1")
    assert subject == "【联调·排查挂牌督办】排查 SW-1"
    assert "东湖街道花园社区第一网格" in text and "挂牌督办" in text and "截止：2026年03月02日 21:00" in text
