"""``GET /audit/access-log`` (docs/api.md §3): who saw which case's personal data unmasked, for auditors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from application.access_log import READ_ACCESS_LOG, access_log
from application.cases import Application
from entrypoints.http.context import Caller, roles, services

router = APIRouter(prefix="/audit", tags=["audit"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"description": d, "content": {"application/problem+json": {}}}
    for s, d in ((401, "no or unknown token"), (403, "not an auditor"), (422, "bad cursor, case_id or limit"),
                 (503, "PostgreSQL is unreachable"))}


@router.get("/access-log", responses=_ERRORS, summary="who saw a case's personal data unmasked, newest first")
async def read_access_log(
    svc: Annotated[Application, Depends(services)],
    who: Caller = Depends(roles(READ_ACCESS_LOG)),
    case_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=18, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    items, next_cursor = await access_log(svc.pool, who.actor, case_id, cursor, limit)
    return {"items": [{"at": i.at.isoformat(), "actor": i.actor, "case_id": i.case_id, "what": i.what}
                      for i in items], "next_cursor": next_cursor}
