"""The read models (003_projections.sql), projected from the event store's global order.

Exactly once: each batch of events is written in one transaction together with the checkpoint, so a crash
neither applies an event twice nor skips one. One writer at a time: the batch transaction holds an advisory
lock and checks that the checkpoint is still the one its events were read after; a second projector waits
for the lock, sees the checkpoint moved and reads on from there.

One meaning: every row is derived from the CaseState that ``domain.case.evolve`` folds (kept in
``case_states``); only the department counters look at the event itself, to judge it against the state
before it (an acknowledgement is on time when it occurred at or before the task's due time then)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from domain.case import CaseState, NotificationRecord, Task, evolve, summons_watch_id
from domain.events import (
    FollowUpRecorded,
    TaskAcknowledged,
    TaskAssigned,
    TaskReplied,
    TaskReturned,
    TaskWithdrawn,
)
from domain.figures import follow_up_facts, task_facts
from domain.vocabulary import GRADE_POINTS, Stage, TaskRole, TaskStatus
from infra.event_store import EventStore, GlobalEvent, GlobalPosition
from infra.locks import AdvisoryLock
from infra.logging import get_logger
from infra.read_models import party_fingerprint

log = get_logger(__name__)

PROJECTION = "read_models"  # the checkpoint's name
_LOCK = int(AdvisoryLock.PROJECTOR)  # one projector writes at a time
_READ_MODELS = ("case_states", "case_summaries", "department_tasks", "open_escalations", "department_stats",
                "case_listings", "awaiting_decisions", "open_summons", "notifications", "task_facts",
                "follow_up_facts", "case_leaders")
STAT_COLUMNS = (
    "tasks_assigned", "acknowledged", "acknowledged_on_time", "replied", "replied_on_time", "returns",
    "followups", "satisfied", "basically_satisfied", "dissatisfied",
)
_STAT = {name: i for i, name in enumerate(STAT_COLUMNS)}


# --------------------------------------------------------------------------------------------- rows


def summary_row(s: CaseState) -> tuple[Any, ...]:
    open_tasks = s.active_tasks
    due = [t.due_at(t.open_clock) for t in open_tasks if t.open_clock is not None]
    lead = next((t.department for t in reversed(s.tasks) if t.role is TaskRole.lead), None)
    return (
        s.case_id, s.stage.value, s.title, s.category, s.channel.value if s.channel else None, s.grid_id,
        s.risk_level.value, s.received_at, s.last_event_at, s.version,
        json.dumps(list(dict.fromkeys(t.department for t in s.tasks)), ensure_ascii=False),
        lead, _escalation_level(s),
        None if s.paused_at is not None or not due else min(due),  # a paused clock is not running late
        s.outcome.value if s.outcome else None,
        s.follow_ups[-1].satisfaction.value if s.follow_ups else None,
        s.reopen_count, s.archive_reason.value if s.archive_reason else None,
        party_fingerprint(s.category, s.grid_id, s.parties) if s.parties else None,
        s.handling_level.value, s.paused_at,
    )


def _escalation_level(s: CaseState) -> int:
    """The highest level on the case: its open tasks and watched deadlines, and 3 while listed by hand."""
    levels = [t.escalation_level for t in s.active_tasks] + [w.escalation_level for w in s.open_watches]
    return max([*levels, 3 if s.listing is not None else 0])


def task_row(case_id: str, t: Task, updated_at: datetime) -> tuple[Any, ...]:
    clock = t.open_clock
    return (
        case_id, t.task_id, t.department, t.role.value, t.status.value, t.assigned_at, t.acknowledge_due_at,
        t.reply_due_at, t.acknowledged_at, t.replied_at, t.escalation_level, clock.value if clock else None,
        t.due_at(clock) if clock else None, updated_at, t.assignee,
    )


def escalation_rows(s: CaseState) -> list[tuple[Any, ...]]:
    rows = []
    for e in s.open_escalations:
        task, watch = s.task(e.task_id), s.watch(e.task_id)
        due = task.due_at(e.clock) if task else watch.due_at if watch else e.at
        rows.append((s.case_id, e.task_id, e.clock.value, e.department, e.level, e.at, due))
    return rows


# The rest of the board: listings by hand, decisions awaited, summonses not yet reported to.


def leader_rows(s: CaseState) -> list[tuple[Any, ...]]:
    if s.leader is None:
        return []
    return [(s.case_id, s.leader.user, s.leader.reason, s.leader.since)]


def listing_rows(s: CaseState) -> list[tuple[Any, ...]]:
    if s.listing is None:
        return []
    return [(s.case_id, s.listing.leader, s.listing.reason, s.listing.since)]


def decision_rows(s: CaseState) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    if s.stage is Stage.archived:
        return rows
    for t in s.tasks:
        if t.status is TaskStatus.return_requested and t.return_requested_at is not None:
            rows.append((s.case_id, t.task_id, "return", t.department, t.return_reason or "", None,
                         t.return_requested_at))
        if t.pending_extension is not None:
            p = t.pending_extension
            rows.append((s.case_id, t.task_id, "extension", t.department, p.reason, p.extra, p.requested_at))
    return rows


def summons_rows(s: CaseState) -> list[tuple[Any, ...]]:
    if s.stage is Stage.archived:
        return []
    return [
        (s.case_id, x.summons_id, d.department, x.reason, x.at, x.due_at)
        for x in s.summons for d in x.departments
        if (w := s.watch(summons_watch_id(x.summons_id, d.department))) is not None and w.open
    ]


_SUPERVISION = (
    (listing_rows, "case_listings", "case_id, leader, reason, since", ("text", "text", "text", "timestamptz")),
    (decision_rows, "awaiting_decisions", "case_id, task_id, kind, department, reason, extra, requested_at",
     ("text",) * 6 + ("timestamptz",)),
    (summons_rows, "open_summons", "case_id, summons_id, department, reason, since, due_at",
     ("text",) * 4 + ("timestamptz",) * 2),
    (leader_rows, "case_leaders", "case_id, leader, reason, since", ("text", "text", "text", "timestamptz")),
)


def _supervision_changed(old: CaseState | None, new: CaseState) -> bool:
    if old is None:
        return new.listing is not None or new.leader is not None or bool(new.summons) or any(
            t.pending_extension or t.status is TaskStatus.return_requested for t in new.tasks)
    return old.listing != new.listing or old.summons != new.summons or old.tasks != new.tasks \
        or old.watches != new.watches or old.leader != new.leader
# The facts the district's figures count (domain/figures.py).


def task_fact_rows(s: CaseState) -> list[tuple[Any, ...]]:
    return [(f.case_id, f.task_id, f.department, f.role.value, f.assigned_at, f.acknowledge_due_at,
             f.acknowledged_at, f.reply_due_at, f.replied_at, f.returned, f.cancelled, f.case_reopened, f.listed_at,
             GRADE_POINTS[f.grade] if f.grade is not None else None, f.assignee)
            for f in task_facts(s)]


def follow_up_fact_rows(s: CaseState) -> list[tuple[Any, ...]]:
    return [(f.case_id, f.n, f.department, f.at, f.satisfaction.value) for f in follow_up_facts(s)]


_FIGURES = (
    (task_fact_rows, "task_facts", "case_id, task_id, department, role, assigned_at, acknowledge_due_at, "
     "acknowledged_at, reply_due_at, replied_at, returned, cancelled, case_reopened, listed_at, grade_points, "
     "assignee", ("text",) * 4 + ("timestamptz",) * 5 + ("boolean",) * 3 + ("timestamptz", "int", "text")),
    (follow_up_fact_rows, "follow_up_facts", "case_id, n, department, at, satisfaction",
     ("text", "int", "text", "timestamptz", "text")),
)


def _figures_changed(old: CaseState | None, new: CaseState) -> bool:
    if old is None:
        return bool(new.tasks or new.follow_ups)
    return old.tasks != new.tasks or old.follow_ups != new.follow_ups or old.listing != new.listing \
        or old.reopen_count != new.reopen_count


def _rewrite(out: list[tuple[str, list[Any]]], family: Sequence[Any], states: list[CaseState]) -> None:
    """Replace the rows of ``states`` in each table of ``family`` (rows_of, table, columns, types)."""
    if not states:
        return
    for rows_of, table, columns, types in family:
        out.append((f"DELETE FROM {table} WHERE case_id = ANY($1::text[])", [[s.case_id for s in states]]))
        rows = [row for s in states for row in rows_of(s)]
        if rows:
            unnest = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=1))
            out.append((f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({unnest})",
                        _columns(rows, len(types))))


def departments_of(n: NotificationRecord) -> list[str]:
    """The departments a notification went to ("liaisons:{d}", "head:{d}"); "user:{id}" is addressed to one
    person, not a department: found by its recipient (notification_reads.py)."""
    return list(dict.fromkeys(r.partition(":")[2] for r in n.recipients if not r.startswith("user:")))


def notification_row(n: NotificationRecord) -> dict[str, Any]:
    departments = departments_of(n)
    return {"notification_id": n.notification_id, "kind": n.kind, "level": n.level,
            "departments": json.dumps(departments), "recipients": json.dumps(list(n.recipients)),
            "record": n.model_dump_json(), "created_at": n.created_at}


def _escalations_changed(old: CaseState | None, new: CaseState) -> bool:
    """Whether the board rows of a case may differ (a due time moves with its task)."""
    if old is None:
        return bool(new.open_escalations)
    return old.escalations != new.escalations or bool(new.open_escalations and old.tasks != new.tasks)


def _rated_departments(s: CaseState) -> list[str]:
    """Who a follow-up rates: the departments that replied on the case, else its lead department."""
    replied = list(dict.fromkeys(t.department for t in s.tasks if t.status is TaskStatus.replied))
    lead = next((t.department for t in reversed(s.tasks) if t.role is TaskRole.lead), None)
    return replied or ([lead] if lead else [])


# --------------------------------------------------------------------------------------------- a batch


@dataclass
class _Batch:
    """The changes a batch of events makes, kept in memory until it is written in one transaction."""

    stored: dict[str, CaseState]  # as the read model holds them before the batch
    states: dict[str, CaseState] = field(default_factory=dict)
    task_updated: dict[tuple[str, str], datetime] = field(default_factory=dict)
    stats: dict[str, list[int]] = field(default_factory=dict)
    notified: dict[str, set[str]] = field(default_factory=dict)  # case -> notifications changed
    applied: int = 0

    def apply(self, item: GlobalEvent) -> None:
        e = item.event
        before = self.states.get(e.case_id) or self.stored.get(e.case_id) or CaseState(case_id=e.case_id)
        if e.seq <= before.version:
            return  # already in the state: applying it again would count it twice
        after = evolve(before, e.payload, e.occurred_at, e.seq, e.actor)
        self.states[e.case_id] = after
        self.applied += 1
        if after.tasks is not before.tasks:
            old = before.tasks
            for i, task in enumerate(after.tasks):
                if i >= len(old) or (task is not old[i] and task != old[i]):
                    self.task_updated[(e.case_id, task.task_id)] = e.occurred_at
        self._count(before, after, e.payload, e.occurred_at)
        if after.notifications is not before.notifications:
            known = {n.notification_id: n for n in before.notifications}
            self.notified.setdefault(e.case_id, set()).update(
                n.notification_id for n in after.notifications if known.get(n.notification_id) is not n)

    def statements(self) -> list[tuple[str, list[Any]]]:
        """The SQL that writes this batch's rows, with its arguments (one array per column)."""
        out: list[tuple[str, list[Any]]] = []
        states = list(self.states.values())
        if states:
            out.append((_UPSERT_STATES, [[s.case_id for s in states], [s.version for s in states],
                                         [s.model_dump_json() for s in states]]))
            out.append((_UPSERT_SUMMARIES, _columns([summary_row(s) for s in states], _SUMMARY_WIDTH)))
        tasks = [
            task_row(case_id, task, updated_at)
            for (case_id, task_id), updated_at in self.task_updated.items()
            if (task := self.states[case_id].task(task_id)) is not None
        ]
        if tasks:
            out.append((_UPSERT_TASKS, _columns(tasks, len(_TASK_COLUMNS))))
        changed = [s for s in states if _escalations_changed(self.stored.get(s.case_id), s)]
        if changed:
            out.append((_DELETE_ESCALATIONS, [[s.case_id for s in changed]]))
            escalations = [row for s in changed for row in escalation_rows(s)]
            if escalations:
                out.append((_INSERT_ESCALATIONS, _columns(escalations, 7)))
        _rewrite(out, _SUPERVISION, [s for s in states if _supervision_changed(self.stored.get(s.case_id), s)])
        _rewrite(out, _FIGURES, [s for s in states if _figures_changed(self.stored.get(s.case_id), s)])
        notifications = [notification_row(n) | {"case_id": case_id}
                         for case_id, ids in self.notified.items()
                         for n in self.states[case_id].notifications if n.notification_id in ids]
        if notifications:
            out.append((_UPSERT_NOTIFICATIONS, [[r[c] for r in notifications] for c in _NOTIFICATION_COLUMNS]))
        if self.stats:
            stats = [(department, *counts) for department, counts in sorted(self.stats.items())]
            out.append((_UPSERT_STATS, _columns(stats, len(STAT_COLUMNS) + 1)))
        return out

    def _bump(self, department: str, *columns: str) -> None:
        counts = self.stats.setdefault(department, [0] * len(STAT_COLUMNS))
        for column in columns:
            counts[_STAT[column]] += 1

    def _count(self, before: CaseState, after: CaseState, payload: object, at: datetime) -> None:
        match payload:
            case TaskAssigned():
                self._bump(payload.department, "tasks_assigned")
            case TaskAcknowledged():
                if task := before.task(payload.task_id):
                    on_time = at <= task.acknowledge_due_at
                    self._bump(task.department, "acknowledged", *(["acknowledged_on_time"] if on_time else []))
            case TaskReplied():
                if task := before.task(payload.task_id):
                    on_time = at <= task.reply_due_at
                    self._bump(task.department, "replied", *(["replied_on_time"] if on_time else []))
            case TaskReturned() | TaskWithdrawn():
                if task := before.task(payload.task_id):
                    self._bump(task.department, "returns")
            case FollowUpRecorded():
                for department in _rated_departments(after):
                    self._bump(department, "followups", payload.satisfaction.value)


