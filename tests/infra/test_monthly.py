"""The monthly report in the real PostgreSQL: the fixed set of tests/domain/test_monthly.py written as events
(and, for the deadlines, as task facts), counted in SQL and assembled, gives the hand-worked numbers; a month's
report is kept once; the announcement outlives a rebuild of the read models."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import asyncpg

from application.monthly import announcement, build, make_and_keep
from domain.events import CaseArchived, CaseMarkedDuplicate, CaseReceived, Party, PendingEvent
from domain.figures import SHANGHAI, Period
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY, Scoring, pin_policy
from domain.vocabulary import ArchiveReason, Channel, PartyRole, RiskLevel
from infra.monthly import announcement as kept_announcement
from infra.monthly import kept_report, kept_rows
from infra.projections import Projector
from tests.domain.test_monthly import BH1, GL1, HY1, TASKS, TY1, at, lines
from tests.domain.test_supervision import MEDIATOR

NOV = Period.parse("2026-11")
# (grid, category, channel, month as (year, month), how many): tests/domain/test_monthly.py's set, the case
# without a channel there (an old summary) received online here (every case received now names its channel)
SET = [(HY1, "leak", Channel.walk_in, (2026, 11), 2), (HY1, "leak", Channel.hotline, (2026, 11), 1),
       (BH1, "wages", Channel.grid_report, (2026, 11), 2), (GL1, "parking", Channel.online, (2026, 11), 1),
       (HY1, "leak", Channel.walk_in, (2026, 10), 1), (BH1, "wages", Channel.hotline, (2026, 10), 2),
       (TY1, "family", Channel.walk_in, (2026, 10), 1), (HY1, "leak", Channel.walk_in, (2025, 11), 3)]


def received(grid: str, category: str, channel: Channel, when: datetime,
             duplicate_of: str | None = None) -> CaseReceived:
    return CaseReceived(title="t", description="d", category=category, channel=channel, grid_id=grid,
                        risk_level=RiskLevel.low, parties=(Party(name="某", role=PartyRole.applicant),),
                        policy=pin_policy(DEFAULT_POLICY, when), duplicate_of=duplicate_of)


async def write(pool: asyncpg.Pool, case_id: str, when: datetime, *payloads: object) -> None:
    from infra.event_store import EventStore

    pending = [PendingEvent(event_id=uuid.uuid4(), occurred_at=when, actor=MEDIATOR, payload=p)  # type: ignore[arg-type]
               for p in payloads]
    await EventStore(pool).append(case_id, 0, pending)


async def write_fixed_set(pool: asyncpg.Pool) -> None:
    n = 0
    for grid, category, channel, (year, month), count in SET:
        for _ in range(count):
            n += 1
            when = datetime(year, month, 1 + n, 10, tzinfo=SHANGHAI)
            await write(pool, f"M-{n}", when, received(grid, category, channel, when))
    dup = datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)  # a duplicate is left out
    await write(pool, "M-dup", dup, received(HY1, "leak", Channel.walk_in, dup, duplicate_of="M-1"),
                CaseMarkedDuplicate(duplicate_of="M-1"), CaseArchived(reason=ArchiveReason.duplicate))
    edge = datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)  # the first instant of December is not November's
    await write(pool, "M-dec", edge, received(HY1, "leak", Channel.walk_in, edge))
    await Projector(pool).catch_up()
    for t in TASKS:
        await pool.execute(
            """INSERT INTO task_facts (case_id, task_id, department, role, assigned_at, acknowledge_due_at,
                                       acknowledged_at, reply_due_at, replied_at, returned, cancelled, case_reopened,
                                       listed_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
            f"T-{t.case_id}", t.task_id, t.department, t.role.value, t.assigned_at, t.acknowledge_due_at,
            t.acknowledged_at, t.reply_due_at, t.replied_at, t.returned, t.cancelled, t.case_reopened, t.listed_at)


