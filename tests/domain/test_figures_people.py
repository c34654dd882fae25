"""The scores per person (domain/figures.py, "Per person"), on a small set worked out by hand.

All on the default policy, each case routed on Monday 2 March 2026 09:00: acknowledge due Tuesday 3 March 10:00,
reply due Wednesday 11 March 09:00. Liaisons X and Y of the lead department, Z of the co-department.

* P1: lead only. X acknowledges at 09:30 (on time) and names Y the 责任人; the reply comes on the 12th (late).
* P2: lead only. X acknowledges on Wednesday 4th (late); replies on the 10th (on time).
* P3: lead only, never acknowledged: late for the department, nobody's as a person.
* P4: lead and co. X acknowledges on Tuesday 09:00 and replies on the 10th (both on time); Z acknowledges at
  11:00 on Monday and replies on Thursday 5th (both on time).

March, seen on 1 April (satisfaction is not a person's figure):

| person | tasks | 签收 on time | 办结 on time | 回退 | 重办 | score (20, 30, -, 10, 10) |
|---|---|---|---|---|---|---|
| Z (co) | 1 | 1/1 | 1/1 | 0/1 | none (co) | (20 + 30 + 10) / 60 = 100 |
| X (lead) | 2 (P2, P4) | 1/2 | 2/2 | 0/2 | 0/2 | (10 + 30 + 10 + 10) / 70 = 85.71 |
| Y (lead) | 1 (P1) | 1/1 | 0/1 | 0/1 | 0/1 | (20 + 0 + 10 + 10) / 70 = 57.14 |

P1's acknowledgement was X's, on time; the task is Y's as it stands, so it counts for Y."""

from __future__ import annotations

from domain.commands import AcknowledgeTask, NameAssignee, ReplyTask
from domain.events import Actor
from domain.figures import Counts, Scoring, count, follow_up_facts, rank_people, task_facts
from domain.vocabulary import Role
from tests.domain.test_figures import APRIL_1, MARCH, at
from tests.domain.test_supervision import CO, LEAD, Case, routed

X = Actor(role=Role.liaison, id="usr-x", department=LEAD)
Y = Actor(role=Role.liaison, id="usr-y", department=LEAD)
Z = Actor(role=Role.liaison, id="usr-z", department=CO)


def people_set() -> list[Case]:
    p1 = routed(case_id="P1", co=(), now=at(2, 9))
    p1.do(AcknowledgeTask(task_id="P1-T1"), X, at=at(2, 9, 30))
    p1.do(NameAssignee(task_id="P1-T1", user=Y.id, user_department=LEAD), X, at=at(2, 10))
    p1.do(ReplyTask(task_id="P1-T1", summary="已调解"), Y, at=at(12, 9))
    p2 = routed(case_id="P2", co=(), now=at(2, 9))
    p2.do(AcknowledgeTask(task_id="P2-T1"), X, at=at(4, 9))
    p2.do(ReplyTask(task_id="P2-T1", summary="已调解"), X, at=at(10, 9))
    p3 = routed(case_id="P3", co=(), now=at(2, 9))
    p4 = routed(case_id="P4", now=at(2, 9))
    p4.do(AcknowledgeTask(task_id="P4-T2"), Z, at=at(2, 11))
    p4.do(AcknowledgeTask(task_id="P4-T1"), X, at=at(3, 9))
    p4.do(ReplyTask(task_id="P4-T2", summary="已配合"), Z, at=at(5, 9))
    p4.do(ReplyTask(task_id="P4-T1", summary="已调解"), X, at=at(10, 9))
    return [p1, p2, p3, p4]


def person_counts(cases: list[Case]) -> dict[str | None, Counts]:
    tasks = [f for c in cases for f in task_facts(c.state)]
    follow_ups = [f for c in cases for f in follow_up_facts(c.state)]
    return {c.assignee: c for c in count(tasks, follow_ups, MARCH, APRIL_1, by_person=True)}


def test_the_deadlines_are_the_ones_the_table_uses() -> None:
    task = people_set()[0].state.task("P1-T1")
    assert task is not None and (task.acknowledge_due_at, task.reply_due_at) == (at(3, 10), at(11, 9))
    assert task.assignee == "usr-y"


def test_the_person_counts_are_the_hand_worked_ones() -> None:
    counts = person_counts(people_set())
    assert set(counts) == {"usr-x", "usr-y", "usr-z"}  # P3 was nobody's: no row for it
    assert counts["usr-x"] == Counts(department=LEAD, assignee="usr-x", tasks=2, ack_due=2, ack_on_time=1,
                                     reply_due=2, reply_on_time=2, assigned=2, reopen_base=2)
    assert counts["usr-y"] == Counts(department=LEAD, assignee="usr-y", tasks=1, ack_due=1, ack_on_time=1,
                                     reply_due=1, reply_on_time=0, assigned=1, reopen_base=1)
    assert counts["usr-z"] == Counts(department=CO, assignee="usr-z", tasks=1, ack_due=1, ack_on_time=1,
                                     reply_due=1, reply_on_time=1, assigned=1)


def test_the_person_scores_and_ranks() -> None:
    rows = rank_people(list(person_counts(people_set()).values()), Scoring())
    assert [(r.assignee, r.score, r.rank) for r in rows] == [("usr-z", 100.0, 1), ("usr-x", 85.71, 2),
                                                              ("usr-y", 57.14, 3)]
    assert all(r.satisfaction_rate is None for r in rows)


def test_the_department_counts_still_hold_the_task_nobody_acknowledged() -> None:
    cases = people_set()
    tasks = [f for c in cases for f in task_facts(c.state)]
    [co, lead] = count(tasks, [], MARCH, APRIL_1)  # by department id
    assert (lead.department, lead.tasks, lead.ack_due, lead.ack_on_time) == (LEAD, 4, 4, 2)
    assert (co.department, co.tasks) == (CO, 1)
