"""The monthly 研判 report's counts in SQL, and the reports kept (032_monthly_reports.sql). What each figure
means is domain/monthly.py's; this only counts and stores."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.case import NotificationRecord
from domain.figures import Period, TaskFact
from domain.monthly import ClusterLine, MonthCount, Received
from domain.vocabulary import TaskRole
from infra.blobs import read_blob, store_blob

_COUNTED = "archive_reason IS DISTINCT FROM 'duplicate'"  # domain/analysis.py "count"

_RECEIVED = f"""
SELECT grid_id, category, channel, count(*) AS count
  FROM case_summaries
 WHERE received_at >= $1 AND received_at < $2 AND {_COUNTED}
 GROUP BY grid_id, category, channel
 ORDER BY grid_id, category, channel"""

_TREND = f"""
SELECT to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, count(*) AS count
  FROM case_summaries
 WHERE received_at >= $1 AND received_at < $2 AND {_COUNTED}
 GROUP BY 1"""

_TASKS = """
SELECT case_id, task_id, department, role, assigned_at, acknowledge_due_at, acknowledged_at, reply_due_at,
       replied_at, returned, cancelled, case_reopened, listed_at
  FROM task_facts
 WHERE (acknowledge_due_at >= $1 AND acknowledge_due_at < $2)
    OR (reply_due_at >= $1 AND reply_due_at < $2)
    OR (listed_at >= $1 AND listed_at < $2)"""


async def received(pool: asyncpg.Pool, period: Period) -> list[Received]:
    rows = await pool.fetch(_RECEIVED, period.start, period.end)
    return [Received(grid_id=r["grid_id"], category=r["category"], channel=r["channel"], count=r["count"])
            for r in rows]


async def trend(pool: asyncpg.Pool, months: list[Period]) -> list[MonthCount]:
    """The count of each month of ``months`` (consecutive, oldest first), 0 for a month without a case."""
    rows = await pool.fetch(_TREND, months[0].start, months[-1].end)
    counts = {r["month"]: int(r["count"]) for r in rows}
    return [MonthCount(period=m.label, count=counts.get(m.label, 0)) for m in months]


async def task_facts_of(pool: asyncpg.Pool, period: Period) -> list[TaskFact]:
    """Every task with a deadline or a listing in the month (the overdue and listed figures' base)."""
    rows = await pool.fetch(_TASKS, period.start, period.end)
    return [TaskFact(case_id=r["case_id"], task_id=r["task_id"], department=r["department"],
                     role=TaskRole(r["role"]), assigned_at=r["assigned_at"],
                     acknowledge_due_at=r["acknowledge_due_at"], acknowledged_at=r["acknowledged_at"],
                     reply_due_at=r["reply_due_at"], replied_at=r["replied_at"], returned=r["returned"],
                     cancelled=r["cancelled"], case_reopened=r["case_reopened"], listed_at=r["listed_at"])
            for r in rows]


# The cluster alerts (群体性隐患) live in a table of their own that a stack may not have yet. The report reads it
# when it is there, in the shape docs/api.md §7 gives an alert; when it is not (or has another shape) the
# section says the alerts are not available rather than failing the report.
async def cluster_alerts(pool: asyncpg.Pool, period: Period) -> list[tuple[str, str, int, datetime, str]]:
    """(category id, jurisdiction id, cases, opened_at, status) of each cluster alert (聚集预警, migration 031)
    opened in the month."""
    rows = await pool.fetch(
        """SELECT category, jurisdiction, cardinality(case_ids) AS cases, opened_at, status FROM analysis_alerts
            WHERE opened_at >= $1 AND opened_at < $2 ORDER BY opened_at""", period.start, period.end)
    return [(str(r["category"]), str(r["jurisdiction"]), int(r["cases"] or 0), r["opened_at"], str(r["status"]))
            for r in rows]


def cluster_lines(found: list[tuple[str, str, int, datetime, str]],
                  names: tuple[dict[str, str], dict[str, str]]) -> list[ClusterLine]:
    categories, places = names
    return [ClusterLine(category=categories.get(c, c), jurisdiction=places.get(j, j), cases=n, opened_at=at,
                        status=s) for c, j, n, at, s in found]


# --------------------------------------------------------------------------------------------- kept reports


async def keep_report(pool: asyncpg.Pool, period: str, fmt: str, sha256: str, content: bytes,
                      made_at: datetime) -> bool:
    """Store one format of a month's report; False when that month's was already kept (it stands)."""
    await store_blob(pool, sha256, content)  # before the row that names it
    inserted = await pool.fetchval(
        """INSERT INTO monthly_reports (period, format, sha256, size, made_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (period, format) DO NOTHING RETURNING true""", period, fmt, sha256, len(content), made_at)
    return bool(inserted)


async def kept_report(pool: asyncpg.Pool, period: str, fmt: str) -> tuple[str, bytes, datetime] | None:
    """(sha256, bytes, made_at) of the kept report, or None."""
    row = await pool.fetchrow("SELECT sha256, made_at FROM monthly_reports WHERE period = $1 AND format = $2",
                              period, fmt)
    if row is None:
        return None
    content = await read_blob(pool, row["sha256"])
    return None if content is None else (row["sha256"], content, row["made_at"])


async def kept_periods(pool: asyncpg.Pool, limit: int = 24) -> list[str]:
    rows = await pool.fetch("SELECT DISTINCT period FROM monthly_reports ORDER BY period DESC LIMIT $1", limit)
    return [r["period"] for r in rows]


async def kept_rows(pool: asyncpg.Pool, period: str) -> list[tuple[str, str, int]]:
    """(format, sha256, size) of each kept format of the month."""
    rows = await pool.fetch("SELECT format, sha256, size FROM monthly_reports WHERE period = $1 ORDER BY format",
                            period)
    return [(r["format"], r["sha256"], int(r["size"])) for r in rows]


# --------------------------------------------------------------------------------------------- the announcement


async def record_announcement(pool: asyncpg.Pool, record: NotificationRecord, departments: list[str]) -> bool:
    """The announcement in the notifications read model, with no case (``case_id`` empty); False when it was
    already there. The projector's rebuild keeps such rows: no case event stands behind them."""
    inserted = await pool.fetchval(
        """INSERT INTO notifications (notification_id, case_id, kind, level, departments, recipients, record,
                                      created_at)
           VALUES ($1, '', $2, $3, $4, $5, $6::text::jsonb, $7)
           ON CONFLICT (notification_id) DO NOTHING RETURNING true""",
        record.notification_id, record.kind, record.level, departments, list(record.recipients),
        record.model_dump_json(), record.created_at)
    return bool(inserted)


async def announcement(pool: asyncpg.Pool, notification_id: str) -> NotificationRecord | None:
    raw = await pool.fetchval("SELECT record::text FROM notifications WHERE notification_id = $1", notification_id)
    return None if raw is None else NotificationRecord.model_validate_json(raw)


async def update_announcement(pool: asyncpg.Pool, record: NotificationRecord) -> None:
    await pool.execute("UPDATE notifications SET record = $2::text::jsonb WHERE notification_id = $1",
                       record.notification_id, record.model_dump_json())
