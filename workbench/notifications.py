"""In-app notifications (送达) for the badge and the notifications page. They arrive with the notifications
issue; until its read model exists the page says so and the badge shows nothing."""

from __future__ import annotations

from typing import Any

from application.cases import Application as Services
from domain.events import Actor
from domain.vocabulary import Role


async def enabled(svc: Services) -> bool:
    """Whether the notifications read model exists (asked once: migrations run before the API starts)."""
    global _ENABLED
    if _ENABLED is None:
        _ENABLED = bool(await svc.pool.fetchval("SELECT to_regclass('notifications') IS NOT NULL"))
    return _ENABLED


_ENABLED: bool | None = None


def _scope(actor: Actor) -> tuple[str, list[Any]]:
    if actor.role is Role.liaison:
        return "n.departments @> ARRAY[$2::text]", [actor.department]
    return "true", []


async def for_actor(svc: Services, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    if not await enabled(svc):
        return []
    where, args = _scope(actor)
    rows = await svc.pool.fetch(
        f"""SELECT n.notification_id, n.case_id, n.kind, n.level, n.record, n.created_at, r.read_at
              FROM notifications n LEFT JOIN notification_reads r
                ON r.notification_id = n.notification_id AND r.reader = $1
             WHERE {where} ORDER BY n.created_at DESC LIMIT {int(limit)}""", actor.id, *args)
    return [{**dict(r), "text": (r["record"] or {}).get("text", "")} for r in rows]


async def unread(svc: Services, actor: Actor) -> int:
    if not await enabled(svc):
        return 0
    where, args = _scope(actor)
    return int(await svc.pool.fetchval(
        f"""SELECT count(*) FROM notifications n WHERE {where} AND NOT EXISTS (
              SELECT 1 FROM notification_reads r WHERE r.notification_id = n.notification_id AND r.reader = $1)""",
        actor.id, *args))
