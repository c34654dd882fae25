"""Case routes: intake, every action of the lifecycle, and the case's own views (docs/api.md §3).

Wiring only: each route checks the caller's role early (before the body is read, from the domain's table or
the application's read rules), parses the body, and calls one use case of ``application.cases``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from application import access, owners
from application import schemas as s
from application.cases import Application, Done, Intake, OnSpot
from application.errors import InvalidInput
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    AssignLeader,
    Command,
    ConveneMeeting,
    DecideExtension,
    DeclineCase,
    HandUp,
    NameAssignee,
    PauseClock,
    RateTask,
    ReceiveCase,
    RecordFollowUp,
    RecordMediation,
    ReplyTask,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    VerifyResolution,
)
from domain.decide import roles_for
from domain.events import Party
from domain.vocabulary import Stage
from entrypoints.http.context import Caller, idempotent, roles, services
from entrypoints.http.problems import Problem
from entrypoints.http.views import case_view, promises, suggestion_view

router = APIRouter(prefix="/cases", tags=["cases"])
Svc = Annotated[Application, Depends(services)]


def _done(done: Done) -> tuple[int, Any]:
    return 200, s.ActionDone(case_id=done.case_id, stage=done.stage, version=done.version,
                             events=done.events).model_dump(mode="json")


async def perform(svc: Application, who: Caller, case_id: str, command: Command,
                  update_id: str | None) -> tuple[int, Any]:
    """One action, answered once the read models show it (read-your-writes)."""
    return _done(await svc.act(who.actor, case_id, command, update_id))


def _case_action(path: str, body_model: type[s.Body], command_type: type,
                 build: Callable[[Any], Command], summary: str) -> None:
    """Register POST /cases/{case_id}/<path>: role check, body validation, idempotency, the update."""

    async def endpoint(request: Request, case_id: str, body: body_model, svc: Svc,  # type: ignore[valid-type]
                       who: Caller = Depends(roles(roles_for(command_type)))) -> JSONResponse:
        return await idempotent(request, who, body.model_dump(mode="json"),  # type: ignore[attr-defined]
                                lambda update_id: perform(svc, who, case_id, build(body), update_id))

    endpoint.__annotations__["body"] = body_model  # a local class: FastAPI cannot resolve it by name
    router.add_api_route(f"/{{case_id}}/{path}", endpoint, methods=["POST"], summary=summary,
                         response_model=s.ActionDone)


def _task_action(path: str, body_model: type[s.Body], command_type: type,
                 build: Callable[[Any, str], Command], summary: str) -> None:
    """Register POST /cases/{case_id}/tasks/{task_id}/<path>."""

    async def endpoint(request: Request, case_id: str, task_id: str, body: body_model,  # type: ignore[valid-type]
                       svc: Svc, who: Caller = Depends(roles(roles_for(command_type)))) -> JSONResponse:
        return await idempotent(request, who, body.model_dump(mode="json"),  # type: ignore[attr-defined]
                                lambda update_id: perform(svc, who, case_id, build(body, task_id), update_id))

    endpoint.__annotations__["body"] = body_model
    router.add_api_route(f"/{{case_id}}/tasks/{{task_id}}/{path}", endpoint, methods=["POST"], summary=summary,
                         response_model=s.ActionDone)


_case_action("not-accepted", s.NotAcceptedIn, DeclineCase,
             lambda b: DeclineCase(reason=b.reason, reason_code=b.reason_code), "不予受理: not accepted")
_task_action("acknowledge", s.Empty, AcknowledgeTask, lambda b, t: AcknowledgeTask(task_id=t), "签收: acknowledge")
_task_action("return", s.Reason, ReturnTask,
             lambda b, t: ReturnTask(task_id=t, reason=b.reason),
             "退回: ask to return (reviewed by a supervisor unless returns.review is none)")
_task_action("extension", s.ExtensionIn, RequestExtension,
             lambda b, t: RequestExtension(task_id=t, extra=b.extra, reason=b.reason), "申请延期: ask for more time")
_task_action("extension/decision", s.ExtensionDecisionIn, DecideExtension,
             lambda b, t: DecideExtension(task_id=t, approve=b.approve, note=b.note), "延期审批: decide")
_task_action("reply", s.ReplyIn, ReplyTask, lambda b, t: ReplyTask(task_id=t, summary=b.summary), "答复: reply")
_task_action("rating", s.RatingIn, RateTask, lambda b, t: RateTask(task_id=t, grade=b.grade, note=b.note),
             "评定: grade a department's handling of its replied task")
_case_action("clock/pause", s.Reason, PauseClock, lambda b: PauseClock(reason=b.reason), "中止: pause the clock")
_case_action("clock/resume", s.Reason, ResumeClock, lambda b: ResumeClock(reason=b.reason), "恢复: resume the clock")
_case_action("mediations", s.MediationIn, RecordMediation,
             lambda b: RecordMediation(method=b.method, agreement_reached=b.agreement_reached, terms=b.terms,
                                       disputes=b.disputes, performance_method=b.performance_method,
                                       performance_due=b.performance_due),
             "调解记录: record mediation")
_case_action("resolution", s.ResolutionIn, SubmitResolution,
             lambda b: SubmitResolution(outcome=b.outcome, summary=b.summary), "提交办结: submit the resolution")
_case_action("verification", s.VerificationIn, VerifyResolution,
             lambda b: VerifyResolution(accepted=b.accepted, note=b.note), "验收: verify the result")
_case_action("follow-up", s.FollowUpIn, RecordFollowUp,
             lambda b: RecordFollowUp(satisfaction=b.satisfaction, note=b.note), "回访: follow up")
_case_action("archive", s.Empty, ArchiveCase, lambda b: ArchiveCase(), "归档: archive")
_case_action("hand-up", s.HandUpIn, HandUp, lambda b: HandUp(reason=b.reason, from_level=b.from_level),
             "上交: hand the case up one level; that level's centre is notified")


@router.post("/{case_id}/tasks/{task_id}/assignee", response_model=s.ActionDone,
             summary="责任人: name who of the task's department handles it")
async def name_assignee(request: Request, case_id: str, task_id: str, body: s.AssigneeIn, svc: Svc,
                        who: Caller = Depends(roles(roles_for(NameAssignee)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await owners.name_assignee(svc, who.actor, case_id, task_id, body.user, update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{case_id}/leader", response_model=s.ActionDone,
             summary="包案: put a leader user in charge of the case (the leader is told)")
async def assign_leader(request: Request, case_id: str, body: s.LeaderIn, svc: Svc,
                        who: Caller = Depends(roles(roles_for(AssignLeader)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await owners.assign_leader(svc, who.actor, case_id, body.user, body.reason, update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{case_id}/route", response_model=s.ActionDone, summary="分流: route to lead and co-departments")
async def route_case(request: Request, case_id: str, body: s.RouteIn, svc: Svc,
                     who: Caller = Depends(roles(roles_for(RouteCase)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await svc.route(who.actor, case_id, body.lead_department, body.co_departments, body.note,
                                     update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{case_id}/meetings", response_model=s.ActionDone, summary="联席会议: convene a joint meeting")
async def convene_meeting(request: Request, case_id: str, body: s.MeetingIn, svc: Svc,
                          who: Caller = Depends(roles(roles_for(ConveneMeeting)))) -> JSONResponse:
    command = ConveneMeeting(at=body.at, departments=tuple(body.departments), agenda=body.agenda,
                             attended=tuple(body.attended), commitments=promises(body.commitments))
    return await idempotent(request, who, body.model_dump(mode="json"),
                            lambda update_id: perform(svc, who, case_id, command, update_id))


@router.post("", status_code=201, response_model=s.CaseCreated, summary="统一受理: register a case")
async def receive_case(request: Request, body: s.NewCase, svc: Svc,
                       who: Caller = Depends(roles(roles_for(ReceiveCase)))) -> JSONResponse:
    intake = Intake(
        title=body.title, description=body.description, category=body.category, channel=body.channel,
        grid_id=body.grid_id, risk_level=body.risk_level,
        parties=tuple(Party(name=p.name, role=p.role, phone=p.phone, id_number=p.id_number) for p in body.parties),
    )

    on_spot = None if body.on_spot is None else OnSpot(
        method=body.on_spot.method, agreement_reached=body.on_spot.agreement_reached, terms=body.on_spot.terms)

    async def run(update_id: str | None) -> tuple[int, Any]:
        received = await svc.report(who.actor, intake, on_spot, update_id)
        return 201, s.CaseCreated(case_id=received.case_id, stage=received.stage, duplicate_of=received.duplicate_of,
                                  suggested_route=suggestion_view(received.suggested_route),
                                  repeat_of=list(received.repeat_of),
                                  cluster_alert=received.cluster_alert).model_dump(mode="json")

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.get("", summary="cases, newest first, with cursor pagination")
async def cases_list(
    svc: Svc,
    who: Caller = Depends(roles(access.READ_CASES)),
    stage: Stage | None = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=120, pattern=s.CURSOR_PATTERN,
                                        description="the next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    try:
        items, next_cursor = await svc.list_cases(who.actor, stage=stage, department=department, overdue=overdue,
                                                  limit=limit, cursor=cursor)
    except InvalidInput as exc:
        raise Problem(400, exc.message) from exc  # only the cursor can be bad here: a malformed request
    return {"items": [i.model_dump(mode="json") for i in items], "next_cursor": next_cursor}


@router.get("/{case_id}", response_model=s.CaseView, summary="one case, as it stands now")
async def case_detail(case_id: str, svc: Svc, who: Caller = Depends(roles(access.READ_CASE))) -> s.CaseView:
    state = await svc.get_case(who.actor, case_id)
    return case_view(state, who.actor, svc, await owners.case_names(svc, state))


@router.get("/{case_id}/events", summary="the case's events in order, with their hash chain")
async def case_events(case_id: str, svc: Svc, who: Caller = Depends(roles(access.READ_EVENTS))
                      ) -> list[dict[str, Any]]:
    return await svc.events(who.actor, case_id)


@router.get("/{case_id}/replay", response_model=s.CaseView, summary="the case as it stood after event SEQ")
async def case_replay(case_id: str, svc: Svc, who: Caller = Depends(roles(access.REPLAY)),
                      upto: Annotated[int | None, Query(ge=1)] = None) -> s.CaseView:
    state = await svc.replay(who.actor, case_id, upto)
    return case_view(state, who.actor, svc, await owners.case_names(svc, state))


@router.get("/{case_id}/verify", summary="verify the case's hash chain")
async def case_verify(case_id: str, svc: Svc, who: Caller = Depends(roles(access.VERIFY))) -> dict[str, Any]:
    result = await svc.verify(who.actor, case_id)
    return {"valid": result.valid, "events": result.events, "head_hash": result.head_hash,
            "first_bad_seq": result.first_bad_seq, "problem": result.problem}
