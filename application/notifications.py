"""The use cases on notifications: the caller's own, marking one read (per person), a case's 送达记录.

Who sees which (docs/api.md §3 ``GET /notifications``): a liaison, what was sent to its department; anyone else with
a department, what was sent to the departments of that department's jurisdiction and below; anyone without one
(a district-wide token), everything. A leader sees what was addressed to them in person (包案: ``user:{id}``), as
everyone sees what was addressed to them, and the district's notices of no case (the monthly 研判 report): they
read the district's figures, not other cases' reminders, whose cases they may not open. A sweep's rungs (排查催办,
预警, 挂牌督办) are notices of no case too, seen by the centres they were sent to, as a case's are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from application.access import READ_EVENTS, require_role
from application.cases import Application
from application.errors import Forbidden, NotFound
from domain.events import Actor
from domain.organisation import Organisation, UnknownId
from domain.vocabulary import Role
from infra.notification_reads import (
    is_district_notice,
    list_notifications,
    mark_read,
    notification_departments,
    notification_recipients,
    notification_view,
)

READ_CASE_NOTIFICATIONS = READ_EVENTS  # mediator, supervisor, auditor


def audience(actor: Actor, org: Organisation) -> list[str] | None:
    """The departments whose notifications ``actor`` sees; ``None`` for all (besides those sent to them in person)."""
    if actor.role in (Role.leader, Role.grid_worker):
        # A leader: their own cases only, told to them by name. A grid worker belongs to a grid, which no
        # department is set at: what is sent to them in person, never the departments' messages about other
        # people's cases.
        return []
    if actor.department is None:
        return [] if actor.role is Role.liaison else None
    if actor.role is Role.liaison:
        return [actor.department]
    try:
        home = org.department(actor.department).jurisdiction
    except UnknownId:
        return [actor.department]
    return [d.id for d in org.departments if any(j.id == home for j in org.ancestors(d.jurisdiction))]


async def my_notifications(app: Application, actor: Actor, unread: bool | None = None, limit: int = 100
                           ) -> tuple[list[dict[str, Any]], int]:
    """The caller's notifications, newest first, and how many of them the caller has not read."""
    return await list_notifications(app.pool, actor.id, audience(actor, app.org), unread, limit,
                                    district_notices=actor.role is Role.leader)


async def read(app: Application, actor: Actor, notification_id: str) -> datetime:
    """Mark one notification read for the caller only (idempotent: the first read's time stands)."""
    departments = await notification_departments(app.pool, notification_id)
    if departments is None:
        raise NotFound(f"no notification {notification_id}", "no_notification")
    seen = audience(actor, app.org)
    personal = f"user:{actor.id}" in (await notification_recipients(app.pool, notification_id) or [])
    district_notice = actor.role is Role.leader and await is_district_notice(app.pool, notification_id)
    if seen is not None and not set(seen) & set(departments) and not personal and not district_notice:
        raise Forbidden(f"notification {notification_id} was not sent to the caller", "not_your_notification")
    return await mark_read(app.pool, notification_id, actor.id)


async def of_case(app: Application, actor: Actor, case_id: str) -> list[dict[str, Any]]:
    """Every notification of the case with its deliveries, in the order they were made."""
    require_role(actor, READ_CASE_NOTIFICATIONS)
    state = await app.case_for_work(actor, case_id)  # 送达记录 name no party
    return [notification_view(n, case_id) for n in state.notifications]
