"""The queries behind the list, inbox and board routes (docs/api.md section 3), over the read models that
infra/projections.py keeps (003_projections.sql). Every answer is a pydantic model shaped for the API; none
carries personal data (parties appear only as a fingerprint, and only the duplicate check reads it)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from pydantic import BaseModel

from domain.events import Party
from domain.organisation import JurisdictionLevel
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    Outcome,
    PartyRole,
    RiskLevel,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)

MAX_LIMIT = 500


class CaseSummary(BaseModel):
    case_id: str
    stage: Stage
    title: str
    category: str
    channel: Channel | None
    grid_id: str
    risk_level: RiskLevel
    received_at: datetime | None
    updated_at: datetime | None
    version: int
    departments: list[str]
    lead_department: str | None
    escalation_level: int
    overdue: bool
    overdue_since: datetime | None  # the earliest due time of an open clock (overdue once it has passed)
    outcome: Outcome | None
    satisfaction: Satisfaction | None
    reopen_count: int
    archive_reason: ArchiveReason | None
    handling_level: JurisdictionLevel  # where it is handled now (上交 moves it up)


class Person(BaseModel):
    """A named person on a case (责任人, 包案领导): the user id recorded, the name from the users table now."""

    id: str
    name: str | None  # None: no such user (any more) in this database


class InboxItem(BaseModel):
    """A department task with the summary of its case."""

    task_id: str
    case_id: str
    department: str
    role: TaskRole
    status: TaskStatus
    assigned_at: datetime
    acknowledge_due_at: datetime
    reply_due_at: datetime
    acknowledged_at: datetime | None
    replied_at: datetime | None
    escalation_level: int
    open_clock: Clock | None
    due_at: datetime | None  # the due time of the open clock
    overdue: bool
    updated_at: datetime
    title: str
    category: str
    stage: Stage
    risk_level: RiskLevel
    grid_id: str
    received_at: datetime | None
    assignee: Person | None = None  # 责任人
    extension_asked: str | None = None  # an extension asked for ("3wd") and not yet decided
    clock_paused: bool = False  # the case's clock is paused (中止计时): the due time waits, it is not running late


class BoardItem(BaseModel):
    """An open escalation (预警 level 2, 挂牌督办 level 3) with its case."""

    case_id: str
    task_id: str  # the task, or for the clocks report/commitment/follow_up the watched deadline's id
    department: str | None  # None: the centre's own follow-up
    clock: Clock
    level: int
    since: datetime
    due_at: datetime
    title: str
    category: str
    risk_level: RiskLevel
    stage: Stage


class DepartmentStatistics(BaseModel):
    department: str
    tasks_assigned: int
    acknowledged: int
    acknowledged_on_time: int
    replied: int
    replied_on_time: int
    returns: int
    followups: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    on_time_acknowledgement_rate: float | None  # None until there is something to divide by
    on_time_reply_rate: float | None
    return_rate: float | None
    satisfaction_rate: float | None  # satisfied or basically satisfied, over all follow-ups


# --------------------------------------------------------------------------------------------- duplicates


def _text(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def party_fingerprint(category: str, grid_id: str, parties: Iterable[Party]) -> str:
    """sha256 over the normalised applicants (name, phone, ID number; every party when none is an applicant),
    the category and the grid: equal for the same people raising the same matter in the same place, and
    no way back to the personal data."""
    parties = tuple(parties)
    applicants = [p for p in parties if p.role is PartyRole.applicant] or parties
    people = sorted(
        (_text(p.name), _phone(p.phone or ""), _text(p.id_number or "").upper()) for p in applicants
    )
    key = json.dumps([_text(category), _text(grid_id), people], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(key.encode()).hexdigest()


async def find_duplicate(pool: asyncpg.Pool, fingerprint: str, *, exclude: str | None = None) -> str | None:
    """The earliest open (not archived) case with this party fingerprint, other than ``exclude``."""
    async with pool.acquire() as conn:
        value = await conn.fetchval(
            """SELECT case_id FROM case_summaries
                WHERE party_fingerprint = $1 AND stage <> 'archived' AND case_id IS DISTINCT FROM $2
                ORDER BY received_at, case_id LIMIT 1""",
            fingerprint, exclude,
        )
    return str(value) if value is not None else None


# --------------------------------------------------------------------------------------------- cases

_SUMMARY_COLUMNS = """case_id, stage, title, category, channel, grid_id, risk_level, received_at, updated_at,
    version, departments, lead_department, escalation_level, coalesce(overdue_since < now(), false) AS overdue,
    overdue_since, outcome, satisfaction, reopen_count, archive_reason, handling_level"""


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")


# A cursor is the keyset of the last case of a page: its reception time in microseconds since the epoch and
# its id. Every string of this form is a keyset (it pages from there), so the API's schema can say exactly
# what it accepts.
CURSOR_PATTERN = r"^[0-9]{1,16}~[A-Za-z0-9._-]{1,100}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(received_at: datetime, case_id: str) -> str:
    micros = (received_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}~{case_id}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The keyset in ``cursor``; ValueError saying so for anything that is not a cursor we handed out."""
    if _CURSOR.fullmatch(cursor):
        micros, case_id = cursor.split("~", 1)
        return _EPOCH + timedelta(microseconds=int(micros)), case_id
    # The base64 JSON cursors handed out before: a client paging across an upgrade carries on.
    try:
        raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True)
        received, case_id = json.loads(raw.decode())
        if not isinstance(received, str) or not isinstance(case_id, str):
            raise TypeError
        at = datetime.fromisoformat(received)
        if at.tzinfo is None:
            raise TypeError
    except (UnicodeError, binascii.Error, TypeError, ValueError) as exc:
        raise ValueError("malformed cursor: pass back the next_cursor of a previous page unchanged") from exc
    return at, case_id


