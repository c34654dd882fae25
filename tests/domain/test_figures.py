"""The district's figures (domain/figures.py) on a fixed set of cases, against numbers worked out by hand.

The set, all on the default policy (working day 09:00-12:00 and 13:30-17:30; March 2026 has no holiday), each
case routed on Monday 2 March 09:00, so the acknowledge deadline is Tuesday 3 March 10:00 (8wh) and the reply
deadline Wednesday 11 March 09:00 (7wd) unless something moves them:

* A: lead and co-department. The lead acknowledges at 09:30 (on time), the co-department on Wednesday (late).
  The lead is granted 2wd more (reply due Friday 13th) and replies on Thursday 12th: on time only because of
  the extension. The co-department replies on Thursday 12th too: late. The supervisor grades the lead's
  handling 优秀 and the co-department's 一般. Follow-up on the 13th: satisfied (it rates both departments,
  which replied).
* B: lead and co-department. The co-department's return is approved at once (撤回). The lead does nothing:
  both its deadlines pass (late, late).
* C: lead only, its clock paused from 09:00 to 14:30 on Monday (four working hours), so it is due to
  acknowledge on Tuesday 15:30 and does so at 15:00 (on time only because of the pause); it replies on
  Wednesday 11th at 12:00 (due 14:30, on time). The follow-up on Thursday 12th is dissatisfied; the
  supervisor judges it reasonable and the case is reopened (重办) with a fresh reply deadline, Monday 23rd
  09:00; the lead replies on Friday 20th (on time), is graded 良好, and the second follow-up, on the 24th, is
  satisfied.
* D: another department, all in February: no row for March.

March, seen on 1 April:

| | tasks | 签收 on time | 办结 on time | 满意 | 回退 | 重办 | 评定 |
|---|---|---|---|---|---|---|---|
| lead | 3 | 2/3 (A, C) | 2/3 (A, C) | 2/3 (A; C's second) | 0/3 | 1/3 (C) | (4 + 3) / 2 = 3.5 |
| co | 2 | 0/1 (A; B's withdrawn) | 0/1 | 1/1 | 1/2 (B) | none | 2 |

Scores with the default weights (20, 30, 30, 10, 10):
lead: 20·⅔ + 30·⅔ + 30·⅔ + 10·1 + 10·⅔ = 70.00;
co: (20·0 + 30·0 + 30·1 + 10·½) / 90 (no reopen rate: its 10 points are left out) = 38.89.
The grades weigh nothing by default (``rating = 0``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain.commands import (
    AcknowledgeTask,
    DecideExtension,
    DecideReturn,
    JudgeComplaint,
    PauseClock,
    RateTask,
    RecordFollowUp,
    ReplyTask,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    SubmitResolution,
    VerifyResolution,
)
from domain.figures import Counts, Period, PeriodError, Scoring, Weights, count, follow_up_facts, rank, task_facts
from domain.vocabulary import Grade, Outcome, Satisfaction
from tests.domain.test_supervision import CO, LEAD, MEDIATOR, SH, SUPERVISOR, Case, liaison, routed

OTHER = "other-dept"
APRIL_1 = datetime(2026, 4, 1, tzinfo=SH)
MARCH = Period.parse("2026-03")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def close(case: Case, verified: datetime, satisfaction: Satisfaction, followed_up: datetime) -> None:
    case.do(SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR, at=verified)
    case.do(VerifyResolution(accepted=True), SUPERVISOR)
    case.do(RecordFollowUp(satisfaction=satisfaction), MEDIATOR, at=followed_up)


def case_a() -> Case:
    a = routed(case_id="C-A")
    a.do(AcknowledgeTask(task_id="C-A-T1"), liaison(LEAD), at=at(2, 9, 30))
    a.do(AcknowledgeTask(task_id="C-A-T2"), liaison(CO), at=at(4, 9))
    a.do(RequestExtension(task_id="C-A-T1", extra="2wd", reason="等待鉴定"), liaison(LEAD), at=at(10, 9))
    a.do(DecideExtension(task_id="C-A-T1", approve=True), SUPERVISOR)
    a.do(ReplyTask(task_id="C-A-T1", summary="已调解"), liaison(LEAD), at=at(12, 9))
    a.do(ReplyTask(task_id="C-A-T2", summary="已配合"), liaison(CO))
    a.do(RateTask(task_id="C-A-T1", grade=Grade.excellent), SUPERVISOR)
    a.do(RateTask(task_id="C-A-T2", grade=Grade.fair), SUPERVISOR)
    close(a, at(12, 10), Satisfaction.satisfied, at(13, 10))
    return a


def case_b() -> Case:
    b = routed(case_id="C-B")
    b.do(ReturnTask(task_id="C-B-T2", reason="不涉及本单位"), liaison(CO), at=at(2, 10))
    b.do(DecideReturn(task_id="C-B-T2", approve=True), SUPERVISOR)
    return b


def case_c() -> Case:
    c = routed(case_id="C-C", co=())
    c.do(PauseClock(reason="等待鉴定"), SUPERVISOR)
    c.do(ResumeClock(reason="鉴定完成"), SUPERVISOR, at=at(2, 14, 30))
    c.do(AcknowledgeTask(task_id="C-C-T1"), liaison(LEAD), at=at(3, 15))
    c.do(ReplyTask(task_id="C-C-T1", summary="已调解"), liaison(LEAD), at=at(11, 12))
    close(c, at(11, 13), Satisfaction.dissatisfied, at(12, 9))
    c.do(JudgeComplaint(reasonable=True, reason="漏水未修复"), SUPERVISOR)
    c.do(ReplyTask(task_id="C-C-T1", summary="已修复"), liaison(LEAD), at=at(20, 9))
    c.do(RateTask(task_id="C-C-T1", grade=Grade.good), SUPERVISOR)
    close(c, at(20, 10), Satisfaction.satisfied, at(24, 9))
    return c


def case_d() -> Case:
    d = Case(routed().state.policy, now=at(2, 9, month=2), case_id="C-D")  # type: ignore[arg-type]
    from domain.commands import RouteCase

    d.do(RouteCase(lead_department=OTHER), MEDIATOR)
    d.do(AcknowledgeTask(task_id="C-D-T1"), liaison(OTHER), at=at(2, 9, 10, month=2))
    d.do(ReplyTask(task_id="C-D-T1", summary="已办结"), liaison(OTHER), at=at(3, 9, month=2))
    return d


def fixed_set() -> list[Case]:
    """The four cases of the module docstring (also written to the real database by tests/infra)."""
    return [case_a(), case_b(), case_c(), case_d()]


def march_counts(cases: list[Case], now: datetime = APRIL_1) -> dict[str, Counts]:
    tasks = [f for c in cases for f in task_facts(c.state)]
    follow_ups = [f for c in cases for f in follow_up_facts(c.state)]
    return {c.department: c for c in count(tasks, follow_ups, MARCH, now)}


# --- the deadlines the edge cases turn on ------------------------------------------------------------------


def test_the_extension_and_the_pause_moved_the_deadlines_the_figures_judge() -> None:
    a, c = case_a(), case_c()
    assert a.state.task("C-A-T1").reply_due_at == at(13, 9)  # type: ignore[union-attr]
    task = c.state.task("C-C-T1")
    assert task is not None and task.acknowledge_due_at == at(3, 15, 30)
    assert task.reply_due_at == at(23, 9) and c.state.reopen_count == 1


# --- the counts and the rates ------------------------------------------------------------------------------


def test_the_march_counts_are_the_hand_worked_ones() -> None:
    counts = march_counts(fixed_set())
    assert set(counts) == {LEAD, CO}  # D's department had nothing in March: no row, not 0 %
    assert counts[LEAD] == Counts(department=LEAD, tasks=3, ack_due=3, ack_on_time=2, reply_due=3, reply_on_time=2,
                                  assigned=3, returned=0, follow_ups=3, satisfied=2, reopen_base=3, reopened=1,
                                  rated=2, rating_points=7)
    assert counts[CO] == Counts(department=CO, tasks=2, ack_due=1, ack_on_time=0, reply_due=1, reply_on_time=0,
                                assigned=2, returned=1, follow_ups=1, satisfied=1, rated=1, rating_points=2)


def test_a_deadline_not_yet_passed_is_not_judged() -> None:
    # On 11 March 08:00 B's lead is late to acknowledge but its reply is not due yet: only the first counts.
    counts = march_counts([case_b()], now=at(11, 8))
    assert (counts[LEAD].ack_due, counts[LEAD].ack_on_time, counts[LEAD].reply_due) == (1, 0, 0)


def test_the_rates_and_the_scores() -> None:
    ranking = rank(list(march_counts(fixed_set()).values()), Scoring())
    lead, co = ranking.rows
    assert (lead.department, lead.rank, lead.score) == (LEAD, 1, 70.0)
    assert (lead.on_time_ack_rate, lead.return_rate, lead.reopen_rate) == (pytest.approx(2 / 3), 0.0,
                                                                           pytest.approx(1 / 3))
    assert (co.department, co.rank, co.score) == (CO, 2, 38.89)
    assert (co.on_time_ack_rate, co.satisfaction_rate, co.return_rate, co.reopen_rate) == (0.0, 1.0, 0.5, None)
    assert (ranking.red_list, ranking.black_list) == ((LEAD,), (CO,))
    assert (lead.rating_avg, co.rating_avg) == (3.5, 2.0)


def test_a_rating_weight_counts_the_grades_in_the_score() -> None:
    scoring = Scoring.model_validate({"weights": {"on_time_ack": 0, "on_time_reply": 0, "satisfaction": 0,
                                                  "return": 0, "reopen": 0, "rating": 10}})
    lead, co = rank(list(march_counts(fixed_set()).values()), scoring).rows
    assert (lead.score, co.score) == (83.33, 33.33)  # (3.5 - 1) / 3 and (2 - 1) / 3


def test_a_replied_task_is_rated_once_and_only_by_a_supervisor() -> None:
    case = routed(co=())
    case.refused(RateTask(task_id="C-1-T1", grade=Grade.good), SUPERVISOR, "pending_ack; this needs replied")
    case.do(AcknowledgeTask(task_id="C-1-T1"), liaison(LEAD))
    case.do(ReplyTask(task_id="C-1-T1", summary="已办结"), liaison(LEAD))
    case.forbidden(RateTask(task_id="C-1-T1", grade=Grade.excellent), liaison(LEAD), "it is for: supervisor")
    case.forbidden(RateTask(task_id="C-1-T1", grade=Grade.excellent), MEDIATOR, "it is for: supervisor")
    assert case.do(RateTask(task_id="C-1-T1", grade=Grade.poor, note="答复敷衍"), SUPERVISOR) == ["TaskRated"]
    assert case.state.task("C-1-T1").grade is Grade.poor  # type: ignore[union-attr]
    case.refused(RateTask(task_id="C-1-T1", grade=Grade.good), SUPERVISOR, "already rated")


def test_a_period_with_no_tasks_has_no_rows() -> None:
    cases = fixed_set()
    tasks = [f for c in cases for f in task_facts(c.state)]
    follow_ups = [f for c in cases for f in follow_up_facts(c.state)]
    assert count(tasks, follow_ups, Period.parse("2026-05"), APRIL_1) == []
    assert rank([], Scoring()).rows == ()


# --- scores, ranks and the lists ---------------------------------------------------------------------------


def test_a_rate_with_nothing_behind_it_is_left_out_and_the_rest_reweighted() -> None:
    only_acks = Counts(department="d", tasks=4, ack_due=4, ack_on_time=3)
    assert rank([only_acks], Scoring()).rows[0].score == 75.0  # 3/4 on time, the only rate present
    none = Counts(department="e", follow_ups=0, tasks=0, listed=1)
    assert rank([none], Scoring()).rows[0].score is None
    only_assigned = Counts(department="f", tasks=1, assigned=1)  # a return rate of 0 % alone is no score
    assert rank([only_assigned], Scoring()).rows[0].score is None


def test_equal_scores_share_a_rank_and_no_department_is_on_both_lists() -> None:
    def dept(name: str, on_time: int) -> Counts:
        return Counts(department=name, tasks=10, ack_due=10, ack_on_time=on_time)

    ranking = rank([dept("a", 9), dept("b", 9), dept("c", 5), dept("d", 1), dept("e", 0)], Scoring(red_black=5))
    assert [(r.department, r.rank) for r in ranking.rows] == [("a", 1), ("b", 1), ("c", 3), ("d", 4), ("e", 5)]
    assert (ranking.red_list, ranking.black_list) == (("a", "b"), ("d", "e"))  # at most half each
    alike = rank([dept("a", 9), dept("b", 9), dept("c", 9), dept("d", 9)], Scoring())
    assert [r.rank for r in alike.rows] == [1, 1, 1, 1] and (alike.red_list, alike.black_list) == ((), ())
    two_levels = rank([dept("a", 9), dept("b", 9), dept("c", 9), dept("d", 5)], Scoring(red_black=2))
    assert (two_levels.red_list, two_levels.black_list) == (("a", "b"), ("d",))  # c ties the best


def test_the_weights_come_from_the_policy_section() -> None:
    scoring = Scoring.model_validate({"weights": {"on_time_ack": 50, "on_time_reply": 50, "satisfaction": 0,
                                                  "return": 0, "reopen": 0}, "red_black": 3})
    counts = Counts(department="d", tasks=2, ack_due=2, ack_on_time=2, reply_due=2, reply_on_time=1,
                    follow_ups=5, satisfied=0)
    assert rank([counts], scoring).rows[0].score == 75.0  # satisfaction weighs nothing here
    with pytest.raises(ValueError, match="extra"):
        Weights.model_validate({"speed": 10})


# --- periods -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026-q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_a_period_is_a_month_a_quarter_or_a_year_of_shanghai_days(text: str, first: date, last: date) -> None:
    period = Period.parse(text)
    assert (period.first, period.last) == (first, last)
    assert period.start == datetime.combine(first, datetime.min.time(), SH)
    assert period.end == datetime.combine(last + timedelta(days=1), datetime.min.time(), SH)


def test_from_and_to_are_both_inclusive() -> None:
    period = Period.parse(first=date(2026, 3, 2), last=date(2026, 3, 2))
    assert period.holds(at(2, 23, 59)) and not period.holds(at(3, 0)) and not period.holds(at(1, 23, 59))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"period": "2026-13"}, "month 13 is not 01-12"),
    ({"period": "November"}, "is not a month"),
    ({}, "give period"),
    ({"first": date(2026, 3, 2), "last": date(2026, 3, 1)}, "is before from"),
    ({"period": "2026", "first": date(2026, 1, 1)}, "not both"),
    # dates at the ends of the calendar: refused, not a server error when the bounds are computed
    ({"period": "0000"}, "no year 0000"),
    ({"period": "0000-Q1"}, "no year 0000"),
    ({"period": "9999-12"}, "within the years 1900 to 9998"),
    ({"first": date.min, "last": date(2026, 1, 1)}, "within the years 1900 to 9998"),
])
def test_a_bad_period_says_what_was_expected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        Period.parse(**kwargs)  # type: ignore[arg-type]


def test_a_period_lies_within_the_years_a_timestamp_holds() -> None:
    for first, last in ((date(1, 1, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(9999, 12, 31))):
        with pytest.raises(PeriodError, match="1900 to 9998"):
            Period.parse(first=first, last=last)
    with pytest.raises(PeriodError, match="1900 to 9998"):
        Period.parse("9999")
    assert Period.parse(first=date(1900, 1, 1), last=date(9998, 12, 31)).end.year == 9999
