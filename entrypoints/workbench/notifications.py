"""In-app notifications (送达) for the badge and the notifications page, through the application layer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from application import notifications
from application.cases import Application
from domain.describe import Names, recipients_label
from domain.events import Actor
from domain.notifications import without_link
from domain.organisation import Organisation


def opens(item: dict[str, Any]) -> tuple[str, str]:
    """Where a notification opens on the desk and what it is about: its case; for a notice of no case, the
    monthly report's page or the page its link names (a sweep's rung: the sweep)."""
    if item["case_id"]:
        return f"/cases/{item['case_id']}", item["case_id"]
    if item["kind"] == "monthly_report":
        return "/reports/monthly", "研判"
    path = urlsplit(item["link"]).path or "/notifications"
    return path, "排查" if path.startswith("/sweeps/") else "通知"


def shown(item: dict[str, Any]) -> str:
    """The message as the bell lists it: without its link line, which the item itself opens (a phone shows a
    long URL as two lines of noise)."""
    return without_link(item["text"], item["link"])


def told(item: dict[str, Any], org: Organisation, reader: str) -> str:
    """Whom the notification went to, as the bell names them: a supervisor reads many departments' messages, and
    two reminders of one case differ only by the department they went to. The reader in person is 您; another
    person, 个人 (their name is not the reader's to see)."""
    people = {r.removeprefix("user:"): "个人" for r in item.get("recipients", ()) if r.startswith("user:")}
    people[reader] = "您"
    return recipients_label(item.get("recipients", ()), Names(org, people))


async def for_actor(app: Application, actor: Actor, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
    """The person's notifications, newest first (each with ``href`` and ``about`` for the page), and how many
    they have not read."""
    items, unread_count = await notifications.my_notifications(app, actor, None, limit)
    for item in items:
        item["href"], item["about"] = opens(item)
        item["shown"] = shown(item)
        item["to"] = told(item, app.org, actor.id)
    return items, unread_count


async def unread(app: Application, actor: Actor) -> int:
    return (await notifications.my_notifications(app, actor, True, 1))[1]


async def mark_read(app: Application, actor: Actor, notification_id: str) -> None:
    await notifications.read(app, actor, notification_id)
