"""考核: the district's figures for supervisors, leaders and auditors — a period picker, every department's
score and rank as a bar chart and a table, the red and black lists (红榜, 黑榜), and the downloads.

The figures are application/reports.py's; this page only picks the period and draws them."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from application import reports
from application.errors import InvalidInput
from domain.figures import SHANGHAI, Period
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import PageError, WorkbenchRoute, render, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
READERS = tuple(reports.READ_SCORES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def this_month(now: datetime) -> str:
    return now.astimezone(SHANGHAI).strftime("%Y-%m")


def chosen_period(period: str | None, first: str | None, last: str | None, now: datetime) -> Period:
    """The period asked for: ``period``, else ``from``/``to``, else this month (Asia/Shanghai)."""
    if not period and not first and not last:
        return reports.parse_period(this_month(now), None, None)
    try:
        start = date.fromisoformat(first) if first else None
        end = date.fromisoformat(last) if last else None
    except ValueError:
        raise InvalidInput("起止日期应为 YYYY-MM-DD", "period") from None
    return reports.parse_period(period or None, start, end)


async def _scores(request: Request, who: Session, period: str | None, first: str | None,
                  last: str | None) -> tuple[reports.Scores | None, str | None]:
    svc = services(request)
    try:
        chosen = chosen_period(period, first, last, svc.clock())
    except InvalidInput as exc:
        return None, _chinese_period_error(exc.message)
    return await reports.scores(svc, who.actor, chosen, by_person=True), None  # the 责任人 table and sheet too


def _chinese_period_error(message: str) -> str:
    if "before from" in message:
        return "结束日期早于开始日期。"
    if "not both" in message:
        return "请选择考核期间，或填写起止日期，二者选一。"
    return "考核期间应为月份（如 2026-11）、季度（如 2026-Q4）或年份（如 2026），或起止日期（YYYY-MM-DD）。"


@router.get("/scores", include_in_schema=False)
async def scores_page(request: Request, period: str | None = None, first: str | None = None,
                      last: str | None = None, who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    report, error = await _scores(request, who, period, first, last)
    now = services(request).clock()
    months = recent_months(now)
    query = request.url.query
    return render(request, "scores.html", status=422 if error else 200, report=report, error=error,
                  months=months, period=period or (None if first or last else this_month(now)),
                  first=first or "", last=last or "", query=query)


@router.get("/scores.xlsx", include_in_schema=False)
async def scores_xlsx(request: Request, period: str | None = None, first: str | None = None,
                      last: str | None = None, who: Session = Depends(role_in(*READERS))) -> Response:
    report, error = await _scores(request, who, period, first, last)
    if report is None:
        return render(request, "error.html", status=422, title="考核期间有误", message=error or "")
    return Response(reports.scores_xlsx(report), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="kaohe-{report.period.label}.xlsx"'})


@router.get("/scores.csv", include_in_schema=False)
async def scores_csv(request: Request, period: str | None = None, first: str | None = None,
                     last: str | None = None, who: Session = Depends(role_in(*READERS))) -> Response:
    report, error = await _scores(request, who, period, first, last)
    if report is None:
        return render(request, "error.html", status=422, title="考核期间有误", message=error or "")
    return Response(reports.scores_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="kaohe-{report.period.label}.csv"'})


def recent_months(now: datetime, count: int = 12) -> list[str]:
    """This month and the eleven before it, newest first: the picker's choices."""
    local = now.astimezone(SHANGHAI)
    year, month = local.year, local.month
    out = []
    for _ in range(count):
        out.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out



@router.get("/public", include_in_schema=False)
async def public_page(request: Request, period: str | None = None) -> HTMLResponse:
    """公示: open to anyone, no sign-in, when the policy enables it; a page that is not there otherwise."""
    svc = services(request)
    if not reports.publicity_enabled(svc):
        raise PageError(404, "页面不存在", "本地区未开启公示。")
    now = svc.clock()
    try:
        chosen = chosen_period(period, None, None, now)
    except InvalidInput:
        return render(request, "public.html", status=422, board=None, months=recent_months(now), period=period,
                      error="公示期间应为月份（如 2026-11）、季度（如 2026-Q4）或年份（如 2026）。")
    board = await reports.public_board(svc, chosen)
    return render(request, "public.html", board=board, months=recent_months(now), period=chosen.label, error=None)