# --------------------------------------------------------------------------------------------- SQL

_UPSERT_STATES = """
INSERT INTO case_states (case_id, version, state)
SELECT * FROM unnest($1::text[], $2::int[], $3::text[]::jsonb[])
ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, state = excluded.state"""

_SUMMARY_COLUMNS = (
    "case_id, stage, title, category, channel, grid_id, risk_level, received_at, updated_at, version, "
    "departments, lead_department, escalation_level, overdue_since, outcome, satisfaction, reopen_count, "
    "archive_reason, party_fingerprint, handling_level, paused_at"
)
_SUMMARY_WIDTH = len(_SUMMARY_COLUMNS.split(", "))  # summary_row's length: one array per column
_UPSERT_SUMMARIES = f"""
INSERT INTO case_summaries ({_SUMMARY_COLUMNS})
SELECT case_id, stage, title, category, channel, grid_id, risk_level, received_at, updated_at, version,
       ARRAY(SELECT jsonb_array_elements_text(departments::jsonb)), lead_department, escalation_level,
       overdue_since, outcome, satisfaction, reopen_count, archive_reason, party_fingerprint, handling_level,
       paused_at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::timestamptz[], $9::timestamptz[], $10::int[], $11::text[], $12::text[], $13::int[],
              $14::timestamptz[], $15::text[], $16::text[], $17::int[], $18::text[], $19::text[], $20::text[],
              $21::timestamptz[])
       AS u({_SUMMARY_COLUMNS})
ON CONFLICT (case_id) DO UPDATE SET
{", ".join(f"{c} = excluded.{c}" for c in _SUMMARY_COLUMNS.split(", ")[1:])}"""

