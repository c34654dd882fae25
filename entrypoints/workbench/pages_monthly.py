"""月度研判报告 on the workbench: a month picker, the months the schedule kept, and for the chosen month the
report to read on the screen and to download as a workbook or a PDF. The report itself is
application/monthly.py's (the same bytes as GET /api/v1/reports/monthly); this page only picks the month."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from application import monthly
from application.errors import InvalidInput
from application.monthly_render import month_name
from entrypoints.workbench import notifications
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import WorkbenchRoute, render, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
READERS = tuple(monthly.READ_MONTHLY)
BAD_MONTH = "月份有误：请选择已开始的月份，格式为 YYYY-MM（如 2026-11）。"


def _default_month(request: Request) -> str:
    """The month before this one: the latest the schedule has made (on the first of each month)."""
    return monthly.previous_month(services(request).clock()).label


@router.get("/reports/monthly", include_in_schema=False)
async def monthly_page(request: Request, period: str | None = None,
                       who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    svc = services(request)
    chosen_text = (period or _default_month(request)).strip()[:20]
    context: dict[str, Any] = {"period": chosen_text, "months": monthly.recent_months(monthly.today(svc)),
               "kept": await monthly.kept_months(svc, who.actor), "unread": await notifications.unread(svc, who.actor)}
    try:
        chosen = monthly.parse_month(chosen_text, monthly.today(svc))
    except InvalidInput:
        return render(request, "monthly.html", status=422, error=BAD_MONTH, chosen=None, **context)
    return render(request, "monthly.html", error=None, chosen=chosen.label, title=month_name(chosen.label),
                  **context)


async def _file(request: Request, who: Session, period: str | None, fmt: str) -> Response:
    svc = services(request)
    try:
        chosen = monthly.parse_month(period, monthly.today(svc))
    except InvalidInput:
        return render(request, "error.html", status=422, title="月份有误", message=BAD_MONTH)
    report = await monthly.monthly(svc, who.actor, chosen, fmt)
    shown = "inline" if fmt == "html" else "attachment"
    return Response(report.content, media_type=report.media_type,
                    headers={"Content-Disposition": f'{shown}; filename="{report.filename}"'})


@router.get("/reports/monthly/view", include_in_schema=False)
async def monthly_view(request: Request, period: str | None = None,
                       who: Session = Depends(role_in(*READERS))) -> Response:
    return await _file(request, who, period, "html")


@router.get("/reports/monthly.xlsx", include_in_schema=False)
async def monthly_xlsx(request: Request, period: str | None = None,
                       who: Session = Depends(role_in(*READERS))) -> Response:
    return await _file(request, who, period, "xlsx")


@router.get("/reports/monthly.pdf", include_in_schema=False)
async def monthly_pdf(request: Request, period: str | None = None,
                      who: Session = Depends(role_in(*READERS))) -> Response:
    return await _file(request, who, period, "pdf")
