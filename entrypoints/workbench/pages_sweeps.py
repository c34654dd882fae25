"""Sweeps on the desk (排查): the list and the start form for mediators and supervisors, one sweep with each
grid's state and escalation, and on the grid worker's phone the open sweep of their grid with 排查无纠纷 and a
form for the disputes found. Every rule is application/sweeps.py's and domain/sweeps.py's; this module reads
the forms and shows the answers."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from application import sweeps
from application.cases import Intake
from application.errors import Forbidden, InvalidInput, NotFound, Refused
from domain.events import Party
from domain.organisation import JurisdictionLevel
from domain.sweeps import LEVEL_NAMES, STATUS_NAMES, SWEEP_PERMISSIONS, StartSweep, SweepState
from domain.vocabulary import Channel, PartyRole, RiskLevel, Role
from entrypoints.workbench.actions import FormProblem
from entrypoints.workbench.messages import chinese, department_namer
from entrypoints.workbench.pages_grid import grid_page_with
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import PageError, WorkbenchRoute, csrf_checked, go, render, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
READERS = tuple(sweeps.READ_SWEEPS)
CASE_ROWS = 3  # disputes found, per report from the phone: empty rows are skipped
STATUS_TAGS = {"pending": "lvl-1", "overdue": "lvl-3", "reported": "green", "zero_report": "green"}


def _places(request: Request) -> list[tuple[str, str]]:
    """What a sweep covers: the district, its streets and communities (every grid under the one chosen)."""
    org = services(request).org
    return [(j.id, org.jurisdiction_name(j.id)) for j in org.jurisdictions if j.level is not JurisdictionLevel.grid]


def _refusal(request: Request, exc: Refused | Forbidden | InvalidInput | NotFound) -> str:
    return chinese(exc, department_namer(services(request).org))


def _summary(state: SweepState, now: datetime) -> dict[str, int]:
    statuses = [g.status(state.due_at, now) for g in state.grids]
    return {"grids": len(statuses), "reported": sum(s in ("reported", "zero_report") for s in statuses),
            "overdue": statuses.count("overdue"), "flagged": sum(g.escalation_level == 3 for g in state.grids)}


def _common(request: Request) -> dict[str, Any]:
    return {"status_names": STATUS_NAMES, "status_tags": STATUS_TAGS, "level_names": LEVEL_NAMES,
            "grid_name": services(request).org.jurisdiction_name}


async def _list_page(request: Request, who: Session, status: int = 200, **extra: Any) -> HTMLResponse:
    svc = services(request)
    listed = await sweeps.list_sweeps(svc, who.actor)
    now = svc.clock()
    values = extra.pop("values", {"request_id": secrets.token_hex(8), "due": "3wd"})
    return render(request, "sweeps.html", status=status, sweeps=[(s, _summary(s, now)) for s in listed],
                  starts=who.actor.role in SWEEP_PERMISSIONS[StartSweep], places=_places(request), values=values,
                  **_common(request), **extra)


@router.get("/sweeps", include_in_schema=False)
async def sweeps_page(request: Request, who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    return await _list_page(request, who)


def read_due(form: FormData, timezone: str) -> str:
    """The due of the start form: the date and time picked (local, the policy's timezone), else the duration."""
    picked = str(form.get("due_at") or "").strip()
    if picked:
        try:
            at = datetime.fromisoformat(picked).replace(tzinfo=ZoneInfo(timezone))
        except ValueError as exc:
            raise FormProblem("「截止时间」格式不对") from exc
        return at.isoformat()
    due = str(form.get("due") or "").strip()
    if not due:
        raise FormProblem("请填写「时限」或选择「截止时间」")
    return due


@router.post("/sweeps", include_in_schema=False)
async def start(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    if who.actor.role not in SWEEP_PERMISSIONS[StartSweep]:
        raise PageError(403, "无权访问", "只有调解员和督办人可以发起排查。")
    svc = services(request)
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    jurisdiction = str(form.get("jurisdiction") or "")
    note = str(form.get("note") or "").strip() or None
    try:
        if not jurisdiction:
            raise FormProblem("请选择「排查范围」")
        due = read_due(form, svc.policy.timezone)
    except FormProblem as exc:
        return await _list_page(request, who, 422, error=str(exc), values=values)
    request_id = str(form.get("request_id") or "")[:40]
    try:
        state = await sweeps.start_sweep(svc, who.actor, jurisdiction, due, note,
                                         f"wb:{who.actor.id}:{request_id}" if request_id else None)
    except (Refused, Forbidden, InvalidInput, NotFound) as exc:
        return await _list_page(request, who, 422, error=_refusal(request, exc), values=values)
    return go(f"/sweeps/{state.sweep_id}?done=发起排查")


@router.get("/sweeps/{sweep_id}", include_in_schema=False)
async def one(request: Request, sweep_id: str, who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    svc = services(request)
    try:
        state = await sweeps.get_sweep(svc, who.actor, sweep_id)
    except NotFound as exc:
        raise PageError(404, "没有这次排查", f"没有排查 {sweep_id[:100]}。") from exc
    now = svc.clock()
    return render(request, "sweep.html", sweep=state, summary=_summary(state, now), clock_now=now,
                  **_common(request))


# ------------------------------------------------------------------------------------- the grid worker's phone

def read_found(form: FormData, grid_id: str) -> list[sweeps.SweepCase]:
    """The disputes found, one per filled row (标题, 类别, 描述, 当事人); a half-filled row is named."""
    found = []
    for n in range(1, CASE_ROWS + 1):
        fields = {k: str(form.get(f"{k}_{n}") or "").strip()
                  for k in ("title", "category", "description", "party_name", "phone")}
        if not any(fields.values()):
            continue
        missing = [label for key, label in (("title", "事项名称"), ("category", "纠纷类型"), ("description", "经过"),
                                            ("party_name", "反映人")) if not fields[key]]
        if missing:
            raise FormProblem(f"第{n}件：请填写「{'」「'.join(missing)}」")
        party = Party(name=fields["party_name"][:200], role=PartyRole.applicant, phone=fields["phone"][:20] or None)
        found.append(sweeps.SweepCase(intake=Intake(
            title=fields["title"][:200], description=fields["description"][:4000], category=fields["category"],
            channel=Channel.grid_report, grid_id=grid_id, parties=(party,), risk_level=RiskLevel.low)))
    if not found:
        raise FormProblem("请至少填写一件排查发现的纠纷；没有发现的，请点「排查无纠纷」")
    return found


@router.post("/grid/sweeps/{sweep_id}", include_in_schema=False)
async def report(request: Request, sweep_id: str, who: Session = Depends(csrf_checked)) -> Response:
    if who.actor.role is not Role.grid_worker:
        raise PageError(403, "无权访问", "排查结果由本网格的网格员上报。")
    form = await request.form()
    grid = who.actor.jurisdiction or ""
    zero = form.get("zero") == "yes"
    try:
        found = [] if zero else read_found(form, grid)
    except FormProblem as exc:
        return await grid_page_with(request, who, sweep_error=(sweep_id, str(exc)),
                                    sweep_values={k: str(v) for k, v in form.items()})
    note = str(form.get("note") or "").strip()[:4000] or None
    request_id = str(form.get("request_id") or "")[:40]
    try:
        await sweeps.report(services(request), who.actor, sweep_id, grid, found, note,
                            f"wb:{who.actor.id}:{request_id}:{sweep_id[:100]}" if request_id else None)
    except (Refused, Forbidden, InvalidInput, NotFound) as exc:
        return await grid_page_with(request, who, sweep_error=(sweep_id, _refusal(request, exc)),
                                    sweep_values={k: str(v) for k, v in form.items()})
    return go("/grid?done=" + ("排查无纠纷" if zero else "排查上报") + f"#sweep-{sweep_id}")
