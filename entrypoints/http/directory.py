"""The organisation, department inboxes, the supervision board and statistics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from application import access, supervision
from application.cases import Application
from entrypoints.http.context import Caller, caller, roles, services

router = APIRouter()
Svc = Annotated[Application, Depends(services)]


@router.get("/jurisdictions", tags=["organisation"], summary="the jurisdiction tree: 区 > 街道 > 社区 > 网格")
async def jurisdictions(svc: Svc, who: Caller = Depends(caller)) -> list[dict[str, Any]]:
    return [{"id": j.id, "name": j.name, "level": j.level.value, "parent": j.parent} for j in svc.jurisdictions()]


@router.get("/departments", tags=["organisation"], summary="departments (责任单位)")
async def departments(svc: Svc, who: Caller = Depends(caller)) -> list[dict[str, Any]]:
    return [{"id": d.id, "name": d.name, "level": d.level.value, "jurisdiction": d.jurisdiction, "kind": d.kind}
            for d in svc.departments()]


@router.get("/departments/{department_id}/inbox", tags=["supervision"], summary="a department's tasks")
async def inbox(department_id: str, svc: Svc, who: Caller = Depends(roles(access.READ_INBOX)),
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    return {"items": [i.model_dump(mode="json") for i in await svc.inbox(who.actor, department_id, limit)]}


@router.get("/supervision/board", tags=["supervision"],
            summary="open escalations worst first; listings by hand, decisions awaited, summonses unreported")
async def board(svc: Svc, who: Caller = Depends(roles(access.READ_BOARD)),
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    extras = await supervision.board_extras(svc, who.actor, limit)
    return {"items": [i.model_dump(mode="json") for i in await svc.board(who.actor, limit)],
            **{key: [i.model_dump(mode="json") for i in rows] for key, rows in extras.items()}}


@router.get("/statistics/departments", tags=["supervision"], summary="on-time rates, returns, satisfaction")
async def statistics(svc: Svc, who: Caller = Depends(roles(access.READ_BOARD))) -> dict[str, Any]:
    return {"items": [i.model_dump(mode="json") for i in await svc.statistics(who.actor)]}
