"""包案 leaders (docs/api.md §8): a leader's own cases (我的包案). Wiring only: application/owners.py does it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from application import owners
from application.cases import Application
from entrypoints.http.context import Caller, roles, services

router = APIRouter(prefix="/leaders", tags=["cases"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"description": d, "content": {"application/problem+json": {}}}
    for s, d in ((401, "no or unknown token"), (403, "not a leader"), (422, "bad limit"),
                 (503, "PostgreSQL is unreachable"))}


@router.get("/me/cases", responses=_ERRORS, summary="我的包案: the cases the calling leader leads, latest first")
async def my_cases(
    svc: Annotated[Application, Depends(services)],
    who: Caller = Depends(roles(owners.LEADERS)),
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    return {"items": [i.model_dump(mode="json") for i in await owners.my_cases(svc, who.actor, limit)]}
