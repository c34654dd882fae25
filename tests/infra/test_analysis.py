"""研判 in the real PostgreSQL: the fixed cases of tests/domain/test_analysis.py, written as events and projected,
counted in SQL and rolled up give the hand-worked numbers; and the repeat visitors over visitor marks.

The visitors (ID number / phone; Asia/Shanghai days; window 90 days):

    P  id 110105194912310021, phone …0001: A1 08-01, A2 10-20, A3 11-05  -> A2 repeats A1, A3 repeats A2
    Q  id Q1, phone …0002: B1 11-02;  R  id R1 (another), same phone: B2 11-09  -> neither repeats
    S  no id, phone …0003: C1 11-03, C2 11-20, C3 11-25  -> C2 and C3 repeat: S counted once
    T  id T1, phone …0004: D1 10-10;  D2 11-12 with the phone only  -> a repeat by phone
    U  phone …0005: E1 11-30 23:30, E2 12-01 00:10  -> a December repeat, not a November one

November: P, S, T = 3 repeat visitors; October: P = 1; December: U = 1."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from domain.analysis import HotspotBy, hotspots
from domain.events import CaseArchived, CaseMarkedDuplicate, CaseReceived, Party, PendingEvent
from domain.figures import SHANGHAI, Period
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.vocabulary import ArchiveReason, Channel, PartyRole, RiskLevel
from infra.analysis import repeat_visitors, tallies
from infra.event_store import EventStore
from infra.projections import Projector
from infra.visitors import earlier_visits, marks, record_visit
from tests.domain.test_analysis import CASES, HY1, rows
from tests.domain.test_supervision import MEDIATOR

KEY = bytes(range(32))
W = timedelta(days=90)  # [analysis] repeat_window's default


def sh(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def received(grid: str, category: str, at: datetime, duplicate_of: str | None = None) -> CaseReceived:
    return CaseReceived(title="t", description="d", category=category, channel=Channel.walk_in, grid_id=grid,
                        risk_level=RiskLevel.low, parties=(Party(name="某", role=PartyRole.applicant),),
                        policy=pin_policy(DEFAULT_POLICY, at), duplicate_of=duplicate_of)


async def write(pool: asyncpg.Pool, case_id: str, at: datetime, *payloads: object) -> None:
    pending = [PendingEvent(event_id=uuid.uuid4(), occurred_at=at, actor=MEDIATOR, payload=p)  # type: ignore[arg-type]
               for p in payloads]
    await EventStore(pool).append(case_id, 0, pending)


async def write_fixed_set(pool: asyncpg.Pool) -> None:
    for n, (grid, category, month) in enumerate(CASES):
        await write(pool, f"C-{n}", sh(month, 1 + n), received(grid, category, sh(month, 1 + n)))
    # Left out: a November duplicate, and cases just outside both months.
    await write(pool, "C-dup", sh(11, 15), received(HY1, "leak", sh(11, 15), duplicate_of="C-0"),
                CaseMarkedDuplicate(duplicate_of="C-0"), CaseArchived(reason=ArchiveReason.duplicate))
    await write(pool, "C-sep", sh(9, 30, 23, 59), received(HY1, "leak", sh(9, 30, 23, 59)))
    await write(pool, "C-dec", sh(12, 1, 0, 0), received(HY1, "leak", sh(12, 1, 0, 0)))
    await Projector(pool).catch_up()


async def test_sql_counts_and_the_roll_up_give_the_hand_worked_hotspots(own_pool: asyncpg.Pool) -> None:
    await write_fixed_set(own_pool)
    org = demo_organisation()
    november = await tallies(own_pool, Period.parse("2026-11"))
    october = await tallies(own_pool, Period.parse("2026-10"))
    assert sum(t.count for t in november) == 7 and sum(t.count for t in october) == 5
    for by in HotspotBy:
        got = [(r.key, r.count, r.previous, r.change.count, r.change.percent)
               for r in hotspots(org, november, october, by)]
        assert got == rows(by), by


async def test_repeat_visitors_are_counted_once_by_keyed_hash(own_pool: asyncpg.Pool) -> None:
    def person(id_number: str | None, phone: str | None, name: str = "某人") -> tuple[Party, ...]:
        return (Party(name=name, role=PartyRole.applicant, id_number=id_number, phone=phone),)

    p, s, u = person("110105194912310021", "13800000001"), person(None, "13700000003"), person(None, "13500000005")
    visits = [
        ("A1", sh(8, 1), p), ("A2", sh(10, 20), p), ("A3", sh(11, 5), person("110105194912310021", None, "张叁")),
        ("B1", sh(11, 2), person("Q1", "13900000002")), ("B2", sh(11, 9), person("R1", "139 0000 0002")),
        ("C1", sh(11, 3), s), ("C2", sh(11, 20), s), ("C3", sh(11, 25), s),
        ("D1", sh(10, 10), person("T1", "13600000004")), ("D2", sh(11, 12), person(None, "+86 136 0000 0004")),
        ("E1", sh(11, 30, 23, 30), u), ("E2", sh(12, 1, 0, 10), u),
    ]
    for case_id, at, parties in visits:
        await record_visit(own_pool, case_id, at, marks(KEY, parties))
    assert await repeat_visitors(own_pool, Period.parse("2026-11"), W) == 3
    assert await repeat_visitors(own_pool, Period.parse("2026-10"), W) == 1
    assert await repeat_visitors(own_pool, Period.parse("2026-12"), W) == 1
    # At intake: P's ID number under another name finds A3 and A2 (A1 is older than 90 days), latest first.
    at = sh(11, 10)
    found = marks(KEY, person("110105194912310021", None, "张三丰"))
    assert await earlier_visits(own_pool, found, at, window=W) == ["A3", "A2"]
    # Another ID number on Q's and R's phone is another person; the phone alone finds both.
    assert await earlier_visits(own_pool, marks(KEY, person("X9", "13900000002")), at, window=W) == []
    assert await earlier_visits(own_pool, marks(KEY, person(None, "13900000002")), at, window=W) == ["B2", "B1"]
    phone = marks(KEY, person(None, "13900000002"))
    assert await earlier_visits(own_pool, phone, at, exclude="B2", window=W) == ["B1"]
    # Another key finds nothing: the hashes are keyed.
    assert await earlier_visits(own_pool, marks(bytes(32), person(None, "13900000002")), at, window=W) == []
    assert await earlier_visits(own_pool, marks(KEY, person(None, None)), at, window=W) == []
    assert at - sh(8, 1) > timedelta(days=90)
