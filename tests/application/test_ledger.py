"""The case ledger (台账, application/ledger.py) through the real PostgreSQL: the fixed set of
tests/domain/test_figures.py and three cases of its own, written through the event store and projected, give
the rows worked out by hand; the workbook opens in openpyxl; parties are masked for a supervisor and the
unmasked export is in the access log; a liaison is refused; the command line writes the file.

The cases received in March 2026 (Asia/Shanghai), seen on 1 April (``APRIL_1``):

| case | 受理时间 | 牵头 / 协办 | 阶段 | 结果 | 办结时间 | 是否按时 | 满意度 |
|---|---|---|---|---|---|---|---|
| C-A | 03-02 09:00 | lead-dept / co-dept | 督办验收 | 调解成功 | | 否 (the co-department replied late) | 满意 |
| C-B | 03-02 09:00 | lead-dept / — (co withdrawn) | 协调中 | | | 否 (the lead never replied) | |
| C-C | 03-02 09:00 | lead-dept / — | 督办验收 | 调解成功 | | 是 (reopened, replied again in time) | 满意 |
| C-E | 03-05 09:00 | 东湖街道住建物业办 / 东湖街道人社所 | 协调中 | | | 否 (neither replied by 16 March) | |
| C-F | 03-31 23:30 | — | 已归档 | 不予受理 | 03-31 23:45 | (no task) | |

C-D was received in February and C-G on 1 April 00:00: neither is in March. C-E is the only one in a grid of
the organisation (东湖街道花园社区第一网格), has a case number, a phone and an ID number; seen on 6 March its
deadlines have not passed: 是否按时 is empty."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import asyncpg
import pytest

from application.errors import Forbidden, InvalidInput
from application.ledger import Format, LedgerRow, ledger_rows, parse_days, write_ledger
from domain.case import CaseState
from domain.commands import DeclineCase, IssueDocument, ReceiveCase, RouteCase
from domain.events import Actor, Party, PendingEvent
from domain.organisation import demo_organisation
from domain.vocabulary import Channel, DocumentKind, PartyRole, RiskLevel, Role
from infra.access_log import access_rows
from infra.db import create_pool, migrate
from infra.event_store import EventStore
from infra.projections import Projector
from tests.domain.test_figures import APRIL_1, at, fixed_set
from tests.domain.test_supervision import MEDIATOR, SUPERVISOR, Case, pinned

ROOT = Path(__file__).resolve().parents[2]
ORG = demo_organisation()
MARCH = parse_days(date(2026, 3, 1), date(2026, 3, 31))
AUDITOR = Actor(role=Role.auditor, id="aud-1")
LEADER = Actor(role=Role.leader, id="leader-1")
LIAISON = Actor(role=Role.liaison, id="l-1", department="lead-dept")
NUMBER = "（2026）东湖人调字第7号"


def received(case_id: str, when: datetime, **kw: object) -> Case:
    """A case received at ``when``: the fixed set's 张三 and 漏水 unless ``kw`` says otherwise."""
    case = Case.__new__(Case)
    case.state, case.now, case.events, case.history, case.actors = CaseState(case_id=case_id), when, [], [], []
    fields: dict[str, object] = {
        "title": "漏水", "description": "楼上漏水", "category": "leak", "channel": Channel.walk_in,
        "grid_id": "grid-1", "risk_level": RiskLevel.medium,
        "parties": (Party(name="张三", role=PartyRole.applicant),), "policy": pinned(at=when)} | kw
    case.do(ReceiveCase.model_validate(fields), MEDIATOR)
    return case


def case_e() -> Case:
    e = received("C-E", at(5, 9), channel=Channel.hotline, grid_id="grid-donghu-huayuan-1",
                 risk_level=RiskLevel.high,
                 parties=(Party(name="李四", role=PartyRole.applicant, phone="13800001234",
                                id_number="110101199001011234"),
                          Party(name="王五", role=PartyRole.respondent)))
    e.do(RouteCase(lead_department="dept-donghu-housing", co_departments=("dept-donghu-labour",)), MEDIATOR)
    e.do(IssueDocument(document=DocumentKind.registration, number=NUMBER, sha256="a" * 64, size=100), MEDIATOR)
    return e


def case_f() -> Case:
    f = received("C-F", at(31, 23, 30))
    f.do(DeclineCase(reason="已起诉"), MEDIATOR, at=at(31, 23, 45))
    return f


def cases() -> list[Case]:
    return [*fixed_set(), case_e(), case_f(), received("C-G", at(1, 0, month=4))]


