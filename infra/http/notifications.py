"""Notifications: the caller's own (in-app, with unread counts per person) and a case's 送达记录 (API.md §3)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from domain.vocabulary import Role
from infra.http.context import Caller, Services, caller, load_case, roles, services
from infra.http.problems import Problem
from infra.notification_reads import (
    audience,
    list_notifications,
    mark_read,
    notification_departments,
    notification_view,
)

router = APIRouter(tags=["notifications"])
Svc = Annotated[Services, Depends(services)]
NotificationId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f-]+$")]


@router.get("/notifications", summary="what was sent to the caller (a liaison: to its department), newest first")
async def my_notifications(svc: Svc, who: Caller = Depends(caller), unread: bool | None = None,
                           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    items, count = await list_notifications(svc.pool, who.actor.id, audience(who.actor, svc.org), unread, limit)
    return {"items": items, "unread": count}


@router.post("/notifications/{notification_id}/read", summary="mark one notification read, for the caller only")
async def read_notification(notification_id: NotificationId, svc: Svc,
                            who: Caller = Depends(caller)) -> dict[str, Any]:
    departments = await notification_departments(svc.pool, notification_id)
    if departments is None:
        raise Problem(404, f"no notification {notification_id}")
    seen = audience(who.actor, svc.org)
    if seen is not None and not set(seen) & set(departments):
        raise Problem(403, f"notification {notification_id} was not sent to the caller")
    read_at = await mark_read(svc.pool, notification_id, who.actor.id)
    return {"notification_id": notification_id, "read_at": read_at.isoformat()}


@router.get("/cases/{case_id}/notifications", tags=["cases"],
            summary="every notification of the case with its deliveries (送达记录)")
async def case_notifications(case_id: str, svc: Svc,
                             who: Caller = Depends(roles(Role.mediator, Role.supervisor, Role.auditor))
                             ) -> list[dict[str, Any]]:
    state = await load_case(svc, case_id)
    return [notification_view(n, case_id) for n in state.notifications]