async def list_cases(
    pool: asyncpg.Pool,
    *,
    stage: Stage | str | None = None,
    department: str | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
    grid_id: str | None = None,
    handled: HandledBy | None = None,
) -> tuple[list[CaseSummary], str | None]:
    """One page of cases, newest received first, and the cursor of the next page (None on the last). ``handled``:
    only the cases one centre handles (its triage queue)."""
    _check_limit(limit)
    where = ["received_at IS NOT NULL"]
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if stage is not None:
        where.append(f"stage = {arg(Stage(stage).value)}")
    if department is not None:
        where.append(f"departments @> ARRAY[{arg(department)}::text]")
    if grid_id is not None:
        where.append(f"grid_id = {arg(grid_id)}")
    if handled is not None:
        grids, levels = [g for g, _ in handled.pairs], [level.value for _, level in handled.pairs]
        # a grid the organisation no longer knows has no centre to tell: every centre sees its cases
        pairs = f"SELECT * FROM unnest({arg(grids)}::text[], {arg(levels)}::text[])"
        where.append(f"((grid_id, handling_level) IN ({pairs})"
                     f" OR NOT grid_id = ANY({arg(list(handled.known_grids))}::text[]))")
    if overdue is True:
        where.append("overdue_since < now()")
    elif overdue is False:
        where.append("(overdue_since IS NULL OR overdue_since >= now())")
    if cursor is not None:
        at, case_id = decode_cursor(cursor)
        where.append(f"(received_at, case_id) < ({arg(at)}::timestamptz, {arg(case_id)}::text)")
    sql = (f"SELECT {_SUMMARY_COLUMNS} FROM case_summaries WHERE {' AND '.join(where)}"
           f" ORDER BY received_at DESC, case_id DESC LIMIT {arg(limit + 1)}")
    async with pool.acquire() as conn:
        rows = await conn.fetch(sql, *args)
    items = [CaseSummary.model_validate(dict(r)) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return items, encode_cursor(last.received_at, last.case_id) if last and last.received_at else None


@dataclass(frozen=True)
class HandledBy:
    """The cases one centre handles: each (grid, level) it is the handling centre of (domain/handling.py), and
    every grid of the organisation (cases of any other grid are shown to every centre)."""

    pairs: tuple[tuple[str, JurisdictionLevel], ...]
    known_grids: tuple[str, ...]


class GridReport(BaseModel):
    """One of a grid worker's reports (网格上报) and how far it has gone (进度)."""

    case_id: str
    title: str
    grid_id: str
    stage: Stage
    outcome: Outcome | None
    handling_level: JurisdictionLevel  # where it is handled now: 网格, 社区, 街道 or 区
    received_at: datetime
    updated_at: datetime | None
    last_step: str  # the type of the case's last step: its last event but notifications, attachments, 聚集预警
    last_step_at: datetime


async def grid_reports(pool: asyncpg.Pool, grid_id: str, reporter_id: str, limit: int = 100) -> list[GridReport]:
    """The cases of the grid that ``reporter_id`` received (the actor of their first event), newest first.
    A grid holds few cases: the grid's summaries are read by their grid and each first event by its key."""
    _check_limit(limit)
    rows = await pool.fetch(
        """SELECT s.case_id, s.title, s.grid_id, s.stage, s.outcome, s.handling_level, s.received_at, s.updated_at,
                  last.type AS last_step, last.occurred_at AS last_step_at
           FROM case_summaries s
           JOIN events first ON first.case_id = s.case_id AND first.seq = 1
           CROSS JOIN LATERAL (
               SELECT e.type, e.occurred_at FROM events e
               WHERE e.case_id = s.case_id AND e.type NOT LIKE 'Notification%'
                 AND e.type NOT IN ('AttachmentAdded', 'ClusterDetected')
               ORDER BY e.seq DESC LIMIT 1) last
           WHERE s.grid_id = $1 AND s.received_at IS NOT NULL AND first.actor->>'id' = $2
           ORDER BY s.received_at DESC, s.case_id DESC LIMIT $3""",
        grid_id, reporter_id, limit)
    return [GridReport.model_validate(dict(r)) for r in rows]


async def case_summary(pool: asyncpg.Pool, case_id: str) -> CaseSummary | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(f"SELECT {_SUMMARY_COLUMNS} FROM case_summaries WHERE case_id = $1", case_id)
    return CaseSummary.model_validate(dict(row)) if row is not None else None


# --------------------------------------------------------------------------------------------- inbox, board

_INBOX_COLUMNS = """t.task_id, t.case_id, t.department, t.role, t.status, t.assigned_at, t.acknowledge_due_at,
    t.reply_due_at, t.acknowledged_at, t.replied_at, t.escalation_level, t.open_clock, t.open_due_at AS due_at,
    coalesce(t.open_due_at < now() AND s.paused_at IS NULL, false) AS overdue, s.paused_at IS NOT NULL AS clock_paused,
    t.updated_at, s.title, s.category, s.stage,
    s.risk_level, s.grid_id, s.received_at, t.assignee AS assignee_id,
    (SELECT u.name FROM users u WHERE u.id = t.assignee) AS assignee_name,
    CASE WHEN t.open_due_at IS NOT NULL THEN
      (SELECT d.extra FROM awaiting_decisions d
        WHERE d.case_id = t.case_id AND d.task_id = t.task_id AND d.kind = 'extension') END AS extension_asked"""
# An extension is asked before the reply is due, so only an open task can have one waiting: the closed tasks,
# most of a busy department's hundred, skip the lookup (the inbox's p99 was 12-20 % higher with it on every row).

# Open tasks first, soonest due first; then the closed ones, latest change first. Each half walks its own
# partial index and stops at the limit.
_INBOX_SQL = f"""
SELECT * FROM (
    (SELECT 0 AS part, {_INBOX_COLUMNS} FROM department_tasks t JOIN case_summaries s USING (case_id)
      WHERE t.department = $1 AND t.open_due_at IS NOT NULL
      ORDER BY t.open_due_at, t.case_id, t.task_id LIMIT $2)
    UNION ALL
    (SELECT 1 AS part, {_INBOX_COLUMNS} FROM department_tasks t JOIN case_summaries s USING (case_id)
      WHERE t.department = $1 AND t.open_due_at IS NULL
      ORDER BY t.updated_at DESC, t.case_id, t.task_id LIMIT $2)
) inbox
ORDER BY part, due_at, updated_at DESC, case_id, task_id LIMIT $2"""


async def department_inbox(pool: asyncpg.Pool, department: str, limit: int = 100) -> list[InboxItem]:
    """A department's tasks: open ones first by the due time of their open clock, then closed ones."""
    _check_limit(limit)
    async with pool.acquire() as conn:
        rows = await conn.fetch(_INBOX_SQL, department, limit)
    return [InboxItem.model_validate({**r, "assignee": None if r["assignee_id"] is None else
                                      {"id": r["assignee_id"], "name": r["assignee_name"]}}) for r in rows]


class LeaderCase(CaseSummary):
    """One of a leader's cases (包案), with why and since when they lead it."""

    leader_reason: str
    leader_since: datetime


async def leader_cases(pool: asyncpg.Pool, leader: str, limit: int = 100) -> list[LeaderCase]:
    """The cases ``leader`` (a user id) is the 包案 leader of, latest assignment first."""
    _check_limit(limit)
    rows = await pool.fetch(
        f"""SELECT {_SUMMARY_COLUMNS}, leader_reason, leader_since
              FROM (SELECT s.*, l.reason AS leader_reason, l.since AS leader_since
                      FROM case_leaders l JOIN case_summaries s USING (case_id) WHERE l.leader = $1) led
             ORDER BY leader_since DESC, case_id LIMIT $2""", leader, limit)
    return [LeaderCase.model_validate(dict(r)) for r in rows]


async def names_of(pool: asyncpg.Pool, user_ids: Iterable[str]) -> dict[str, str]:
    """The names of the users with these ids (the ones that exist)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await pool.fetch("SELECT id, name FROM users WHERE id = ANY($1::text[])", ids)
    return {r["id"]: r["name"] for r in rows}


_BOARD_SQL = """
SELECT e.case_id, e.task_id, e.department, e.clock, e.level, e.since, e.due_at, s.title, s.category,
       s.risk_level, s.stage
  FROM open_escalations e JOIN case_summaries s USING (case_id) {where}
 ORDER BY e.level DESC, e.since, e.case_id, e.task_id, e.clock LIMIT $1"""
# Two statements rather than "$2 IS NULL OR ...", so each keeps a plan that walks its own index.
_BOARD_ALL_SQL = _BOARD_SQL.format(where="")
_BOARD_DEPARTMENT_SQL = _BOARD_SQL.format(where="WHERE e.department = $2")


async def supervision_board(pool: asyncpg.Pool, limit: int = 100, *, department: str | None = None) -> list[BoardItem]:
    """Open escalations, worst first: listed supervision before warnings, the longest-standing first."""
    _check_limit(limit)
    async with pool.acquire() as conn:
        if department is None:
            rows = await conn.fetch(_BOARD_ALL_SQL, limit)
        else:
            rows = await conn.fetch(_BOARD_DEPARTMENT_SQL, limit, department)
    return [BoardItem.model_validate(dict(r)) for r in rows]


class ListingItem(BaseModel):
    """挂牌督办 by hand, with its 包案 leader."""

    case_id: str
    leader: str
    reason: str
    since: datetime
    title: str
    category: str
    risk_level: RiskLevel
    stage: Stage


class DecisionItem(BaseModel):
    """A return (退回) or an extension (延期) waiting for a supervisor's decision."""

    case_id: str
    task_id: str
    kind: str  # return / extension
    department: str
    reason: str
    extra: str | None
    requested_at: datetime
    title: str


class SummonsItem(BaseModel):
    """A summoned department that has not reported (报到) yet."""

    case_id: str
    summons_id: str
    department: str
    reason: str
    since: datetime
    due_at: datetime
    overdue: bool
    title: str


async def supervision_extras(pool: asyncpg.Pool, limit: int = 100) -> dict[str, list[Any]]:
    """The rest of the board: listings by hand (oldest first), decisions awaited (oldest first), summonses
    not yet reported to (soonest due first)."""
    _check_limit(limit)
    async with pool.acquire() as conn:
        listings = await conn.fetch(
            # a listing under a leader user holds the user's id: the board shows the name (free text as it is)
            """SELECT l.case_id, coalesce((SELECT u.name FROM users u WHERE u.id = l.leader), l.leader) AS leader,
                      l.reason, l.since, s.title, s.category, s.risk_level, s.stage
                 FROM case_listings l JOIN case_summaries s USING (case_id)
                ORDER BY l.since, l.case_id LIMIT $1""", limit)
        decisions = await conn.fetch(
            """SELECT d.case_id, d.task_id, d.kind, d.department, d.reason, d.extra, d.requested_at, s.title
                 FROM awaiting_decisions d JOIN case_summaries s USING (case_id)
                ORDER BY d.requested_at, d.case_id, d.task_id LIMIT $1""", limit)
        summons = await conn.fetch(
            """SELECT o.case_id, o.summons_id, o.department, o.reason, o.since, o.due_at,
                      o.due_at < now() AND s.paused_at IS NULL AS overdue, s.title
                 FROM open_summons o JOIN case_summaries s USING (case_id)
                ORDER BY o.due_at, o.case_id, o.summons_id, o.department LIMIT $1""", limit)
    return {
        "listings": [ListingItem.model_validate(dict(r)) for r in listings],
        "awaiting_decision": [DecisionItem.model_validate(dict(r)) for r in decisions],
        "summons": [SummonsItem.model_validate(dict(r)) for r in summons],
    }


# --------------------------------------------------------------------------------------------- statistics


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def department_statistics(pool: asyncpg.Pool) -> list[DepartmentStatistics]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM department_stats ORDER BY department")
    return [
        DepartmentStatistics(
            **dict(r),
            on_time_acknowledgement_rate=_rate(r["acknowledged_on_time"], r["acknowledged"]),
            on_time_reply_rate=_rate(r["replied_on_time"], r["replied"]),
            return_rate=_rate(r["returns"], r["tasks_assigned"]),
            satisfaction_rate=_rate(r["satisfied"] + r["basically_satisfied"], r["followups"]),
        )
        for r in rows
    ]


async def case_state_json(pool: asyncpg.Pool, case_id: str) -> str | None:
    """The folded state of a case as the projector stored it (JSON), or None for an unknown case."""
    value: str | None = await pool.fetchval("SELECT state::text FROM case_states WHERE case_id = $1", case_id)
    return value


async def projected_version(pool: asyncpg.Pool, case_id: str) -> int | None:
    """The version of a case the read models hold (None: none of it yet)."""
    value: int | None = await pool.fetchval("SELECT version FROM case_states WHERE case_id = $1", case_id)
    return value


async def case_exists(pool: asyncpg.Pool, case_id: str) -> bool:
    """Whether the event store has any event of the case (the source of truth, ahead of the projector)."""
    return bool(await pool.fetchval("SELECT 1 FROM events WHERE case_id = $1 LIMIT 1", case_id))


class ToVerify(BaseModel):
    case_id: str
    title: str
    outcome: str | None
    since: datetime | None


async def verification_queue(pool: asyncpg.Pool, limit: int = 50) -> list[ToVerify]:
    """Resolutions waiting for a supervisor's 验收, oldest first."""
    rows = await pool.fetch(
        """SELECT s.case_id, s.title, s.outcome, s.updated_at FROM case_summaries s
             JOIN case_states c USING (case_id)
            WHERE s.stage = 'supervision' AND (c.state->>'verified')::boolean IS NOT TRUE
            ORDER BY s.updated_at LIMIT $1""", limit)
    return [ToVerify(case_id=r["case_id"], title=r["title"], outcome=r["outcome"], since=r["updated_at"])
            for r in rows]


class ListedCase(BaseModel):
    case_id: str
    title: str
    risk_level: str
    escalation_level: int
    updated_at: datetime


async def listed_cases(pool: asyncpg.Pool, limit: int = 50) -> list[ListedCase]:
    """Cases under listed supervision (挂牌督办) by the timer's level 3 on any open task."""
    rows = await pool.fetch(
        """SELECT case_id, title, risk_level, escalation_level, updated_at FROM case_summaries
            WHERE escalation_level >= 3 AND stage <> 'archived' ORDER BY updated_at LIMIT $1""", limit)
    return [ListedCase(**dict(r)) for r in rows]
