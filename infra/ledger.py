"""The case ledger (台账) read from the read models: one row per case received in a period.

What each column means is application/ledger.py's; here the facts are read, in the order of reception, through
a server-side cursor (a batch at a time), so a year's ledger never sits in memory whole."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.events import Party

BATCH = 500  # rows the cursor fetches at a time

# $1, $2: receptions in [start, end); $3: now (an open task before its reply deadline is not late yet);
# $4: the grids to keep (NULL: all). Tasks returned (退回, 撤回) or cancelled are left out of the lead, the
# co-departments and the timeliness, as they are of the figures' reply counts.
_LEDGER = """
SELECT s.case_id, s.received_at, s.channel, s.category, s.grid_id, s.risk_level, s.stage, s.outcome,
       s.archive_reason, s.satisfaction,
       c.state->'documents'->0->>'number'        AS case_number,
       (c.state->>'archived_at')::timestamptz    AS archived_at,
       coalesce(c.state->'parties', '[]'::jsonb) AS parties,
       t.leads, t.co_departments, t.judged, t.late, t.waiting
  FROM case_summaries s
  JOIN case_states c USING (case_id)
  LEFT JOIN LATERAL (
      SELECT array_agg(f.department ORDER BY f.assigned_at DESC, f.task_id DESC)
                 FILTER (WHERE f.role = 'lead' AND f.kept)                                    AS leads,
             array_agg(f.department ORDER BY f.assigned_at, f.task_id)
                 FILTER (WHERE f.role = 'co' AND f.kept)                                      AS co_departments,
             count(*) FILTER (WHERE f.kept)                                                   AS judged,
             count(*) FILTER (WHERE f.kept AND (f.replied_at > f.reply_due_at
                                                OR (f.replied_at IS NULL AND f.reply_due_at < $3))) AS late,
             count(*) FILTER (WHERE f.kept AND f.replied_at IS NULL AND f.reply_due_at >= $3)   AS waiting
        FROM (SELECT *, NOT returned AND NOT cancelled AS kept FROM task_facts WHERE case_id = s.case_id) f
  ) t ON true
 WHERE s.received_at >= $1 AND s.received_at < $2
   AND ($4::text[] IS NULL OR s.grid_id = ANY($4::text[]))
 ORDER BY s.received_at, s.case_id"""


@dataclass(frozen=True, slots=True)
class LedgerFacts:
    """One case as the read models hold it; ids and codes, not yet named or labelled."""

    case_id: str
    case_number: str | None
    received_at: datetime
    channel: str | None
    category: str
    grid_id: str
    risk_level: str
    lead_department: str | None  # the latest lead task kept (not returned, not cancelled)
    co_departments: tuple[str, ...]  # the co-department tasks kept, in the order assigned, each once
    stage: str
    outcome: str | None
    archive_reason: str | None
    archived_at: datetime | None
    satisfaction: str | None  # of the last follow-up
    tasks_judged: int  # tasks kept
    tasks_late: int  # kept tasks replied after their reply deadline, or unreplied past it
    tasks_waiting: int  # kept tasks unreplied and not yet due
    parties: tuple[Party, ...]


def _facts(r: asyncpg.Record) -> LedgerFacts:
    return LedgerFacts(
        case_id=r["case_id"], case_number=r["case_number"], received_at=r["received_at"], channel=r["channel"],
        category=r["category"], grid_id=r["grid_id"], risk_level=r["risk_level"],
        lead_department=r["leads"][0] if r["leads"] else None,
        co_departments=tuple(dict.fromkeys(r["co_departments"] or ())), stage=r["stage"], outcome=r["outcome"],
        archive_reason=r["archive_reason"], archived_at=r["archived_at"], satisfaction=r["satisfaction"],
        tasks_judged=r["judged"] or 0, tasks_late=r["late"] or 0, tasks_waiting=r["waiting"] or 0,
        parties=tuple(Party.model_validate(p) for p in r["parties"]),
    )


async def ledger_facts(pool: asyncpg.Pool, start: datetime, end: datetime, now: datetime,
                       grids: Sequence[str] | None = None, batch: int = BATCH) -> AsyncIterator[LedgerFacts]:
    """The cases received in [start, end), oldest first (ties by case id), ``batch`` rows fetched at a time
    from one read-only snapshot; only those in ``grids`` when given."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(_LEDGER, start, end, now, list(grids) if grids is not None else None)
        while rows := await cursor.fetch(batch):
            for r in rows:
                yield _facts(r)
