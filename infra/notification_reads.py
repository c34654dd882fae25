"""Reading notifications (014_notifications.sql) and marking them read per person (015_notification_reads.sql).
Who may see which is the application's rule (application/notifications.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.case import NotificationRecord


def notification_view(record: NotificationRecord, case_id: str, read_at: datetime | None = None) -> dict[str, Any]:
    """docs/api.md §3 "Notification fields", plus who it went to and why a delivery failed. Addresses are redacted."""
    return {
        "notification_id": record.notification_id, "case_id": case_id, "kind": record.kind, "level": record.level,
        "task_id": record.task_id, "text": record.text, "link": record.link,
        "created_at": record.created_at.isoformat(), "read_at": read_at.isoformat() if read_at else None,
        "due_at": record.due_at.isoformat() if record.due_at else None, "urgent": record.urgent,
        "recipients": list(record.recipients),
        "deferred_until": record.deferred_until.isoformat() if record.deferred_until else None,
        "deliveries": [
            {"channel": d.address, "channel_id": d.channel_id, "department": d.department, "role": d.role,
             "status": d.status, "attempts": d.attempts,
             "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None, "reason": d.reason}
            for d in record.deliveries
        ],
    }


# The notice of no case addressed to the whole district; a sweep's rungs, also of no case, are for its centres.
DISTRICT_NOTICE = "monthly_report"


def _theirs(district_notices: str) -> str:
    """Sent to the departments ($2; all when NULL), to the reader in person, or (when the parameter numbered
    ``district_notices`` is true) a district-wide notice of no case, such as the monthly report's."""
    return ("($2::text[] IS NULL OR n.departments && $2::text[] OR ('user:' || $1) = ANY(n.recipients)"
            f" OR ({district_notices}::bool AND n.case_id = '' AND n.kind = '{DISTRICT_NOTICE}'))")


async def list_notifications(pool: asyncpg.Pool, reader: str, departments: list[str] | None, unread: bool | None,
                             limit: int, district_notices: bool = False) -> tuple[list[dict[str, Any]], int]:
    """The reader's notifications, newest first, and how many of all theirs are unread: those sent to
    ``departments`` (all when None), those addressed to the reader in person (``user:{reader}``) and, with
    ``district_notices``, the notices of no case."""
    rows = await pool.fetch(
        f"""SELECT n.case_id, n.record::text AS record, r.read_at
              FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.notification_id
                                                                  AND r.reader = $1
             WHERE {_theirs("$5")} AND ($3::bool IS NULL OR (r.read_at IS NULL) = $3)
             ORDER BY n.created_at DESC, n.notification_id DESC LIMIT $4""",
        reader, departments, unread, limit, district_notices)
    count = await pool.fetchval(
        f"""SELECT count(*) FROM notifications n
             WHERE {_theirs("$3")} AND NOT EXISTS (SELECT 1 FROM notification_reads r
                                                     WHERE r.notification_id = n.notification_id
                                                       AND r.reader = $1)""",
        reader, departments, district_notices)
    items = [notification_view(NotificationRecord.model_validate_json(r["record"]), r["case_id"], r["read_at"])
             for r in rows]
    return items, int(count)


async def is_district_notice(pool: asyncpg.Pool, notification_id: str) -> bool:
    """Whether a notification is a district-wide notice of no case (the monthly report's announcement)."""
    kind = await pool.fetchval("SELECT kind FROM notifications WHERE notification_id = $1 AND case_id = ''",
                               notification_id)
    return bool(kind == DISTRICT_NOTICE)


async def notification_departments(pool: asyncpg.Pool, notification_id: str) -> list[str] | None:
    """The departments a notification went to; ``None`` for an unknown id."""
    raw = await pool.fetchval("SELECT departments FROM notifications WHERE notification_id = $1", notification_id)
    return None if raw is None else list(raw)


async def notification_recipients(pool: asyncpg.Pool, notification_id: str) -> list[str] | None:
    """Whom a notification went to (``liaisons:{department}``, ``user:{id}``, ...); ``None`` for an unknown id."""
    raw = await pool.fetchval("SELECT recipients FROM notifications WHERE notification_id = $1", notification_id)
    return None if raw is None else list(raw)


async def mark_read(pool: asyncpg.Pool, notification_id: str, reader: str) -> datetime:
    """Mark read for this reader (idempotent: the first read's time stands)."""
    await pool.execute(
        """INSERT INTO notification_reads (notification_id, reader) VALUES ($1, $2)
           ON CONFLICT (reader, notification_id) DO NOTHING""", notification_id, reader)
    read_at: datetime = await pool.fetchval(
        "SELECT read_at FROM notification_reads WHERE notification_id = $1 AND reader = $2", notification_id, reader)
    return read_at
