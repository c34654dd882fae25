"""The case ledger (台账): one row per case received in a period, as a workbook, CSV or JSON.

A case is in the ledger of the period (Asia/Shanghai days, both inclusive) in which it was received; with a
jurisdiction, only the cases whose grid lies in it or below it. Rows oldest first (ties by case id). Each
column has one definition, here:

* **编号**: the case's number once its first paper was issued (``CaseState.case_number``,
  （2026）东湖人调字第12号), else its case id.
* **受理时间**: when the case was received (CaseReceived), Asia/Shanghai.
* **来源** (channel), **类别** (category), **网格** (grid), **风险** (risk level as it stands now): named
  from the organisation in force and domain/describe.py (the id itself for one the organisation no longer has).
* **牵头单位**: the department of the case's latest lead task that was neither returned (退回) nor taken
  away; none while the case waits to be (re)routed.
* **协办单位**: the departments of its co-department tasks neither withdrawn (撤回) nor taken away, in the
  order assigned, joined by 、.
* **阶段**: the case's stage now.
* **结果**: the outcome of its resolution (调解成功, 部分解决, ...); for a case archived without one, why
  (不予受理, 重复件); else empty. A reopened case (重办) has no outcome until it is resolved again.
* **办结时间**: when the case was archived (CaseArchived: after its verification and follow-up, or on not
  being accepted or being a duplicate); empty while it is open. (Archiving is the case's one end: a
  verified resolution can still be reopened by its follow-up.)
* **是否按时**: 是 when the case has tasks (returned, withdrawn and taken-away ones left out, as in the
  scores) and every one was replied to at or before its reply deadline as it stands (an approved
  extension or a paused clock has moved it); 否 as soon as one was replied to after it or is unreplied past
  it; empty when there is no such task, or some are not due yet and none is late.
* **满意度**: the satisfaction of the last follow-up (回访); empty before one.
* **当事人**: each party as 姓名（角色，电话）, joined by ；, the phone only when known; masked (张*, 138****1234)
  unless the caller reads every case's parties in full (mediators and auditors; see application/access.py).
  ID numbers stay in the case file, not in the ledger.

An unmasked ledger is one read of many cases' personal data: it is recorded once in the access log (case
none, what ``ledger FROM..TO``) before any row leaves."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

import asyncpg

from application.access import require_role, sees_every_case_in_full
from application.access_log import record_access
from application.errors import InvalidInput
from domain.describe import ARCHIVE, CHANNEL, OUTCOME, PARTY_ROLE, RISK, SATISFACTION, STAGE, Names
from domain.events import Actor, Party
from domain.figures import SHANGHAI, Period, PeriodError
from domain.masking import mask_name, mask_phone
from domain.organisation import Organisation, UnknownId
from domain.vocabulary import ArchiveReason, Channel, Outcome, RiskLevel, Role, Satisfaction, Stage
from infra.ledger import LedgerFacts, ledger_facts
from infra.spreadsheets import Column, CsvWriter, XlsxWriter

if TYPE_CHECKING:
    from application.cases import Application

READ_LEDGER = frozenset({Role.mediator, Role.supervisor, Role.leader, Role.auditor})


class Format(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


COLUMNS = (
    Column("编号", width=26), Column("受理时间", "datetime", 17), Column("来源", width=10), Column("类别", width=14),
    Column("网格", width=28), Column("风险", width=6), Column("牵头单位", width=22), Column("协办单位", width=30),
    Column("阶段", width=10), Column("结果", width=14), Column("办结时间", "datetime", 17), Column("是否按时", width=8),
    Column("满意度", width=10), Column("当事人", width=40),
)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One case's row, each field the column of the same place in :data:`COLUMNS` (module docstring)."""

    case_id: str
    number: str
    received_at: datetime  # Asia/Shanghai
    channel: str
    category: str
    grid: str
    risk: str
    lead_department: str
    co_departments: tuple[str, ...]
    stage: str
    result: str
    concluded_at: datetime | None  # Asia/Shanghai
    on_time: bool | None
    satisfaction: str
    parties: tuple[Party, ...]  # as the caller sees them (masked or not)

    def cells(self) -> list[Any]:
        return [self.number, self.received_at, self.channel, self.category, self.grid, self.risk,
                self.lead_department, "、".join(self.co_departments), self.stage, self.result, self.concluded_at,
                {True: "是", False: "否", None: None}[self.on_time], self.satisfaction or None,
                "；".join(party_text(p) for p in self.parties)]


def party_text(party: Party) -> str:
    """张三（申请人，13800001234）: the name, the role, the phone when known."""
    details = "，".join(x for x in (PARTY_ROLE[party.role], party.phone) if x)
    return f"{party.name}（{details}）"


def _masked(party: Party) -> Party:
    return Party.model_construct(name=mask_name(party.name), role=party.role,
                                 phone=mask_phone(party.phone) if party.phone else None, id_number=None)


def on_time(facts: LedgerFacts) -> bool | None:
    """是否按时 (module docstring)."""
    if facts.tasks_late:
        return False
    if facts.tasks_judged == 0 or facts.tasks_waiting:
        return None
    return True


def result(facts: LedgerFacts) -> str:
    if facts.outcome is not None:
        return OUTCOME[Outcome(facts.outcome)]
    if facts.archive_reason is not None and facts.archive_reason != ArchiveReason.resolved.value:
        return ARCHIVE[ArchiveReason(facts.archive_reason)]
    return ""


