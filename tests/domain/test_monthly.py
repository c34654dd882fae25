"""The monthly report's figures over a fixed set, worked out by hand (domain/monthly.py defines each one).

Cases received (grid, category, channel: how many), demo district:

    2026-11  花园1 leak walk_in 2 · 花园1 leak hotline 1 · 滨河1 wages grid_report 2 · 鼓楼1 parking (none) 1   = 6
    2026-10  花园1 leak walk_in 1 · 滨河1 wages hotline 2 · 桃源1 family walk_in 1                            = 4
    2025-11  花园1 leak walk_in 3                                                                         = 3

Total         6 | 4 | 3    环比 +2 +50.0 %   同比 +3 +100.0 %
Channels      来访 2|2|3 (0, 0.0 %; −1, −33.3 %) · 网格上报 2|0|0 (+2, none; +2, none)
              12345热线 1|2|0 (−1, −50.0 %; +1, none) · 未注明 1|0|0
Categories    leak 3|1|3 (+2, +200.0 %; 0, 0.0 %) · wages 2|2|0 (0, 0.0 %; +2, none) · parking 1|0|0
              · family 0|1|0 (−1, −100.0 %; 0, none: 0 against 0)
Streets       东湖 5|3|3 (+2, +66.7 %; +2, +66.7 %) · 西城 1|1|0 (0, 0.0 %; +1, none)
Hotspots      花园 3/1 · 滨河 2/2 · 鼓楼 1/0 · 桃源 0/1

Tasks (made at 2026-12-01 01:00): A lead replied a day late, A co acknowledged a day late, B never acknowledged
(due 11-10), C returned (late, left out), D late in October and due in December (not this month), E reply due
11-30 23:00 not done, F cancelled (left out). Overdue: cases A, B, E = 3; tasks A-lead, A-co, B, E = 4. Made at
11-30 22:00 instead: E's deadline has not passed: 2 cases, 3 tasks. Listed: A (11-15); D's listing was in October."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.analysis import Change
from domain.describe import CHANNEL
from domain.figures import Period, TaskFact
from domain.monthly import (
    MonthCount,
    MonthFacts,
    Received,
    monthly_report,
    months_ending,
    overdue,
    percent_text,
    year_before,
)
from domain.organisation import demo_organisation
from domain.vocabulary import TaskRole

HY1, BH1, GL1, TY1 = "grid-donghu-huayuan-1", "grid-donghu-binhe-1", "grid-xicheng-gulou-1", "grid-xicheng-taoyuan-1"
NOV = Period.parse("2026-11")
NAMES = {c.value: n for c, n in CHANNEL.items()} | {"unspecified": "未注明"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


def task(case: str, task_id: str = "t1", *, ack_due: str, acked: str | None, reply_due: str, replied: str | None,
         role: TaskRole = TaskRole.lead, returned: bool = False, cancelled: bool = False,
         listed: str | None = None) -> TaskFact:
    return TaskFact(case_id=case, task_id=task_id, department="dept-donghu-housing", role=role,
                    assigned_at=at("2026-10-01T09:00"), acknowledge_due_at=at(ack_due),
                    acknowledged_at=at(acked) if acked else None, reply_due_at=at(reply_due),
                    replied_at=at(replied) if replied else None, returned=returned, cancelled=cancelled,
                    case_reopened=False, listed_at=at(listed) if listed else None)


TASKS = [
    task("A", ack_due="2026-11-03T09:00", acked="2026-11-02T09:00", reply_due="2026-11-20T17:00",
         replied="2026-11-21T10:00", listed="2026-11-15T10:00"),
    task("A", "t2", role=TaskRole.co, ack_due="2026-11-03T09:00", acked="2026-11-04T09:00",
         reply_due="2026-11-25T17:00", replied="2026-11-24T10:00"),
    task("B", ack_due="2026-11-10T09:00", acked=None, reply_due="2026-12-20T17:00", replied=None),
    task("C", ack_due="2026-11-05T09:00", acked="2026-11-09T09:00", reply_due="2026-11-26T17:00", replied=None,
         returned=True),
    task("D", ack_due="2026-10-30T09:00", acked="2026-10-31T09:00", reply_due="2026-12-10T17:00", replied=None,
         listed="2026-10-20T10:00"),
    task("E", ack_due="2026-11-02T09:00", acked="2026-11-02T08:00", reply_due="2026-11-30T23:00", replied=None),
    task("F", ack_due="2026-11-05T09:00", acked=None, reply_due="2026-11-26T17:00", replied=None, cancelled=True),
]


def facts(made_at: datetime = at("2026-12-01T01:00")) -> MonthFacts:
    return MonthFacts(
        period=NOV, made_at=made_at,
        received=[Received(HY1, "leak", "walk_in", 2), Received(HY1, "leak", "hotline", 1),
                  Received(BH1, "wages", "grid_report", 2), Received(GL1, "parking", None, 1)],
        month_before=[Received(HY1, "leak", "walk_in", 1), Received(BH1, "wages", "hotline", 2),
                      Received(TY1, "family", "walk_in", 1)],
        year_before=[Received(HY1, "leak", "walk_in", 3)],
        trend=[MonthCount(p.label, 0) for p in months_ending(NOV)], tasks=TASKS,
        repeat_visitors=2, repeat_visitors_before=1, scores=[])


def lines(rows) -> list[tuple[str, int, int, int, int, float | None, int, float | None]]:  # type: ignore[no-untyped-def]
    return [(r.key, r.count, r.month_before, r.year_before, r.month_on_month.count, r.month_on_month.percent,
             r.year_on_year.count, r.year_on_year.percent) for r in rows]


def test_totals_with_month_on_month_and_year_on_year() -> None:
    report = monthly_report(demo_organisation(), facts(), NAMES)
    assert lines([report.total]) == [("total", 6, 4, 3, 2, 50.0, 3, 100.0)]
    assert (report.month_before.label, report.year_before.label) == ("2026-10", "2025-11")


def test_by_channel_with_no_earlier_case_giving_no_percent() -> None:
    report = monthly_report(demo_organisation(), facts(), NAMES)
    assert lines(report.by_channel) == [
        ("walk_in", 2, 2, 3, 0, 0.0, -1, -33.3),
        ("grid_report", 2, 0, 0, 2, None, 2, None),
        ("hotline", 1, 2, 0, -1, -50.0, 1, None),
        ("unspecified", 1, 0, 0, 1, None, 1, None),
    ]
    assert [r.name for r in report.by_channel] == ["来访", "网格上报", "12345热线", "未注明"]


def test_by_category_and_street() -> None:
    report = monthly_report(demo_organisation(), facts(), NAMES)
    assert lines(report.by_category) == [
        ("leak", 3, 1, 3, 2, 200.0, 0, 0.0),
        ("wages", 2, 2, 0, 0, 0.0, 2, None),
        ("parking", 1, 0, 0, 1, None, 1, None),
        ("family", 0, 1, 0, -1, -100.0, 0, None),
    ]
    assert lines(report.by_street) == [
        ("st-donghu", 5, 3, 3, 2, 66.7, 2, 66.7),
        ("st-xicheng", 1, 1, 0, 0, 0.0, 1, None),
    ]


def test_hotspots_by_community() -> None:
    report = monthly_report(demo_organisation(), facts(), NAMES)
    assert [(h.key, h.count, h.previous) for h in report.hotspots] == [
        ("cm-donghu-huayuan", 3, 1), ("cm-donghu-binhe", 2, 2), ("cm-xicheng-gulou", 1, 0),
        ("cm-xicheng-taoyuan", 0, 1)]


def test_overdue_cases_and_tasks_as_seen_when_made() -> None:
    assert overdue(TASKS, NOV, at("2026-12-01T01:00")) == (3, 4)
    assert overdue(TASKS, NOV, at("2026-11-30T22:00")) == (2, 3)  # E's deadline has not passed yet
    report = monthly_report(demo_organisation(), facts(), NAMES)
    assert (report.overdue_cases, report.overdue_tasks) == (3, 4)


def test_listed_cases_of_the_month_only() -> None:
    report = monthly_report(demo_organisation(), facts(), NAMES)
    assert [(c.case_id, c.since) for c in report.listed] == [("A", at("2026-11-15T10:00"))]
    assert report.listed[0].department == "东湖街道住建物业办"
    assert (report.repeat_visitors, report.repeat_visitors_before) == (2, 1)


def test_the_earlier_month_and_the_twelve_months() -> None:
    assert year_before(Period.parse("2024-02")).label == "2023-02"
    months = [p.label for p in months_ending(Period.parse("2026-03"))]
    assert months[0] == "2025-04" and months[-1] == "2026-03" and len(months) == 12
    assert NOV.end - NOV.start == timedelta(days=30)


def test_percent_text_says_when_there_is_no_earlier_case() -> None:
    assert percent_text(Change(2, 50.0), 6) == "+50.0%"
    assert percent_text(Change(-1, -33.3), 2) == "-33.3%"
    assert percent_text(Change(2, None), 2) == "新增"
    assert percent_text(Change(0, None), 0) == "—"


def test_no_clusters_means_the_section_says_so() -> None:
    assert monthly_report(demo_organisation(), facts(), NAMES).clusters is None