_TASK_COLUMNS = (
    "case_id", "task_id", "department", "role", "status", "assigned_at", "acknowledge_due_at", "reply_due_at",
    "acknowledged_at", "replied_at", "escalation_level", "open_clock", "open_due_at", "updated_at", "assignee",
)
_TASK_TYPES = ("text",) * 5 + ("timestamptz",) * 5 + ("int", "text", "timestamptz", "timestamptz", "text")
_UPSERT_TASKS = f"""
INSERT INTO department_tasks ({", ".join(_TASK_COLUMNS)})
SELECT * FROM unnest({", ".join(f"${i}::{t}[]" for i, t in enumerate(_TASK_TYPES, start=1))})
ON CONFLICT (case_id, task_id) DO UPDATE SET
{", ".join(f"{c} = excluded.{c}" for c in _TASK_COLUMNS[2:])}"""

_DELETE_ESCALATIONS = "DELETE FROM open_escalations WHERE case_id = ANY($1::text[])"
_INSERT_ESCALATIONS = """
INSERT INTO open_escalations (case_id, task_id, clock, department, level, since, due_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[],
                     $7::timestamptz[])"""

_UPSERT_STATS = f"""
INSERT INTO department_stats AS d (department, {", ".join(STAT_COLUMNS)})
SELECT * FROM unnest($1::text[], {", ".join(f"${i}::bigint[]" for i in range(2, len(STAT_COLUMNS) + 2))})
ON CONFLICT (department) DO UPDATE SET
{", ".join(f"{c} = d.{c} + excluded.{c}" for c in STAT_COLUMNS)}"""

