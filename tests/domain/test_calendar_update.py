"""A year's holidays announced after a case was received (domain/calendar_update.py): the deadlines counted in
working time that have not passed keep the working time they had left; the others stay. Worked out by hand on
a case received on Monday 21 December 2026 with a calendar that knows nothing of 2027, and a 2027 schedule that
makes Friday 1 January a holiday (working day 09:00-12:00, 13:30-17:30)."""

from __future__ import annotations

from datetime import date, datetime

from domain.alarms import next_alarm
from domain.calendar import holds_year
from domain.commands import AcknowledgeTask, CommitmentPromise, ConveneMeeting, RouteCase, UpdateCalendar
from domain.events import SYSTEM_ACTOR, CalendarUpdated
from domain.holiday_schedule import AnnouncedYear
from domain.policy import PinnedPolicy
from tests.domain.test_supervision import CO, LEAD, MEDIATOR, SH, Case, liaison, pinned

RECEIVED = datetime(2026, 12, 21, 9, 0, tzinfo=SH)  # a Monday
NOW = datetime(2026, 12, 28, 9, 0, tzinfo=SH)  # the Monday after, when 2027's schedule is loaded
ANNOUNCED = AnnouncedYear(year=2027, holidays=(date(2027, 1, 1),), workdays=())


def without_2027(policy: PinnedPolicy) -> PinnedPolicy:
    calendar = policy.calendar.model_copy(update={
        "holidays": tuple(d for d in policy.calendar.holidays if d.year != 2027),
        "workdays": tuple(d for d in policy.calendar.workdays if d.year != 2027)})
    return PinnedPolicy(policy=policy.policy, calendar=calendar)


def received(toml: str = '[risk.medium]\nreply_within = "10wd"\n') -> Case:
    case = Case(without_2027(pinned(toml, RECEIVED)), now=RECEIVED)
    case.do(RouteCase(lead_department=LEAD, co_departments=(CO,)), MEDIATOR)
    return case


def test_a_working_day_deadline_across_new_year_moves_by_the_announced_holiday() -> None:
    case = received()
    lead = case.state.task("C-1-T1")
    assert lead is not None
    # 10wd from Monday 21 December: 1 January 2027 was a working day as far as the case knew
    assert lead.reply_due_at == datetime(2027, 1, 4, 9, 0, tzinfo=SH)
    case.do(AcknowledgeTask(task_id="C-1-T1"), liaison(LEAD), at=datetime(2026, 12, 21, 10, 0, tzinfo=SH))
    assert case.do(UpdateCalendar(schedule=ANNOUNCED), SYSTEM_ACTOR, at=NOW) == ["CalendarUpdated"]
    updated = case.events[-1]
    assert isinstance(updated, CalendarUpdated) and updated.year == 2027
    # five working days were left (28, 29, 30, 31 December, 1 January); on the new calendar they end on the 5th
    moved = {(m.ref, m.clock.value): (m.before, m.after) for m in updated.moved}
    assert moved[("C-1-T1", "reply")] == (datetime(2027, 1, 4, 9, 0, tzinfo=SH), datetime(2027, 1, 5, 9, 0, tzinfo=SH))
    assert case.state.task("C-1-T1").reply_due_at == datetime(2027, 1, 5, 9, 0, tzinfo=SH)  # type: ignore[union-attr]
    assert case.state.policy is not None and holds_year(case.state.policy.calendar, ANNOUNCED)
    assert not case.state.policy.calendar.is_working_day(date(2027, 1, 1))


def test_passed_and_met_deadlines_stay() -> None:
    case = received()
    case.do(AcknowledgeTask(task_id="C-1-T1"), liaison(LEAD), at=datetime(2026, 12, 21, 10, 0, tzinfo=SH))
    co_ack_due = case.state.task("C-1-T2").acknowledge_due_at  # type: ignore[union-attr]
    case.do(UpdateCalendar(schedule=ANNOUNCED), SYSTEM_ACTOR, at=NOW)
    updated = case.events[-1]
    assert isinstance(updated, CalendarUpdated)
    # the lead's acknowledgement is met, the co-department's acknowledge deadline (22 December) has passed
    assert {(m.ref, m.clock.value) for m in updated.moved} == {("C-1-T1", "reply"), ("C-1-T2", "reply")}
    assert case.state.task("C-1-T2").acknowledge_due_at == co_ack_due  # type: ignore[union-attr]
    assert next_alarm(case.state) is not None


def test_wall_clock_deadlines_and_dates_given_by_people_never_move() -> None:
    case = received('[risk.medium]\nacknowledge_within = "2h"\nreply_within = "15d"\n')
    due = datetime(2027, 1, 4, 9, 0, tzinfo=SH)
    case.do(ConveneMeeting(at=NOW, departments=(CO,), agenda="协调会", attended=(CO,), commitments=(
        CommitmentPromise(department=CO, what="答复", due_at=due),)), MEDIATOR, at=NOW)
    case.do(UpdateCalendar(schedule=ANNOUNCED), SYSTEM_ACTOR)
    updated = case.events[-1]
    assert isinstance(updated, CalendarUpdated) and updated.moved == ()
    assert case.state.commitments[0].due_at == due


def test_a_case_takes_a_year_once() -> None:
    case = received()
    case.do(UpdateCalendar(schedule=ANNOUNCED), SYSTEM_ACTOR, at=NOW)
    case.refused(UpdateCalendar(schedule=ANNOUNCED), SYSTEM_ACTOR, "already holds 2027 as announced")
    case.forbidden(UpdateCalendar(schedule=ANNOUNCED), MEDIATOR, "it is for: system")
