"""Sweeps (docs/api.md §8, 排查): start one over a jurisdiction, a grid worker's report, the reads. Wiring only:
the body is parsed and one use case of application/sweeps.py does the rest. Error answers are declared for every
route by entrypoints/http/openapi.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from application import schemas as s
from application import sweeps
from application.cases import Application, Intake, OnSpot
from domain.events import Party
from domain.sweeps import SWEEP_PERMISSIONS, NoticeRecord, ReportSweep, StartSweep, SweepState
from domain.vocabulary import Channel, RiskLevel
from entrypoints.http.context import Caller, idempotent, roles, services

router = APIRouter(prefix="/sweeps", tags=["sweeps"])
Svc = Annotated[Application, Depends(services)]
Short = Annotated[str, Field(min_length=1, max_length=200)]  # a path's id: looked up, never stored


class SweepIn(s.Body):
    jurisdiction: s.Id = Field(description="a street, community or district: every grid under it reports")
    due: s.Line = Field(description='a duration counted from now on the policy\'s calendar ("3wd", "2d", "8h") '
                                    'or an ISO 8601 time with an offset ("2026-12-10T17:00:00+08:00")')
    note: s.Text | None = None


class SweepCaseIn(s.Body):
    """A case found by the sweep: the intake fields of POST /cases; the grid and the channel are the report's."""

    title: s.Line
    description: s.Text
    category: s.Id
    channel: Channel = Channel.grid_report
    grid_id: s.Id | None = Field(default=None, description="when given, the grid reported for")
    risk_level: RiskLevel = RiskLevel.medium
    parties: list[s.PartyIn] = Field(min_length=1, max_length=20)
    on_spot: s.OnSpotIn | None = None


class SweepReportIn(s.Body):
    cases: list[SweepCaseIn] = Field(max_length=50, description="[] is the zero report (排查无纠纷)")
    note: s.Text | None = None


def view(state: SweepState, now: datetime) -> dict[str, Any]:
    return {
        "sweep_id": state.sweep_id, "jurisdiction": state.jurisdiction, "due": state.due_at.isoformat(),
        "due_as_asked": state.due, "started_at": state.started_at.isoformat(), "note": state.note,
        "open": state.open,
        "grids": [{"grid_id": g.grid_id, "reported_at": g.reported_at.isoformat() if g.reported_at else None,
                   "cases": list(g.cases), "note": g.note, "status": g.status(state.due_at, now),
                   "escalation_level": g.escalation_level} for g in state.grids],
        # 送达记录: each rung's message, who it went to and how each channel's delivery came out
        "notices": [{"notification_id": r.notice.notification_id, "grid_id": r.grid_id, "kind": r.notice.kind,
                     "level": r.notice.level, "text": r.notice.text, "recipients": list(r.notice.recipients),
                     "deferred_until": r.notice.deferred_until.isoformat() if r.notice.deferred_until else None,
                     "deliveries": [{"channel_id": t.channel_id, "channel": t.address, "department": t.department,
                                     "status": _delivery(r, t.channel_id)} for t in r.notice.targets]}
                    for r in state.notices],
    }


def _delivery(record: NoticeRecord, channel_id: str) -> str:
    if channel_id in record.delivered:
        return "delivered"
    if channel_id in record.failed:
        return "failed"
    return "deferred" if record.notice.deferred_until is not None else "pending"


def _case(body: SweepCaseIn, grid_id: str) -> sweeps.SweepCase:
    intake = Intake(title=body.title, description=body.description, category=body.category, channel=body.channel,
                    grid_id=body.grid_id or grid_id, risk_level=body.risk_level,
                    parties=tuple(Party(name=p.name, role=p.role, phone=p.phone, id_number=p.id_number)
                                  for p in body.parties))
    on_spot = None if body.on_spot is None else OnSpot(
        method=body.on_spot.method, agreement_reached=body.on_spot.agreement_reached, terms=body.on_spot.terms)
    return sweeps.SweepCase(intake=intake, on_spot=on_spot)


@router.post("", status_code=201, summary="排查: every grid under the jurisdiction reports by the due time")
async def start(request: Request, body: SweepIn, svc: Svc,
                who: Caller = Depends(roles(SWEEP_PERMISSIONS[StartSweep]))) -> JSONResponse:
    async def run(request_id: str | None) -> tuple[int, Any]:
        state = await sweeps.start_sweep(svc, who.actor, body.jurisdiction, body.due, body.note, request_id)
        return 201, view(state, svc.clock())

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{sweep_id}/grids/{grid_id}/report",
             summary="a grid's report: the cases found, each received as a case; [] is 排查无纠纷")
async def report(request: Request, sweep_id: Short, grid_id: Short, body: SweepReportIn, svc: Svc,
                 who: Caller = Depends(roles(SWEEP_PERMISSIONS[ReportSweep]))) -> JSONResponse:
    cases = [_case(c, grid_id) for c in body.cases]

    async def run(request_id: str | None) -> tuple[int, Any]:
        state, received = await sweeps.report(svc, who.actor, sweep_id, grid_id, cases, body.note, request_id)
        return 200, {"sweep_id": state.sweep_id, "grid_id": grid_id, "cases": list(received),
                     "sweep": view(state, svc.clock())}

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.get("", summary="the sweeps, latest first")
async def list_all(svc: Svc, who: Caller = Depends(roles(sweeps.READ_SWEEPS)),
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    now = svc.clock()
    return [view(x, now) for x in await sweeps.list_sweeps(svc, who.actor, limit)]


@router.get("/mine", summary="a grid worker's sweeps: those over their grid, latest first")
async def mine(svc: Svc, who: Caller = Depends(roles(SWEEP_PERMISSIONS[ReportSweep]))) -> list[dict[str, Any]]:
    now = svc.clock()
    return [view(x, now) for x in await sweeps.sweeps_of_my_grid(svc, who.actor)]


@router.get("/{sweep_id}", summary="one sweep: each grid's report, status and escalation level")
async def one(sweep_id: Short, svc: Svc, who: Caller = Depends(roles(sweeps.READ_SWEEPS))) -> dict[str, Any]:
    return view(await sweeps.get_sweep(svc, who.actor, sweep_id), svc.clock())


@router.get("/{sweep_id}/verify", summary="the sweep's hash chain recomputed: valid, events, head hash")
async def verify(sweep_id: Short, svc: Svc, who: Caller = Depends(roles(sweeps.VERIFY_SWEEPS))) -> dict[str, Any]:
    chain = await sweeps.verify(svc, who.actor, sweep_id)
    return {"valid": chain.valid, "events": chain.events, "head_hash": chain.head_hash,
            "first_bad_seq": chain.first_bad_seq}
