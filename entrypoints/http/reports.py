"""The district's figures (docs/api.md §6): 考核 scores as JSON, CSV or a workbook. Wiring only: the period is
read, application/reports.py does the rest."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from application import reports
from application.cases import Application
from entrypoints.http.context import Caller, roles, services

router = APIRouter(prefix="/reports", tags=["reports"])
Svc = Annotated[Application, Depends(services)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/scores", summary="考核: every department's figures, score and rank for a period",
            response_class=JSONResponse,
            responses={200: {"content": {"application/json": {}, "text/csv": {}, XLSX: {}}}})
async def scores(
    svc: Svc, who: Caller = Depends(roles(reports.READ_SCORES)),
    period: Annotated[str | None, Query(description="2026-11, 2026-Q4 or 2026", max_length=20)] = None,
    first: Annotated[date | None, Query(alias="from", description="first day, Asia/Shanghai")] = None,
    last: Annotated[date | None, Query(alias="to", description="last day, inclusive")] = None,
    jurisdiction: Annotated[str | None, Query(max_length=200)] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    report = await reports.scores(svc, who.actor, reports.parse_period(period, first, last), jurisdiction)
    name = f"kaohe-{report.period.label}"
    if format == "xlsx":
        return Response(reports.scores_xlsx(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    if format == "csv":
        return Response(reports.scores_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return reports.scores_json(report)


public_router = APIRouter(prefix="/public", tags=["reports"])


@public_router.get("/board", summary="公示: the period's resolved cases (masked) and the department scores; no token",
                   responses={404: {"description": "公示 is not enabled ([publicity] enabled = false)"}})
async def public_board(
    svc: Svc,
    period: Annotated[str | None, Query(description="2026-11, 2026-Q4 or 2026", max_length=20)] = None,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    board = await reports.public_board(svc, reports.parse_period(period, first, last))
    return reports.public_json(board)
