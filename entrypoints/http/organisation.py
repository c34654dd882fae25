"""The categories that intake accepts (docs/api.md §3 ``GET /categories``), from the organisation in force."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from application.cases import Application
from entrypoints.http.context import Caller, caller, services

router = APIRouter()


@router.get("/categories", tags=["organisation"], summary="the categories that intake accepts")
async def categories(app: Annotated[Application, Depends(services)], who: Caller = Depends(caller)
                     ) -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.name} for c in app.categories()]
