"""The cluster alerts (聚集预警) in PostgreSQL (031_cluster_alerts.sql). The rule is domain/clusters.py's and is
applied by application/clusters.py inside :func:`locked`, which holds one community's and category's alerts for
the length of a transaction: two intakes at once see each other's outcome, never open two alerts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.clusters import OpenAlert, Received


@dataclass(frozen=True)
class Alert:
    alert_id: str
    kind: str
    jurisdiction: str
    category: str
    case_ids: tuple[str, ...]
    opened_at: datetime
    status: str
    closed_at: datetime | None
    closed_by: str | None
    note: str | None


_COLUMNS = "alert_id, kind, jurisdiction, category, case_ids, opened_at, status, closed_at, closed_by, note"


def _alert(row: asyncpg.Record) -> Alert:
    return Alert(alert_id=row["alert_id"], kind=row["kind"], jurisdiction=row["jurisdiction"],
                 category=row["category"], case_ids=tuple(row["case_ids"]), opened_at=row["opened_at"],
                 status=row["status"], closed_at=row["closed_at"], closed_by=row["closed_by"], note=row["note"])


# The conditions both the locked read and the lock-free glance apply (domain/clusters.py), with the numbers of
# their parameters: the open alert of (jurisdiction, category), and the cases counted: category, grids, since, until.
def _open_alert(jurisdiction: str, category: str) -> str:
    return f"kind = 'cluster' AND jurisdiction = {jurisdiction} AND category = {category} AND status = 'open'"


_RECEIVED = """category = $1 AND grid_id = ANY($2::text[]) AND received_at >= $3 AND received_at <= $4
                  AND archive_reason IS DISTINCT FROM 'duplicate'"""


class LockedAlerts:
    """One community's and category's cluster alerts, locked for this transaction."""

    def __init__(self, conn: asyncpg.Connection, jurisdiction: str, category: str) -> None:
        self.conn, self.jurisdiction, self.category = conn, jurisdiction, category

    async def open_alert(self) -> OpenAlert | None:
        row = await self.conn.fetchrow(
            f"SELECT alert_id, case_ids FROM analysis_alerts WHERE {_open_alert('$1', '$2')}",
            self.jurisdiction, self.category)
        return None if row is None else OpenAlert(row["alert_id"], tuple(row["case_ids"]))

    async def received(self, grids: Sequence[str], since: datetime, until: datetime) -> list[Received]:
        """The cases of the category received in these grids in ``[since, until]``, duplicates (重复件) left out
        (domain/clusters.py)."""
        rows = await self.conn.fetch(
            f"SELECT case_id, received_at FROM case_summaries WHERE {_RECEIVED}",
            self.category, list(grids), since, until)
        return [Received(r["case_id"], r["received_at"]) for r in rows]

    async def open(self, alert_id: str, case_ids: Sequence[str], at: datetime) -> None:
        await self.conn.execute(
            """INSERT INTO analysis_alerts (alert_id, kind, jurisdiction, category, case_ids, opened_at)
               VALUES ($1, 'cluster', $2, $3, $4, $5)""",
            alert_id, self.jurisdiction, self.category, list(case_ids), at)

    async def join(self, alert_id: str, case_id: str) -> tuple[str, ...]:
        """Add the case to the open alert; its cases after."""
        found = await self.conn.fetchval(
            """UPDATE analysis_alerts SET case_ids = array_append(case_ids, $2)
                WHERE alert_id = $1 AND status = 'open' AND NOT ($2 = ANY(case_ids)) RETURNING case_ids""",
            alert_id, case_id)
        return tuple(found or ())


async def glance(pool: asyncpg.Pool, jurisdiction: str, category: str, grids: Sequence[str], since: datetime,
                 until: datetime, case_id: str) -> tuple[bool, int]:
    """Without a lock, in one statement: whether the community's category has an open alert, and how many
    other cases :meth:`LockedAlerts.received` would find (domain/clusters.py ``worth_locking``)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"""SELECT EXISTS (SELECT 1 FROM analysis_alerts WHERE {_open_alert('$5', '$1')}),
                       (SELECT count(*) FROM case_summaries WHERE {_RECEIVED} AND case_id <> $6)""",
            category, list(grids), since, until, jurisdiction, case_id)
    assert row is not None
    return bool(row[0]), int(row[1])


@asynccontextmanager
async def locked(pool: asyncpg.Pool, jurisdiction: str, category: str) -> AsyncIterator[LockedAlerts]:
    """A transaction holding the advisory lock of (community, category) until it ends."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 31))",
                           f"cluster\x1f{jurisdiction}\x1f{category}")
        yield LockedAlerts(conn, jurisdiction, category)


async def list_alerts(pool: asyncpg.Pool, status: str | None, limit: int = 200) -> list[Alert]:
    """The alerts of that status (every one with None), latest opened first."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"""SELECT {_COLUMNS} FROM analysis_alerts WHERE ($1::text IS NULL OR status = $1)
                ORDER BY opened_at DESC, alert_id DESC LIMIT $2""", status, limit)
    return [_alert(r) for r in rows]


async def get_alert(pool: asyncpg.Pool, alert_id: str) -> Alert | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM analysis_alerts WHERE alert_id = $1", alert_id)
    return None if row is None else _alert(row)


async def close_alert(pool: asyncpg.Pool, alert_id: str, closed_by: str, note: str, at: datetime) -> Alert | None:
    """Close the open alert; None when there is no open alert of that id (absent or closed already)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"""UPDATE analysis_alerts SET status = 'closed', closed_at = $2, closed_by = $3, note = $4
                 WHERE alert_id = $1 AND status = 'open' RETURNING {_COLUMNS}""", alert_id, at, closed_by, note)
    return None if row is None else _alert(row)

