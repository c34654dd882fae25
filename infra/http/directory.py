"""The organisation, department inboxes, the supervision board and statistics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from domain.organisation import UnknownId
from domain.vocabulary import Role
from infra.http.context import Caller, Services, caller, roles, services
from infra.http.problems import Problem
from infra.read_models import department_inbox, department_statistics, supervision_board

router = APIRouter()
Svc = Annotated[Services, Depends(services)]
ANY_ROLE = (Role.mediator, Role.liaison, Role.supervisor, Role.auditor, Role.admin)


@router.get("/jurisdictions", tags=["organisation"], summary="the jurisdiction tree: 区 > 街道 > 社区 > 网格")
async def jurisdictions(svc: Svc, who: Caller = Depends(caller)) -> list[dict[str, Any]]:
    return [{"id": j.id, "name": j.name, "level": j.level.value, "parent": j.parent} for j in svc.org.jurisdictions]


@router.get("/departments", tags=["organisation"], summary="departments (责任单位)")
async def departments(svc: Svc, who: Caller = Depends(caller)) -> list[dict[str, Any]]:
    return [{"id": d.id, "name": d.name, "level": d.level.value, "jurisdiction": d.jurisdiction, "kind": d.kind}
            for d in svc.org.departments]


@router.get("/departments/{department_id}/inbox", tags=["supervision"], summary="a department's tasks")
async def inbox(department_id: str, svc: Svc,
                who: Caller = Depends(roles(Role.liaison, Role.mediator, Role.supervisor)),
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    try:
        svc.org.department(department_id)
    except UnknownId as exc:
        raise Problem(404, str(exc)) from exc
    if who.role is Role.liaison and who.actor.department != department_id:
        raise Problem(403, f"a liaison sees only the inbox of department {who.actor.department}")
    items = await department_inbox(svc.pool, department_id, limit)
    return {"items": [i.model_dump(mode="json") for i in items]}


@router.get("/supervision/board", tags=["supervision"], summary="open escalations, worst first")
async def board(svc: Svc, who: Caller = Depends(roles(Role.supervisor, Role.mediator, Role.auditor)),
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    return {"items": [i.model_dump(mode="json") for i in await supervision_board(svc.pool, limit)]}


@router.get("/statistics/departments", tags=["supervision"], summary="on-time rates, returns, satisfaction")
async def statistics(svc: Svc, who: Caller = Depends(roles(Role.supervisor, Role.mediator, Role.auditor))
                     ) -> dict[str, Any]:
    return {"items": [i.model_dump(mode="json") for i in await department_statistics(svc.pool)]}
