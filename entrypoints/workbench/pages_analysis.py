"""研判: the hotspots of a period against the period before, by street, community, grid or category, and the
grid × category heat table, server-rendered (cells shaded by count, no script). The figures are
domain/analysis.py's; this page only asks application/analysis.py and lays the answer out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from application import analysis, clusters, monthly
from application.errors import Forbidden, InvalidInput, NotFound, Refused
from domain.analysis import HotspotBy
from domain.figures import SHANGHAI
from domain.vocabulary import Role
from entrypoints.workbench import notifications
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import PageError, WorkbenchRoute, csrf_checked, go, render, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
READERS = (Role.supervisor, Role.leader, Role.auditor, Role.mediator)
BY_LABELS = {HotspotBy.street: "街道", HotspotBy.community: "社区", HotspotBy.grid: "网格", HotspotBy.category: "类别"}
BAD_PERIOD = "统计期有误：请填写月份（如 2026-11）、季度（如 2026-Q4）或年份（如 2026）。"


def recent_periods(today: datetime) -> list[str]:
    """The picker's offers: this month and the eleven before, this quarter and the one before, this year."""
    months, year, month = [], today.year, today.month
    for _ in range(12):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    quarter = (today.month - 1) // 3 + 1
    before = f"{today.year:04d}-Q{quarter - 1}" if quarter > 1 else f"{today.year - 1:04d}-Q4"
    return [*months, f"{today.year:04d}-Q{quarter}", before, f"{today.year:04d}", f"{today.year - 1:04d}"]


def shade(count: int, top: int) -> int:
    """A cell's shade in fifths of the largest cell (0 for none, 1..5): the CSS classes heat-0..heat-5."""
    return 0 if count <= 0 or top <= 0 else max(1, round(5 * count / top))


@router.get("/analysis", include_in_schema=False)
async def analysis_page(request: Request, period: str | None = None, by: str | None = None,
                        who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    return await _page(request, who, period, by)


async def open_alerts(request: Request, who: Session) -> list[Any]:
    """The open cluster alerts for those who read them (others: none, and no section)."""
    if who.actor.role not in clusters.READ_ALERTS:
        return []
    return await clusters.alerts(services(request), who.actor, "open")


async def _page(request: Request, who: Session, period: str | None, by: str | None, status: int = 200,
                **extra: Any) -> HTMLResponse:
    svc = services(request)
    today = datetime.now(SHANGHAI)
    chosen_text = (period or today.strftime("%Y-%m")).strip()[:20]
    context: dict[str, Any] = {"period": chosen_text, "by": by or HotspotBy.street.value, "by_labels": BY_LABELS,
               "periods": recent_periods(today), "unread": await notifications.unread(svc, who.actor),
               "monthly_link": monthly.may_read(who.actor),
               "alerts": await open_alerts(request, who), "reads_alerts": who.actor.role in clusters.READ_ALERTS,
               "can_close": who.actor.role in clusters.CLOSE_ALERTS, **extra}
    try:
        chosen, grouping = analysis.parse_period(chosen_text), analysis.parse_by(by)
    except InvalidInput as exc:
        error = BAD_PERIOD if exc.field == "period" else "统计维度有误：请选择街道、社区、网格或类别。"
        return render(request, "analysis.html", status=422, error=error, report=None, **context)
    try:
        report = await analysis.analysis(svc, who.actor, chosen, grouping)
    except Forbidden as exc:
        raise PageError(403, "无权访问", "研判只对调解员、督办人员、领导和审计人员开放。") from exc
    return render(request, "analysis.html", status=status, error=None, report=report, shade=shade,
                  span=f"{chosen.first.isoformat()} 至 {chosen.last.isoformat()}",
                  previous_span=f"{report.previous.first.isoformat()} 至 {report.previous.last.isoformat()}",
                  **context)


@router.post("/analysis/alerts/{alert_id}/close", include_in_schema=False)
async def close_alert(request: Request, alert_id: str, who: Session = Depends(csrf_checked)) -> Response:
    """A supervisor closes a cluster alert with a note saying what was done (研判处置)."""
    if who.actor.role not in clusters.CLOSE_ALERTS:
        raise PageError(403, "无权访问", "只有督办人员可以关闭聚集预警。")
    alert_id = alert_id[:200]
    note = str((await request.form()).get("note") or "")
    try:
        await clusters.close(services(request), who.actor, alert_id, note)
    except InvalidInput:
        message = "请填写「处置情况」" if not note.strip() else f"「处置情况」太长（最多 {clusters.NOTE_MAX} 字）"
        return await _page(request, who, None, None, 422, close_error=(alert_id, message), close_note=note[:2000])
    except NotFound as exc:
        raise PageError(404, "没有这个预警", f"没有编号为 {alert_id} 的聚集预警。") from exc
    except Refused:
        return await _page(request, who, None, None, 409, refused=f"预警 {alert_id} 已经关闭，无需再次关闭。")
    return go("/analysis?done=已关闭预警#alerts")
