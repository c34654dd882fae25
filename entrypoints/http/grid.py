"""The grid (docs/api.md §8): a grid worker's own reports (我的上报) and how far each has gone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from application.access import GRID_REPORTS
from application.cases import Application
from entrypoints.http.context import Caller, roles, services

router = APIRouter(prefix="/grid-reports", tags=["grid"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"description": d, "content": {"application/problem+json": {}}}
    for s, d in ((401, "no or unknown token"), (403, "not a grid worker"), (422, "bad limit"),
                 (503, "PostgreSQL is unreachable"))}


@router.get("/mine", responses=_ERRORS, summary="我的上报: my reports, their stage and last step")
async def my_reports(
    svc: Annotated[Application, Depends(services)],
    who: Caller = Depends(roles(GRID_REPORTS)),
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    items = await svc.grid_reports(who.actor, limit)
    # each with handling_level: where it is handled now (a settlement on the spot in the grid, a report at the
    # community until handed up, 上交)
    return {"items": [i.model_dump(mode="json") for i in items]}
