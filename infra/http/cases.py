"""Case routes: intake, every action of the lifecycle, and the case's own views (API.md §3)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from domain.case import CaseState
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    Command,
    ConveneMeeting,
    DecideExtension,
    DeclineCase,
    PauseClock,
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
from domain.decide import ActionRefused, NotPermitted, authorize
from domain.events import Party
from domain.organisation import InvalidRoute, JurisdictionLevel, UnknownId, validate_route
from domain.policy import pin_policy
from domain.vocabulary import Role, Stage
from infra.audit.masking import masked_party
from infra.audit.timeline import replay
from infra.http import schemas as s
from infra.http.context import Caller, Services, idempotent, load_case, require_visible, roles, services
from infra.http.problems import Problem
from infra.http.views import case_view, sees_personal_data, suggestion
from infra.read_models import find_duplicate, list_cases, party_fingerprint
from workers.client import CaseNotFound

router = APIRouter(prefix="/cases", tags=["cases"])
READERS = (Role.mediator, Role.supervisor, Role.auditor, Role.liaison)
Svc = Annotated[Services, Depends(services)]


async def perform(svc: Services, who: Caller, case_id: str, command: Command, update_id: str | None) -> tuple[int, Any]:
    """Send one action to the case workflow and answer once the read models show it (read-your-writes)."""
    state = await load_case(svc, case_id)
    task_id = getattr(command, "task_id", None)
    if task_id is not None and state.task(task_id) is None:
        raise Problem(404, f"case {case_id} has no task {task_id}")
    try:
        authorize(state, command, who.actor)
        result = await svc.cases.act(case_id, command, who.actor, update_id)
    except NotPermitted as exc:
        raise Problem(403, str(exc)) from exc
    except ActionRefused as exc:
        raise Problem(409, str(exc)) from exc
    except CaseNotFound as exc:
        raise Problem(404, f"no case {case_id}") from exc
    await svc.projector.catch_up()
    return 200, s.ActionDone(case_id=case_id, stage=Stage(result.stage), version=result.version,
                             events=result.events).model_dump(mode="json")


def _case_action(path: str, body_model: type[s.Body], allowed: tuple[Role, ...],
                 build: Callable[[Any], Command], summary: str) -> None:
    """Register POST /cases/{case_id}/<path>: role check, body validation, idempotency, the update."""

    async def endpoint(request: Request, case_id: str, body: body_model, svc: Svc,  # type: ignore[valid-type]
                       who: Caller = Depends(roles(*allowed))) -> JSONResponse:
        return await idempotent(request, who, body.model_dump(mode="json"),  # type: ignore[attr-defined]
                                lambda update_id: perform(svc, who, case_id, build(body), update_id))

    endpoint.__annotations__["body"] = body_model  # a local class: FastAPI cannot resolve it by name
    router.add_api_route(f"/{{case_id}}/{path}", endpoint, methods=["POST"], summary=summary,
                         response_model=s.ActionDone)


def _task_action(path: str, body_model: type[s.Body], allowed: tuple[Role, ...],
                 build: Callable[[Any, str], Command], summary: str) -> None:
    """Register POST /cases/{case_id}/tasks/{task_id}/<path>."""

    async def endpoint(request: Request, case_id: str, task_id: str, body: body_model,  # type: ignore[valid-type]
                       svc: Svc, who: Caller = Depends(roles(*allowed))) -> JSONResponse:
        return await idempotent(request, who, body.model_dump(mode="json"),  # type: ignore[attr-defined]
                                lambda update_id: perform(svc, who, case_id, build(body, task_id), update_id))

    endpoint.__annotations__["body"] = body_model
    router.add_api_route(f"/{{case_id}}/tasks/{{task_id}}/{path}", endpoint, methods=["POST"], summary=summary,
                         response_model=s.ActionDone)


M, L, S = (Role.mediator,), (Role.liaison,), (Role.supervisor,)
_case_action("not-accepted", s.NotAcceptedIn, M, lambda b: DeclineCase(reason=b.reason, reason_code=b.reason_code),
             "不予受理: not accepted")
_task_action("acknowledge", s.Empty, L, lambda b, t: AcknowledgeTask(task_id=t), "签收: acknowledge")
_task_action("return", s.Reason, L, lambda b, t: ReturnTask(task_id=t, reason=b.reason), "退回: back to triage")
_task_action("extension", s.ExtensionIn, L,
             lambda b, t: RequestExtension(task_id=t, extra=b.extra, reason=b.reason), "申请延期: ask for more time")
_task_action("extension/decision", s.ExtensionDecisionIn, S,
             lambda b, t: DecideExtension(task_id=t, approve=b.approve, note=b.note), "延期审批: decide")
_task_action("reply", s.ReplyIn, L, lambda b, t: ReplyTask(task_id=t, summary=b.summary), "答复: reply")
_case_action("clock/pause", s.Reason, S, lambda b: PauseClock(reason=b.reason), "中止: pause the clock")
_case_action("clock/resume", s.Reason, S, lambda b: ResumeClock(reason=b.reason), "恢复: resume the clock")
_case_action("mediations", s.MediationIn, M,
             lambda b: RecordMediation(method=b.method, agreement_reached=b.agreement_reached, terms=b.terms),
             "调解记录: record mediation")
_case_action("resolution", s.ResolutionIn, M,
             lambda b: SubmitResolution(outcome=b.outcome, summary=b.summary), "提交办结: submit the resolution")
_case_action("verification", s.VerificationIn, S,
             lambda b: VerifyResolution(accepted=b.accepted, note=b.note), "验收: verify the result")
_case_action("follow-up", s.FollowUpIn, M,
             lambda b: RecordFollowUp(satisfaction=b.satisfaction, note=b.note), "回访: follow up")
_case_action("archive", s.Empty, M, lambda b: ArchiveCase(), "归档: archive")


@router.post("/{case_id}/route", response_model=s.ActionDone, summary="分流: route to lead and co-departments")
async def route_case(request: Request, case_id: str, body: s.RouteIn, svc: Svc,
                     who: Caller = Depends(roles(Role.mediator))) -> JSONResponse:
    try:
        validate_route(svc.org, body.lead_department, body.co_departments)
    except (InvalidRoute, UnknownId) as exc:
        raise Problem(422, str(exc)) from exc
    state = await load_case(svc, case_id)
    suggested = suggestion(state, svc.org)
    escalate_to = svc.org.escalation_targets([body.lead_department, *body.co_departments])
    command = RouteCase(lead_department=body.lead_department, co_departments=tuple(body.co_departments),
                        note=body.note, escalate_to=escalate_to,
                        suggested_lead=suggested["lead_department"] if suggested else None)
    return await idempotent(request, who, body.model_dump(mode="json"),
                            lambda update_id: perform(svc, who, case_id, command, update_id))


@router.post("/{case_id}/meetings", response_model=s.ActionDone, summary="联席会议: convene a joint meeting")
async def convene_meeting(request: Request, case_id: str, body: s.MeetingIn, svc: Svc,
                          who: Caller = Depends(roles(Role.mediator))) -> JSONResponse:
    for department in body.departments:
        try:
            svc.org.department(department)
        except UnknownId as exc:
            raise Problem(422, f"departments: {exc}") from exc
    command = ConveneMeeting(at=body.at, departments=tuple(body.departments), agenda=body.agenda)
    return await idempotent(request, who, body.model_dump(mode="json"),
                            lambda update_id: perform(svc, who, case_id, command, update_id))


def _new_case_id(update_id: str | None) -> str:
    # With an Idempotency-Key the id is derived from it, so even a repeat after a lost answer names one case.
    day = datetime.now(UTC).strftime("%Y%m%d")
    if update_id is not None:
        return f"C-{day}-{hashlib.sha256(update_id.encode()).hexdigest()[:10]}"
    return f"C-{day}-{uuid.uuid4().hex[:10]}"


@router.post("", status_code=201, response_model=s.CaseCreated, summary="统一受理: register a case")
async def receive_case(request: Request, body: s.NewCase, svc: Svc,
                       who: Caller = Depends(roles(Role.mediator))) -> JSONResponse:
    try:
        svc.org.category(body.category)
        grid = svc.org.jurisdiction(body.grid_id)
    except UnknownId as exc:
        raise Problem(422, f"{'category' if exc.what == 'category' else 'grid_id'}: {exc}") from exc
    if grid.level is not JurisdictionLevel.grid:
        raise Problem(422, f"grid_id: {body.grid_id} is a {grid.level.value}, not a grid")
    parties = tuple(Party(name=p.name, role=p.role, phone=p.phone, id_number=p.id_number) for p in body.parties)

    async def run(update_id: str | None) -> tuple[int, Any]:
        case_id = _new_case_id(update_id)
        duplicate_of = await find_duplicate(svc.pool, party_fingerprint(body.category, body.grid_id, parties))
        command = ReceiveCase(
            title=body.title, description=body.description, category=body.category, channel=body.channel,
            grid_id=body.grid_id, risk_level=body.risk_level, parties=parties, duplicate_of=duplicate_of,
            policy=pin_policy(svc.policy, datetime.now(UTC)),
        )
        try:
            result = await svc.cases.receive(case_id, command, who.actor, update_id)
        except (ActionRefused, NotPermitted) as exc:
            raise Problem(409, str(exc)) from exc
        await svc.projector.catch_up()
        state = await load_case(svc, case_id)
        return 201, s.CaseCreated(case_id=case_id, stage=Stage(result.stage), duplicate_of=duplicate_of,
                                  suggested_route=suggestion(state, svc.org)).model_dump(mode="json")

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.get("", summary="cases, newest first, with cursor pagination")
async def cases_list(
    svc: Svc,
    who: Caller = Depends(roles(*READERS)),
    stage: Stage | None = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    if who.role is Role.liaison:
        if department not in (None, who.actor.department):
            raise Problem(403, f"a liaison sees only the cases of department {who.actor.department}")
        department = who.actor.department
    try:
        items, next_cursor = await list_cases(svc.pool, stage=stage, department=department, overdue=overdue,
                                              limit=limit, cursor=cursor)
    except ValueError as exc:
        raise Problem(400, f"cursor: {exc}") from exc
    return {"items": [i.model_dump(mode="json") for i in items], "next_cursor": next_cursor}


@router.get("/{case_id}", response_model=s.CaseView, summary="one case, as it stands now")
async def case_detail(case_id: str, svc: Svc, who: Caller = Depends(roles(*READERS))) -> s.CaseView:
    state = await load_case(svc, case_id)
    require_visible(state, who)
    return case_view(state, who, svc.org)


@router.get("/{case_id}/events", summary="the case's events in order, with their hash chain")
async def case_events(
    case_id: str, svc: Svc, who: Caller = Depends(roles(Role.mediator, Role.supervisor, Role.auditor))
) -> list[dict[str, Any]]:
    state = await load_case(svc, case_id)
    full = sees_personal_data(state, who)
    answer = []
    for e in await svc.store.read_stream(case_id):
        data = e.payload.model_dump(mode="json", exclude={"type"})
        if not full and "parties" in data:
            data["parties"] = [masked_party(p) for p in state.parties]
        answer.append({"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at.isoformat(),
                       "actor": e.actor.model_dump(mode="json"), "data": data, "schema_version": e.schema_version,
                       "event_id": str(e.event_id), "prev_hash": e.prev_hash, "hash": e.hash})
    return answer


@router.get("/{case_id}/replay", response_model=s.CaseView, summary="the case as it stood after event SEQ")
async def case_replay(case_id: str, svc: Svc, who: Caller = Depends(roles(Role.auditor, Role.supervisor)),
                      upto: Annotated[int | None, Query(ge=1)] = None) -> s.CaseView:
    events = await svc.store.read_stream(case_id, upto=upto)
    if not events:
        raise Problem(404, f"no case {case_id}")
    state: CaseState = replay(events, upto)[0]
    return case_view(state, who, svc.org)


@router.get("/{case_id}/verify", summary="verify the case's hash chain")
async def case_verify(case_id: str, svc: Svc, who: Caller = Depends(roles(Role.auditor))) -> dict[str, Any]:
    result = await svc.store.verify(case_id)
    if result.events == 0:
        raise Problem(404, f"no case {case_id}")
    return {"valid": result.valid, "events": result.events, "head_hash": result.head_hash,
            "first_bad_seq": result.first_bad_seq, "problem": result.problem}
