"""In-app notifications (送达) for the badge and the notifications page, through the application layer."""

from __future__ import annotations

from typing import Any

from application import notifications
from application.cases import Application
from domain.events import Actor


async def for_actor(app: Application, actor: Actor, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
    """The person's notifications, newest first, and how many they have not read."""
    return await notifications.my_notifications(app, actor, None, limit)


async def unread(app: Application, actor: Actor) -> int:
    return (await notifications.my_notifications(app, actor, True, 1))[1]


async def mark_read(app: Application, actor: Actor, notification_id: str) -> None:
    await notifications.read(app, actor, notification_id)
