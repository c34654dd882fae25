"""The district's figures (docs/api.md §6): 考核 scores and the 台账 ledger as JSON, CSV or a workbook. Wiring
only: the period is read, application/reports.py and application/ledger.py do the rest."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from application import ledger, monthly, reports
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
    by: Annotated[Literal["department", "person"], Query(
        description="person: one row per 责任人 (json, csv); the workbook always has a 责任人 sheet")] = "department",
) -> Any:
    report = await reports.scores(svc, who.actor, reports.parse_period(period, first, last), jurisdiction,
                                  by_person=by == "person" or format == "xlsx")
    name = f"kaohe-{report.period.label}"
    if format == "xlsx":
        return Response(reports.scores_xlsx(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    if format == "csv":
        return Response(reports.scores_csv(report, by == "person"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return reports.people_json(report) if by == "person" else reports.scores_json(report)


_MEDIA = {ledger.Format.json: "application/json", ledger.Format.csv: "text/csv; charset=utf-8",
          ledger.Format.xlsx: XLSX}
_CHUNK = 64 * 1024


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := file.read(_CHUNK):
            yield chunk
    finally:
        file.close()


@router.get("/ledger", summary="台账: one row per case received in the period, parties as the caller sees them",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/json": {}, "text/csv": {}, XLSX: {}}}})
async def ledger_export(
    svc: Svc, who: Annotated[Caller, Depends(roles(ledger.READ_LEDGER))],
    first: Annotated[date, Query(alias="from", description="first day received, Asia/Shanghai")],
    last: Annotated[date, Query(alias="to", description="last day received, inclusive")],
    jurisdiction: Annotated[str | None, Query(max_length=200)] = None,
    format: ledger.Format = ledger.Format.json,
) -> Any:
    period = ledger.parse_days(first, last)
    # Written to a temporary file first (rows a batch at a time, the workbook streamed) so that a refusal is a
    # problem, not a broken download; then sent from the file, a chunk at a time.
    file = tempfile.TemporaryFile()
    try:
        await ledger.export_ledger(svc, who.actor, period, jurisdiction, format, file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    name = f"taizhang-{period.first.isoformat()}-{period.last.isoformat()}.{format.value}"
    download = {} if format is ledger.Format.json else {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(_chunks(file), media_type=_MEDIA[format], headers=download)


# Declared, not enforced (as for 研判's periods): a month out of it gets application/monthly.py's message.
_MONTH_PATTERN = r"^(190[1-9]|19[1-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])$"


@router.get("/monthly", summary="月度研判报告: the month's totals by channel, category and street (环比, 同比), "
            "hotspots, clusters, overdue and listed cases, repeat visitors (counts only), department scores",
            response_class=Response,
            responses={200: {"content": {"text/html": {}, XLSX: {}, "application/pdf": {}},
                             "description": "the report the schedule made and kept for the month, else the "
                                            "month's report built now (X-Report-Kept says which)"}})
async def monthly_report(
    svc: Svc, who: Annotated[Caller, Depends(roles(monthly.READ_MONTHLY))],
    period: Annotated[str, Query(description="a month that has begun, YYYY-MM", max_length=20,
                                 json_schema_extra={"pattern": _MONTH_PATTERN})],
    format: Literal["html", "xlsx", "pdf"] = "html",
) -> Response:
    chosen = monthly.parse_month(period, monthly.today(svc))
    report = await monthly.monthly(svc, who.actor, chosen, monthly.parse_format(format))
    shown = "inline" if report.format == "html" else "attachment"
    return Response(report.content, media_type=report.media_type, headers={
        "Content-Disposition": f'{shown}; filename="{report.filename}"', "X-Content-SHA256": report.sha256,
        "X-Report-Kept": "true" if report.kept else "false"})


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