async def write(pool: asyncpg.Pool, written: list[Case]) -> None:
    store = EventStore(pool)
    for case in written:
        version = 0
        for event, occurred_at in case.history:
            pending = PendingEvent(event_id=uuid.uuid4(), occurred_at=occurred_at, actor=MEDIATOR, payload=event)
            version = (await store.append(case.state.case_id, version, [pending])).version
    await Projector(pool, store).catch_up()


@pytest.fixture
async def ledger_db(pool: asyncpg.Pool, pg_url: str) -> AsyncIterator[tuple[asyncpg.Pool, str]]:
    """A database of its own holding the cases above (a ledger of a month is compared whole), and its URL."""
    name = f"ledger_{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE DATABASE {name}")
    url = f"{pg_url.rsplit('/', 1)[0]}/{name}"
    own = await create_pool(url, max_size=4)
    try:
        await migrate(own)
        await write(own, cases())
        yield own, url
    finally:
        await own.close()
        async with pool.acquire() as conn:
            await conn.execute(f"DROP DATABASE {name}")


@pytest.fixture
def ledger_pool(ledger_db: tuple[asyncpg.Pool, str]) -> asyncpg.Pool:
    return ledger_db[0]


async def rows(pool: asyncpg.Pool, actor: Actor, period: object = MARCH, now: datetime = APRIL_1,
               jurisdiction: str | None = None) -> dict[str, LedgerRow]:
    found = await ledger_rows(pool, ORG, now, actor, period, jurisdiction)  # type: ignore[arg-type]
    return {r.case_id: r async for r in found}


async def test_the_march_ledger_is_the_hand_worked_one(ledger_pool: asyncpg.Pool) -> None:
    ledger = await rows(ledger_pool, SUPERVISOR)
    assert list(ledger) == ["C-A", "C-B", "C-C", "C-E", "C-F"]  # received order; C-D and C-G are not March's
    leak = ORG.category_name("leak")
    assert [r.cells()[:13] for r in ledger.values()] == [
        ["C-A", at(2, 9), "来访", leak, "grid-1", "中", "lead-dept", "co-dept", "督办验收", "调解成功", None, "否",
         "满意"],
        ["C-B", at(2, 9), "来访", leak, "grid-1", "中", "lead-dept", "", "协调中", "", None, "否", None],
        ["C-C", at(2, 9), "来访", leak, "grid-1", "中", "lead-dept", "", "督办验收", "调解成功", None, "是", "满意"],
        [NUMBER, at(5, 9), "12345热线", leak, "东湖街道花园社区第一网格", "高", "东湖街道住建物业办", "东湖街道人社所",
         "协调中", "", None, "否", None],
        ["C-F", at(31, 23, 30), "来访", leak, "grid-1", "中", "", "", "已归档", "不予受理", at(31, 23, 45), None,
         None],
    ]
    assert ORG.department_name("dept-donghu-housing") == "东湖街道住建物业办"  # the names are the organisation's
    assert (await rows(ledger_pool, SUPERVISOR, now=at(6, 9)))["C-E"].on_time is None  # not due yet
    february = await rows(ledger_pool, LEADER, parse_days(date(2026, 2, 1), date(2026, 2, 28)))
    assert list(february) == ["C-D"] and february["C-D"].on_time is True


async def test_parties_are_masked_unless_the_caller_reads_them_in_full(ledger_pool: asyncpg.Pool) -> None:
    masked = (await rows(ledger_pool, SUPERVISOR))["C-E"].cells()[13]
    assert masked == "李*（申请人，138****1234）；王*（被申请人）"
    assert (await rows(ledger_pool, LEADER))["C-E"].cells()[13] == masked
    full = (await rows(ledger_pool, MEDIATOR))["C-E"].cells()[13]
    assert full == "李四（申请人，13800001234）；王五（被申请人）"  # the ID number stays in the case file
    assert (await rows(ledger_pool, AUDITOR))["C-A"].cells()[13] == "张三（申请人）"


async def test_an_unmasked_export_is_recorded_once(ledger_pool: asyncpg.Pool) -> None:
    await write_ledger(ledger_pool, ORG, APRIL_1, SUPERVISOR, MARCH, None, Format.csv, io.BytesIO())
    assert await access_rows(ledger_pool, None, None, 10) == []  # masked: nobody's data was seen
    await write_ledger(ledger_pool, ORG, APRIL_1, MEDIATOR, MARCH, None, Format.xlsx, io.BytesIO())
    logged = await access_rows(ledger_pool, None, None, 10)
    assert [(r["actor"]["id"], r["case_id"], r["what"]) for r in logged] == [
        ("med-1", None, "ledger 2026-03-01..2026-03-31")]