_NOTIFICATION_COLUMNS = ("notification_id", "case_id", "kind", "level", "departments", "recipients", "record",
                         "created_at")
_UPSERT_NOTIFICATIONS = """
INSERT INTO notifications (notification_id, case_id, kind, level, departments, recipients, record, created_at)
SELECT n, c, k, l, ARRAY(SELECT jsonb_array_elements_text(d::jsonb)), ARRAY(SELECT jsonb_array_elements_text(r::jsonb)),
       rec::jsonb, at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
       AS u(n, c, k, l, d, r, rec, at)
ON CONFLICT (notification_id) DO UPDATE SET record = excluded.record"""

_SAVE_CHECKPOINT = """
INSERT INTO projection_checkpoints (name, tx_id, position) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET tx_id = excluded.tx_id, position = excluded.position"""


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


# --------------------------------------------------------------------------------------------- the projector


class Projector:
    def __init__(self, pool: asyncpg.Pool, store: EventStore | None = None, *, batch_size: int = 2000) -> None:
        self.pool = pool
        self.store = store or EventStore(pool)
        self.batch_size = batch_size

    async def checkpoint(self) -> GlobalPosition:
        async with self.pool.acquire() as conn:
            return await self._checkpoint(conn)

    @staticmethod
    async def _checkpoint(conn: asyncpg.Connection) -> GlobalPosition:
        row = await conn.fetchrow("SELECT tx_id, position FROM projection_checkpoints WHERE name = $1", PROJECTION)
        return GlobalPosition(row["tx_id"], row["position"]) if row else GlobalPosition()

    async def catch_up(self) -> int:
        """Apply every event after the checkpoint; the number applied."""
        applied = 0
        position = await self.checkpoint()
        events = await self.store.read_all(position, self.batch_size)
        while events:
            done, position, ahead = await self._project(position, events)
            applied += done
            events = await (ahead or self.store.read_all(position, self.batch_size))
        return applied

    async def rebuild(self) -> int:
        """Empty every read model and the checkpoint (one transaction), then project every event again."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SELECT pg_advisory_xact_lock({_LOCK})")
            # The notifications of no case (the monthly report's announcement) have no event to rebuild them from.
            await conn.execute("CREATE TEMPORARY TABLE kept_notifications ON COMMIT DROP AS "
                               "SELECT * FROM notifications WHERE case_id = ''")
            await conn.execute(f"TRUNCATE {', '.join(_READ_MODELS)}")
            await conn.execute("INSERT INTO notifications SELECT * FROM kept_notifications")
            await conn.execute("DELETE FROM projection_checkpoints WHERE name = $1", PROJECTION)
        log.info("read models emptied for a rebuild")
        return await self.catch_up()

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        """Catch up every ``interval`` seconds until ``stop`` is set; a failure is logged and retried."""
        while not stop.is_set():
            try:
                applied = await self.catch_up()
                if applied:
                    log.debug("projected", events=applied)
            except Exception as exc:  # the loop outlives a database restart or a bad deploy
                log.warning("projection failed; will retry", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _project(
        self, after: GlobalPosition, events: list[GlobalEvent]
    ) -> tuple[int, GlobalPosition, asyncio.Future[list[GlobalEvent]] | None]:
        """Apply ``events`` (read after ``after``) in one transaction with the checkpoint, and start reading
        the batch that follows; when another projector has moved the checkpoint meanwhile, apply nothing and
        return where it now stands."""
        ahead: asyncio.Future[list[GlobalEvent]] | None = None
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                # Losing the last batches in a crash is harmless: they go with their checkpoint and are redone.
                await conn.execute(f"SET LOCAL synchronous_commit = off; SELECT pg_advisory_xact_lock({_LOCK})")
                current = await self._checkpoint(conn)
                if current != after:
                    return 0, current, None
                rows = await conn.fetch(
                    "SELECT case_id, state::text AS state FROM case_states WHERE case_id = ANY($1::text[])",
                    list({item.event.case_id: None for item in events}),
                )
                batch = _Batch(stored={r["case_id"]: CaseState.model_validate_json(r["state"]) for r in rows})
                for item in events:
                    batch.apply(item)
                statements = batch.statements()
                last = events[-1].position
                # The next batch is read (and decoded) while the database writes this one.
                ahead = asyncio.ensure_future(self.store.read_all(last, self.batch_size))
                for sql, args in statements:
                    await conn.execute(sql, *args)
                await conn.execute(_SAVE_CHECKPOINT, PROJECTION, last.tx_id, last.position)
        except BaseException:
            if ahead is not None:
                await asyncio.gather(ahead, return_exceptions=True)
            raise
        return batch.applied, last, ahead
