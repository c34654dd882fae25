"""Supervision as practised (docs/api.md §3): return decisions, summonses and reports, meeting minutes
and commitments, listing by hand and its lift, risk re-grades and the judgement of a dissatisfied follow-up.

Wiring only, like entrypoints/http/cases.py: the caller's role is checked early from the domain's table
(``roles_for``), the body is parsed, and one use case of the application layer does the rest."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from application import owners, supervision
from application import schemas as s
from application.cases import Application
from domain.commands import (
    Command,
    DecideReturn,
    FulfilCommitment,
    JudgeComplaint,
    LiftListing,
    ListCase,
    RecordMeetingMinutes,
    RegradeRisk,
    ReportToSummons,
    SummonDepartments,
)
from domain.decide import roles_for
from entrypoints.http.cases import _done, perform
from entrypoints.http.context import Caller, idempotent, roles, services
from entrypoints.http.views import promises

router = APIRouter(prefix="/cases", tags=["supervision"])
Svc = Annotated[Application, Depends(services)]


def _action(path: str, body_model: type[s.Body], command_type: type,
            build: Callable[[Any, dict[str, str]], Command], summary: str) -> None:
    """Register POST /cases/{case_id}/<path>; ``build`` gets the body and the path's other ids."""

    async def endpoint(request: Request, case_id: str, body: body_model, svc: Svc,  # type: ignore[valid-type]
                       who: Caller = Depends(roles(roles_for(command_type)))) -> JSONResponse:
        ids = {k: v for k, v in request.path_params.items() if k != "case_id"}
        return await idempotent(request, who, body.model_dump(mode="json"),  # type: ignore[attr-defined]
                                lambda update_id: perform(svc, who, case_id, build(body, ids), update_id))

    endpoint.__annotations__["body"] = body_model  # a local class: FastAPI cannot resolve it by name
    router.add_api_route(f"/{{case_id}}/{path}", endpoint, methods=["POST"], summary=summary,
                         response_model=s.ActionDone,
                         dependencies=[Depends(_path_id(n)) for n in re.findall(r"{(\w+)}", path)])


def _path_id(name: str) -> Callable[..., Awaitable[None]]:
    """A dependency whose one parameter is the path id ``name``: it makes the OpenAPI declare that path
    parameter (the endpoint itself reads the ids from the request, so one endpoint serves every path)."""

    async def declares(**_: str) -> None:
        return None

    declares.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, Path(max_length=200)])])
    return declares


_action("tasks/{task_id}/return/decision", s.ReturnDecisionIn, DecideReturn,
        lambda b, ids: DecideReturn(task_id=ids["task_id"], approve=b.approve, note=b.note),
        "退回审核: approve a return, or refuse it (强制派单)")
_action("summons/{summons_id}/report", s.NoteIn, ReportToSummons,
        lambda b, ids: ReportToSummons(summons_id=ids["summons_id"], note=b.note), "报到: report to a summons")
_action("meetings/{meeting_id}/minutes", s.MinutesIn, RecordMeetingMinutes,
        lambda b, ids: RecordMeetingMinutes(meeting_id=ids["meeting_id"], attended=tuple(b.attended),
                                            commitments=promises(b.commitments)),
        "会议纪要: who attended and what each department took on")
_action("commitments/{commitment_id}/fulfil", s.NoteIn, FulfilCommitment,
        lambda b, ids: FulfilCommitment(commitment_id=ids["commitment_id"], note=b.note),
        "履行承诺: a meeting commitment is fulfilled")
_action("listing/lift", s.Reason, LiftListing, lambda b, ids: LiftListing(reason=b.reason), "摘牌: lift the listing")
_action("risk", s.RiskIn, RegradeRisk, lambda b, ids: RegradeRisk(risk_level=b.risk_level, reason=b.reason),
        "风险调整: re-grade the risk (critical alerts at once)")
_action("follow-up/judgement", s.JudgementIn, JudgeComplaint,
        lambda b, ids: JudgeComplaint(reasonable=b.reasonable, reason=b.reason),
        "不满意认定: a dissatisfied follow-up is reasonable (reopen) or not (archive)")


@router.post("/{case_id}/listing", response_model=s.ActionDone,
             summary="挂牌督办: list the case by hand under a leader (领导包案): a leader user's id, or free text")
async def list_case(request: Request, case_id: str, body: s.ListingIn, svc: Svc,
                    who: Caller = Depends(roles(roles_for(ListCase)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await owners.list_case(svc, who.actor, case_id, body.leader, body.reason, update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{case_id}/summons", response_model=s.ActionDone, summary="吹哨: summon departments to report")
async def summon(request: Request, case_id: str, body: s.SummonsIn, svc: Svc,
                 who: Caller = Depends(roles(roles_for(SummonDepartments)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await supervision.summon(svc, who.actor, case_id, body.departments, body.reason,
                                              body.report_within, update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)