async def test_a_liaison_and_bad_input_are_refused(ledger_pool: asyncpg.Pool) -> None:
    with pytest.raises(Forbidden, match="auditor, leader, mediator, supervisor"):
        await rows(ledger_pool, LIAISON)
    with pytest.raises(InvalidInput, match="nowhere"):
        await rows(ledger_pool, SUPERVISOR, jurisdiction="nowhere")
    with pytest.raises(InvalidInput, match="before"):
        parse_days(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="both from and to"):
        parse_days(date(2026, 3, 2), None)
    assert await access_rows(ledger_pool, None, None, 10) == []  # refused before anything was recorded


async def test_a_jurisdiction_keeps_the_cases_of_its_grids(ledger_pool: asyncpg.Pool) -> None:
    assert list(await rows(ledger_pool, SUPERVISOR, jurisdiction="st-donghu")) == ["C-E"]
    assert list(await rows(ledger_pool, SUPERVISOR, jurisdiction="cm-donghu-huayuan")) == ["C-E"]
    assert list(await rows(ledger_pool, SUPERVISOR, jurisdiction="st-xicheng")) == []


async def test_the_workbook_csv_and_json(ledger_pool: asyncpg.Pool) -> None:
    from openpyxl import load_workbook

    out = io.BytesIO()
    assert await write_ledger(ledger_pool, ORG, APRIL_1, SUPERVISOR, MARCH, None, Format.xlsx, out) == 5
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book[book.sheetnames[0]]
    assert book.sheetnames == ["台账 2026-03-01至2026-03-31"]
    assert [c.value for c in sheet[1]] == ["编号", "受理时间", "来源", "类别", "网格", "风险", "牵头单位", "协办单位",
                                           "阶段", "结果", "办结时间", "是否按时", "满意度", "当事人"]
    e = [c for c in sheet[5]]
    assert e[0].value == NUMBER and e[13].value == "李*（申请人，138****1234）；王*（被申请人）"
    assert e[1].value == datetime(2026, 3, 5, 9, 0) and e[1].is_date  # a date a spreadsheet sorts, local time
    f = [c.value for c in sheet[6]]
    assert f[10] == datetime(2026, 3, 31, 23, 45) and f[11] is None

    out = io.BytesIO()
    await write_ledger(ledger_pool, ORG, APRIL_1, SUPERVISOR, MARCH, None, Format.csv, out)
    lines = out.getvalue().decode("utf-8").splitlines()
    assert lines[0].startswith("\ufeff编号,受理时间,来源") and len(lines) == 6
    assert lines[1].startswith("C-A,2026-03-02 09:00,来访,")

    out = io.BytesIO()
    await write_ledger(ledger_pool, ORG, APRIL_1, SUPERVISOR, MARCH, "st-donghu", Format.json, out)
    answer = json.loads(out.getvalue())
    assert (answer["from"], answer["to"], answer["jurisdiction"]) == ("2026-03-01", "2026-03-31", "st-donghu")
    [row] = answer["rows"]
    assert row["number"] == NUMBER and row["received_at"] == "2026-03-05T09:00:00+08:00" and row["on_time"] is False
    assert row["parties"][0] == {"name": "李*", "role": "applicant", "phone": "138****1234"}
    assert row["co_departments"] == ["东湖街道人社所"]


def liandiao(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANDIAO_DATABASE_URL": database_url, "LIANDIAO_TEMPORAL_ADDRESS": "127.0.0.1:1",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "entrypoints.cli", "report", "ledger", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


async def test_the_command_line_writes_the_ledger(ledger_db: tuple[asyncpg.Pool, str], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    ledger_pool, url = ledger_db
    out = tmp_path / "taizhang.xlsx"
    done = liandiao(str(url), "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}\t5 cases"
    sheet = load_workbook(out).active
    assert sheet is not None  # the command line reads as an auditor: parties in full
    assert sheet["N5"].value == "李四（申请人，13800001234）；王五（被申请人）"
    logged = await access_rows(ledger_pool, None, None, 10)
    assert [r["what"] for r in logged] == ["ledger 2026-03-01..2026-03-31"]

    bad = liandiao(str(url), "--from", "2026-03-32", "--to", "2026-03-31", "--out", str(tmp_path / "x.xlsx"))
    assert bad.returncode == 2 and bad.stderr == "liandiao: --from '2026-03-32' is not a date (YYYY-MM-DD)\n"
    backwards = liandiao(str(url), "--from", "2026-03-02", "--to", "2026-03-01", "--out", str(tmp_path / "y.csv"))
    assert backwards.returncode == 2 and backwards.stderr.count("\n") == 1 and "before" in backwards.stderr
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.csv").exists()
