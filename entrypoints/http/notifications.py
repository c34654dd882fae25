"""Notifications: the caller's own (in-app, with unread counts per person) and a case's 送达记录 (docs/api.md §3).
Thin: the rules are in application/notifications.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from application import notifications
from application.cases import Application
from entrypoints.http.context import Caller, caller, roles, services

router = APIRouter(tags=["notifications"])
Svc = Annotated[Application, Depends(services)]
# A case's notifications have uuids; the notices of no case have names: "monthly-report-2026-11", and a sweep's
# rung "{sweep}/{grid}/{rung}" (hence the path converter below). No segment starts with a dot.
NotificationId = Annotated[str, Path(max_length=200,
                                     pattern=r"^[0-9A-Za-z_-][0-9A-Za-z_.-]*(/[0-9A-Za-z_-][0-9A-Za-z_.-]*)*$")]


@router.get("/notifications", summary="what was sent to the caller (a liaison: to its department), newest first")
async def my_notifications(svc: Svc, who: Caller = Depends(caller), unread: bool | None = None,
                           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    items, count = await notifications.my_notifications(svc, who.actor, unread, limit)
    return {"items": items, "unread": count}


@router.post("/notifications/{notification_id:path}/read", summary="mark one notification read, for the caller only")
async def read_notification(notification_id: NotificationId, svc: Svc,
                            who: Caller = Depends(caller)) -> dict[str, Any]:
    read_at = await notifications.read(svc, who.actor, notification_id)
    return {"notification_id": notification_id, "read_at": read_at.isoformat()}


@router.get("/cases/{case_id}/notifications", tags=["cases"],
            summary="every notification of the case with its deliveries (送达记录)")
async def case_notifications(case_id: str, svc: Svc,
                             who: Caller = Depends(roles(notifications.READ_CASE_NOTIFICATIONS))
                             ) -> list[dict[str, Any]]:
    return await notifications.of_case(svc, who.actor, case_id)
