"""网格上报: a grid worker's phone page. Report a dispute in their own grid (the intake fields, photos as
attachments), say it was settled on the spot (就地化解), and follow 我的上报 with each report's progress."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from application import sweeps
from application.attachments import MAX_BYTES, add_attachment, check_content
from application.cases import OnSpot
from application.errors import Forbidden, InvalidInput, Refused, TooLarge, UnsupportedType
from domain.sweeps import LEVEL_NAMES, SweepState
from domain.vocabulary import Channel, MediationMethod, Role
from entrypoints.workbench import labels
from entrypoints.workbench.actions import FormProblem
from entrypoints.workbench.messages import chinese, department_namer
from entrypoints.workbench.pages_case import read_intake
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import PageError, WorkbenchRoute, csrf_checked, go, render, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
PHOTO_TYPES = ("image/jpeg", "image/png")
MAX_PHOTOS = 6


def _grid_name(request: Request, grid_id: str | None) -> str:
    org = services(request).org
    if grid_id is None:
        return ""
    return " ".join(j.name for j in reversed(org.ancestors(grid_id)) if j.level.value != "district")


async def open_sweeps_of(request: Request, who: Session) -> list[SweepState]:
    """The sweeps (排查) of the grid worker's grid that still wait for their report, soonest due first."""
    mine = await sweeps.sweeps_of_my_grid(services(request), who.actor)
    grid = who.actor.jurisdiction or ""
    waiting = [s for s in mine if (g := s.grid(grid)) is not None and g.reported_at is None]
    return sorted(waiting, key=lambda s: s.due_at)


async def _page(request: Request, who: Session, values: dict[str, Any], **extra: Any) -> HTMLResponse:
    app = services(request)
    reports = await app.grid_reports(who.actor, 50)
    extra.setdefault("sweep_values", {"request_id": secrets.token_hex(8)})
    return render(request, "grid.html", values=values, grid_id=who.actor.jurisdiction,
                  grid_name=_grid_name(request, who.actor.jurisdiction), reports=reports,
                  open_sweeps=await open_sweeps_of(request, who), sweep_rows=range(1, 4), level_names=LEVEL_NAMES,
                  categories=[(c.id, c.name) for c in app.org.categories],
                  methods=[(m.value, labels.METHOD[m]) for m in MediationMethod], **extra)


def _fresh() -> dict[str, Any]:
    return {"risk_level": "low", "method": "people", "request_id": secrets.token_hex(8)}


@router.get("/grid", include_in_schema=False)
async def grid_page(request: Request, who: Session = Depends(role_in(Role.grid_worker))) -> HTMLResponse:
    return await _page(request, who, _fresh())


async def grid_page_with(request: Request, who: Session, **extra: Any) -> HTMLResponse:
    """The phone page again with what a sweep's form said (its error, its values), the intake form fresh."""
    return await _page(request, who, _fresh(), status=422, **extra)


def _on_spot(form: Any) -> OnSpot | None:
    if form.get("on_spot") != "yes":
        return None
    terms = str(form.get("terms") or "").strip()
    if not terms:
        raise FormProblem("就地化解请填写「协议内容」")
    if len(terms) > 4000:
        raise FormProblem("「协议内容」太长（最多4000字）")
    if form.get("agreement_reached") != "yes":
        raise FormProblem("当事人未达成一致的，不能就地化解：请取消「已就地化解」后上报，由社区分流办理")
    try:
        method = MediationMethod(str(form.get("method") or ""))
    except ValueError as exc:
        raise FormProblem("请选择「调解方式」") from exc
    return OnSpot(method=method, agreement_reached=True, terms=terms)


async def _photos(form: Any) -> list[tuple[str, str, bytes]]:
    uploads = [u for u in form.getlist("photos") if isinstance(u, UploadFile) and u.filename]
    if len(uploads) > MAX_PHOTOS:
        raise FormProblem(f"现场照片最多 {MAX_PHOTOS} 张")
    photos = []
    for upload in uploads:
        name = upload.filename or "照片"
        media_type = (upload.content_type or "").split(";")[0].strip().lower()
        if media_type not in PHOTO_TYPES:
            raise FormProblem("现场照片请上传 JPEG 或 PNG 格式")
        content = await upload.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            raise FormProblem(f"每张照片最大 {MAX_BYTES // (1024 * 1024)} MB")
        try:
            check_content(media_type, content)
        except (UnsupportedType, TooLarge, InvalidInput) as exc:
            raise FormProblem(f"照片「{name[:40]}」无法识别，请上传 JPEG 或 PNG 照片") from exc
        photos.append((name, media_type, content))
    return photos


@router.post("/grid", include_in_schema=False)
async def grid_report(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    if who.actor.role is not Role.grid_worker:
        raise PageError(403, "无权访问", "只有网格员可以网格上报。")
    app = services(request)
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        intake = read_intake(form, channel=Channel.grid_report, grid_id=who.actor.jurisdiction or "")
        on_spot = _on_spot(form)
        photos = await _photos(form)
        app.check_intake(intake)
    except FormProblem as exc:
        return await _page(request, who, values, error=str(exc))
    except InvalidInput:
        return await _page(request, who, values, error="请选择「类别」")
    request_id = str(form.get("request_id") or "")[:40]
    names = department_namer(app.org)
    try:
        received = await app.report(who.actor, intake, on_spot,
                                    f"wb:{who.actor.id}:{request_id}" if request_id else None)
    except (Refused, InvalidInput, Forbidden) as exc:
        return await _page(request, who, values, error=chinese(exc, names))
    for name, media_type, content in photos:
        try:
            await add_attachment(app, who.actor, received.case_id, name, media_type, content)
        except Refused:
            pass  # the same photo chosen twice: the case holds it once
    return go("/grid?done=" + ("就地化解" if on_spot else "网格上报") + f"#report-{received.case_id}")