def ledger_row(facts: LedgerFacts, names: Names, full: bool) -> LedgerRow:
    return LedgerRow(
        case_id=facts.case_id, number=facts.case_number or facts.case_id,
        received_at=facts.received_at.astimezone(SHANGHAI),
        channel=CHANNEL[Channel(facts.channel)] if facts.channel else "", category=names.category(facts.category),
        grid=names.place(facts.grid_id), risk=RISK[RiskLevel(facts.risk_level)],
        lead_department=names.department(facts.lead_department) if facts.lead_department else "",
        co_departments=tuple(names.department(d) for d in facts.co_departments), stage=STAGE[Stage(facts.stage)],
        result=result(facts),
        concluded_at=facts.archived_at.astimezone(SHANGHAI) if facts.archived_at else None,
        on_time=on_time(facts),
        satisfaction=SATISFACTION[Satisfaction(facts.satisfaction)] if facts.satisfaction else "",
        parties=tuple(p.model_copy(update={"id_number": None}) if full else _masked(p) for p in facts.parties),
    )


def _grids(org: Organisation, jurisdiction: str | None) -> list[str] | None:
    """The jurisdiction and every one below it (a street holds its communities' grids); None: everywhere."""
    if jurisdiction is None:
        return None
    try:
        org.jurisdiction(jurisdiction)
    except UnknownId as exc:
        raise InvalidInput(str(exc), "jurisdiction") from exc
    return [j.id for j in org.jurisdictions if any(a.id == jurisdiction for a in org.ancestors(j.id))]


def parse_days(first: date | None, last: date | None) -> Period:
    """The ledger's period: ``first`` to ``last``, Asia/Shanghai days, both inclusive."""
    if first is None or last is None:
        raise InvalidInput("give both from and to (YYYY-MM-DD, Asia/Shanghai days, both inclusive)",
                           "to" if first is not None else "from")
    try:
        return Period.parse(first=first, last=last)
    except PeriodError as exc:
        raise InvalidInput(str(exc), "to") from exc


async def ledger_rows(pool: asyncpg.Pool, org: Organisation, now: datetime, actor: Actor, period: Period,
                      jurisdiction: str | None = None) -> AsyncIterator[LedgerRow]:
    """台账: the rows of ``period``, oldest first, as ``actor`` may see them (module docstring). The role and
    the jurisdiction are checked, and an unmasked read recorded, here, before any row is read."""
    require_role(actor, READ_LEDGER)
    grids = _grids(org, jurisdiction)
    full = sees_every_case_in_full(actor)
    if full:
        await record_access(pool, actor, None, f"ledger {period.first.isoformat()}..{period.last.isoformat()}")
    return _rows(pool, Names(org), now, period, grids, full)


async def _rows(pool: asyncpg.Pool, names: Names, now: datetime, period: Period, grids: list[str] | None,
                full: bool) -> AsyncIterator[LedgerRow]:
    async for facts in ledger_facts(pool, period.start, period.end, now, grids):
        yield ledger_row(facts, names, full)


def row_json(row: LedgerRow) -> dict[str, Any]:
    return {
        "case_id": row.case_id, "number": row.number, "received_at": row.received_at.isoformat(),
        "channel": row.channel, "category": row.category, "grid": row.grid, "risk": row.risk,
        "lead_department": row.lead_department, "co_departments": list(row.co_departments), "stage": row.stage,
        "result": row.result, "concluded_at": row.concluded_at.isoformat() if row.concluded_at else None,
        "on_time": row.on_time, "satisfaction": row.satisfaction or None,
        "parties": [{"name": p.name, "role": p.role.value, "phone": p.phone} for p in row.parties],
    }


async def write_ledger(pool: asyncpg.Pool, org: Organisation, now: datetime, actor: Actor, period: Period,
                       jurisdiction: str | None, fmt: Format, out: IO[bytes]) -> int:
    """Write the ledger to ``out`` as a workbook, CSV or JSON, a row at a time; the number of rows.

    The workbook is streamed (XlsxWriter's constant_memory) and the rows are read a batch at a time, so memory
    stays bounded whatever the period holds."""
    rows = await ledger_rows(pool, org, now, actor, period, jurisdiction)
    n = 0
    if fmt is Format.xlsx:
        book = XlsxWriter(out)
        book.sheet(f"台账 {period.first.isoformat()}至{period.last.isoformat()}", COLUMNS)
        async for row in rows:
            book.row(row.cells())
            n += 1
        await asyncio.to_thread(book.close)  # zipping the sheet is the long part: off the event loop
        return n
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        if fmt is Format.csv:
            writer = CsvWriter(text, COLUMNS)
            async for row in rows:
                writer.row(row.cells())
                n += 1
        else:
            head = {"from": period.first.isoformat(), "to": period.last.isoformat(), "jurisdiction": jurisdiction}
            text.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
            async for row in rows:
                text.write((",\n" if n else "\n") + json.dumps(row_json(row), ensure_ascii=False))
                n += 1
            text.write("\n]}\n")
        text.flush()
    finally:
        text.detach()  # ``out`` is the caller's to close
    return n


async def export_ledger(app: Application, actor: Actor, period: Period, jurisdiction: str | None, fmt: Format,
                        out: IO[bytes]) -> int:
    """:func:`write_ledger` with the services of a running stack (the HTTP API's way in)."""
    return await write_ledger(app.pool, app.org, app.clock(), actor, period, jurisdiction, fmt, out)


async def stored_ledger(pool: asyncpg.Pool, now: datetime, actor: Actor, period: Period, jurisdiction: str | None,
                        fmt: Format, out: IO[bytes]) -> int:
    """:func:`write_ledger` under the organisation the stack last started with (the command line's way in)."""
    from infra.organisations import in_force

    return await write_ledger(pool, await in_force(pool), now, actor, period, jurisdiction, fmt, out)
