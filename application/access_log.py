"""Who saw what (个人信息保护): every read that shows a case's parties' personal data unmasked is recorded
(actor, case, time, what) before the answer leaves, in the append-only ``access_log``. A read that cannot be
recorded is not served (the database being away, it is a 503 like any other read). Auditors read the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from application.access import require_role
from application.errors import InvalidInput
from domain.events import Actor
from domain.vocabulary import Role
from infra.access_log import access_rows, append_access

READ_ACCESS_LOG = frozenset({Role.auditor})


@dataclass(frozen=True)
class Access:
    at: datetime
    actor: dict[str, Any]
    case_id: str | None
    what: str


def command_line_actor(os_user: str) -> Actor:
    """Who runs an auditor's command (``liandiao audit export``). Nobody signs in on the command line (whoever
    reaches the database can run it), so the log names the way in and the operating-system user."""
    return Actor(role=Role.auditor, id=f"cli:{os_user}")


async def record_access(pool: asyncpg.Pool, actor: Actor, case_id: str | None, what: str) -> None:
    await append_access(pool, actor.model_dump(mode="json", exclude_none=True), case_id, what)


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidInput("not a cursor from this log", "cursor")
    return int(cursor)


async def access_log(pool: asyncpg.Pool, actor: Actor, case_id: str | None = None, cursor: str | None = None,
                     limit: int = 100) -> tuple[list[Access], str | None]:
    """Newest first; ``next_cursor`` continues after the last item (None at the end)."""
    require_role(actor, READ_ACCESS_LOG)
    before = _cursor(cursor)
    rows = await access_rows(pool, case_id, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [Access(at=r["at"], actor=r["actor"], case_id=r["case_id"], what=r["what"]) for r in rows]
    return items, (str(rows[-1]["id"]) if more else None)