async def test_sql_counts_give_the_hand_worked_report(own_pool: asyncpg.Pool) -> None:
    await write_fixed_set(own_pool)
    report = await build(own_pool, demo_organisation(), Scoring(), NOV, at("2026-12-01T01:00"))
    assert lines([report.total]) == [("total", 6, 4, 3, 2, 50.0, 3, 100.0)]
    assert lines(report.by_channel) == [
        ("walk_in", 2, 2, 3, 0, 0.0, -1, -33.3), ("grid_report", 2, 0, 0, 2, None, 2, None),
        ("hotline", 1, 2, 0, -1, -50.0, 1, None), ("online", 1, 0, 0, 1, None, 1, None)]
    assert [r.key for r in report.by_category] == ["leak", "wages", "parking", "family"]
    assert lines(report.by_street) == [("st-donghu", 5, 3, 3, 2, 66.7, 2, 66.7),
                                       ("st-xicheng", 1, 1, 0, 0, 0.0, 1, None)]
    trend = {t.period: t.count for t in report.trend}
    assert len(trend) == 12 and trend["2026-11"] == 6 and trend["2026-10"] == 4 and trend["2025-12"] == 0
    assert (report.overdue_cases, report.overdue_tasks) == (3, 4)
    assert [c.case_id for c in report.listed] == ["T-A"]
    assert report.clusters == ()  # no cluster alert opened in the month


async def test_a_month_is_kept_once_and_announced_once(own_pool: asyncpg.Pool) -> None:
    await write_fixed_set(own_pool)
    org = demo_organisation()
    first = await make_and_keep(own_pool, org, Scoring(), at("2026-12-01T01:00"), NOV, "https://liandiao.example")
    assert sorted(first.stored) == ["html", "pdf", "xlsx"] and first.announced
    for fmt, sha256, size in await kept_rows(own_pool, "2026-11"):
        kept = await kept_report(own_pool, "2026-11", fmt)
        assert kept is not None and hashlib.sha256(kept[1]).hexdigest() == sha256 == first.sha256[fmt]
        assert len(kept[1]) == size
    again = await make_and_keep(own_pool, org, Scoring(), at("2026-12-01T02:00"), NOV, "https://liandiao.example")
    assert again.stored == () and not again.announced and again.sha256 == first.sha256
    assert await own_pool.fetchval("SELECT count(*) FROM monthly_reports WHERE period = '2026-11'") == 3

    row = await own_pool.fetchrow("SELECT case_id, kind, departments, record::text AS record FROM notifications "
                                  "WHERE notification_id = 'monthly-report-2026-11'")
    assert row["case_id"] == "" and row["kind"] == "monthly_report" and row["departments"] == ["dept-linjiang-zongzhi"]
    record = await kept_announcement(own_pool, "monthly-report-2026-11")
    assert record is not None
    assert record.text.startswith("2026年11月矛盾纠纷月度研判报告已生成：受理6件（环比+2件），逾期案件3件")
    await Projector(own_pool).rebuild()  # no case event stands behind it: the rebuild keeps it
    assert await own_pool.fetchval(
        "SELECT count(*) FROM notifications WHERE notification_id = 'monthly-report-2026-11'") == 1


def test_the_announcement_names_no_person_and_links_the_report() -> None:
    from domain.monthly import monthly_report
    from tests.domain.test_monthly import NAMES, facts

    report = monthly_report(demo_organisation(), facts(), NAMES)
    notice = announcement(demo_organisation(), report, "https://liandiao.example/", 3600)
    assert notice is not None
    record, departments = notice
    assert departments == ["dept-linjiang-zongzhi"] and record.recipients == ("liaisons:dept-linjiang-zongzhi",)
    assert record.link == "https://liandiao.example/reports/monthly?period=2026-11"
    assert "某" not in record.text and "重复来访2人" in record.text


async def test_the_months_cluster_alerts_are_in_the_report(own_pool: asyncpg.Pool) -> None:
    """The clusters' section lists the alerts (聚集预警) opened in the month, with their case counts."""
    await own_pool.execute(
        """INSERT INTO analysis_alerts (alert_id, jurisdiction, category, case_ids, opened_at, status, closed_at,
                                        closed_by, note) VALUES
             ('A1', 'cm-donghu-huayuan', 'leak', '{C1,C2,C3}', '2026-11-12T10:00+08', 'open', NULL, NULL, NULL),
             ('A2', 'cm-donghu-binhe', 'wages', '{C4,C5,C6}', '2026-10-12T10:00+08', 'closed', '2026-10-13T10:00+08',
              'u-1', '已处置')""")
    report = await build(own_pool, demo_organisation(), Scoring(), NOV, at("2026-12-01T01:00"))
    assert report.clusters is not None
    assert [(c.category, c.jurisdiction, c.cases, c.status) for c in report.clusters] == [
        ("楼上漏水", "东湖街道花园社区", 3, "open")]
