"""Read-model queries the board and desk need beyond the API's own (inbox, board, list, statistics): the
requests awaiting a supervisor and the verification queue. Read-only, over the projected case states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.case import CaseState


@dataclass(frozen=True)
class Awaiting:
    """A task with a request (extension, return) that waits for a supervisor's decision."""

    case_id: str
    title: str
    task_id: str
    department: str
    what: str  # "extension" or "return"
    detail: str
    since: datetime | None


async def awaiting_decision(pool: asyncpg.Pool, limit: int = 50) -> list[Awaiting]:
    rows = await pool.fetch(
        """SELECT state::text AS state FROM case_states
            WHERE state->>'stage' = 'coordination'
              AND jsonb_path_exists(
                  state, '$.tasks[*] ? (@.pending_extension != null || @.status == "return_requested")')
            ORDER BY case_id LIMIT $1""", limit)
    found: list[Awaiting] = []
    for row in rows:
        state = CaseState.model_validate_json(row["state"])
        for task in state.tasks:
            if task.pending_extension is not None:
                found.append(Awaiting(state.case_id, state.title, task.task_id, task.department, "extension",
                                      f"延期 {task.pending_extension.extra}：{task.pending_extension.reason}",
                                      task.pending_extension.requested_at))
            if task.status.value == "return_requested":
                found.append(Awaiting(state.case_id, state.title, task.task_id, task.department, "return",
                                      f"申请退回：{task.return_reason or ''}", None))
    return found


@dataclass(frozen=True)
class ToVerify:
    case_id: str
    title: str
    outcome: str | None
    since: datetime | None


async def verification_queue(pool: asyncpg.Pool, limit: int = 50) -> list[ToVerify]:
    rows = await pool.fetch(
        """SELECT s.case_id, s.title, s.outcome, s.updated_at FROM case_summaries s
             JOIN case_states c USING (case_id)
            WHERE s.stage = 'supervision' AND (c.state->>'verified')::boolean IS NOT TRUE
            ORDER BY s.updated_at LIMIT $1""", limit)
    return [ToVerify(r["case_id"], r["title"], r["outcome"], r["updated_at"]) for r in rows]


async def listed_cases(pool: asyncpg.Pool, limit: int = 50) -> list[asyncpg.Record]:
    """Cases under listed supervision (挂牌督办): by the timer's level 3 on any open task."""
    return list(await pool.fetch(
        """SELECT case_id, title, risk_level, escalation_level, updated_at FROM case_summaries
            WHERE escalation_level >= 3 AND stage <> 'archived' ORDER BY updated_at LIMIT $1""", limit))
