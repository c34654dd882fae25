"""Intake (统一受理), the case page with its actions, and the auditor's replay of a case."""

from __future__ import annotations

import io
import secrets
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from application import access, audit, owners, schemas, supervision
from application import documents as papers
from application.audit import export_case
from application.cases import Intake
from application.errors import Forbidden, InvalidInput, NotFound, Refused
from domain.case import CaseState
from domain.events import Party
from domain.organisation import JurisdictionLevel, UnknownId
from domain.vocabulary import Channel, PartyRole, RiskLevel, Role
from entrypoints.workbench import backend, labels
from entrypoints.workbench.actions import (
    ACTIONS,
    ADD_COMMITMENT,
    LIST_FIELDS,
    MAX_COMMITMENT_ROWS,
    PEOPLE_ACTIONS,
    FormProblem,
    build,
    chosen_person,
    commitment_rows,
    fields_of,
    reason_of,
    summons,
)
from entrypoints.workbench.messages import chinese, department_namer
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import (
    PageError,
    WorkbenchRoute,
    csrf_checked,
    go,
    render,
    role_in,
    safe_next,
    services,
    session,
)

router = APIRouter(route_class=WorkbenchRoute)


# ---------------------------------------------------------------------------------------------- intake

def _grids(request: Request) -> list[tuple[str, str]]:
    org = services(request).org
    grids = [j for j in org.jurisdictions if j.level is JurisdictionLevel.grid]
    return [(g.id, " ".join(a.name for a in reversed(org.ancestors(g.id)) if a.level is not JurisdictionLevel.district))
            for g in grids]


def _intake(request: Request, values: dict[str, Any], **extra: Any) -> HTMLResponse:
    org = services(request).org
    return render(request, "case_new.html", values=values, grids=_grids(request),
                  categories=[(c.id, c.name) for c in org.categories], **extra)


def read_intake(form: Any, *, channel: Channel | None = None, grid_id: str | None = None) -> Intake:
    """The intake form as a new case; FormProblem names the first field to correct. A grid worker's form
    (网格上报) has its channel and grid fixed by who reports: they are given here, not read from the form."""
    def text(name: str, label: str, limit: int, required: bool = True) -> str:
        value = str(form.get(name) or "").strip()
        if required and not value:
            raise FormProblem(f"请填写「{label}」")
        if len(value) > limit:
            raise FormProblem(f"「{label}」太长（最多{limit}字）")
        return value

    title, description = text("title", "标题", 200), text("description", "描述", 4000)
    name = text("party_name", "当事人姓名", 200)
    phone = text("phone", "电话", 20, required=False) or None
    id_number = text("id_number", "身份证号", 18, required=False) or None
    try:
        schemas.PartyIn(name=name, role=PartyRole.applicant, phone=phone, id_number=id_number)
    except ValueError as exc:
        field = "电话" if "phone" in str(exc) else "身份证号" if "id_number" in str(exc) else "当事人姓名"
        raise FormProblem(f"「{field}」格式不正确") from exc
    parties = [Party(name=name, role=PartyRole.applicant, phone=phone, id_number=id_number)]
    respondent = text("respondent", "被申请人", 200, required=False)
    if respondent:
        parties.append(Party(name=respondent, role=PartyRole.respondent))
    try:
        return Intake(title=title, description=description, category=str(form.get("category") or ""),
                      channel=channel or Channel(str(form.get("channel") or "")),
                      grid_id=grid_id if grid_id is not None else str(form.get("grid_id") or ""),
                      risk_level=RiskLevel(str(form.get("risk_level") or "medium")), parties=tuple(parties))
    except ValueError as exc:
        raise FormProblem("请选择「来源渠道」和「风险等级」") from exc


@router.get("/cases/new", include_in_schema=False)
async def new_case_page(request: Request, who: Session = Depends(role_in(Role.mediator))) -> HTMLResponse:
    return _intake(request, {"channel": "walk_in", "risk_level": "medium", "request_id": secrets.token_hex(8)})


@router.post("/cases/new", include_in_schema=False)
async def new_case(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    if who.actor.role is not Role.mediator:
        raise PageError(403, "无权访问", "只有调解员可以登记案件。")
    app = services(request)
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    try:
        intake = read_intake(form)
        app.check_intake(intake)
    except FormProblem as exc:
        return _intake(request, values, error=str(exc))
    except InvalidInput:
        return _intake(request, values, error="请选择「类别」和「网格」")
    duplicate = await app.duplicate_of(intake)
    # The duplicate warning comes before anything is saved: the mediator confirms or corrects.
    if duplicate is not None and form.get("confirm_duplicate") != duplicate:
        return _intake(request, values, duplicate=duplicate)
    # 重复来访: the same visitor came before (another matter, or the same one under another name); a warning
    # only, shown once before saving.
    repeat_of = await app.repeat_of(intake) if duplicate is None else []
    if repeat_of and form.get("confirm_repeat") != repeat_of[0]:
        return _intake(request, values, repeat_of=repeat_of)
    # The form's own id makes a double submit (or a reload of the POST) register one case.
    request_id = str(form.get("request_id") or "")[:40]
    try:
        received = await app.receive(who.actor, intake, f"wb:{who.actor.id}:{request_id}" if request_id else None)
    except (Refused, InvalidInput) as exc:
        return _intake(request, values, error=chinese(exc, department_namer(app.org)))
    return go(f"/cases/{received.case_id}?done=受理登记")


# ---------------------------------------------------------------------------------------------- the case

async def _readable(request: Request, case_id: str, who: Session) -> CaseState:
    try:
        state = await services(request).get_case(who.actor, case_id)
    except NotFound as exc:
        raise PageError(404, "没有这个案件", f"找不到案件 {case_id}。") from exc
    except Forbidden:
        state = None
    if state is None or not backend.may_read(state, who.actor):
        message = ("您的部门在此案件上没有任务，不能查看。" if who.actor.role is Role.liaison
                   else "此案件不在您的网格，网格员只能查看本网格的案件。" if who.actor.role is Role.grid_worker
                   else "此案件不是您包案的案件，领导只能查看本人包案的案件。" if who.actor.role is Role.leader
                   else f"{labels.ROLE[who.actor.role]}不能查看案件。")
        raise PageError(403, "无权访问", message)
    return state


@router.get("/cases/{case_id}", include_in_schema=False)
async def case_page(request: Request, case_id: str, who: Session = Depends(session)) -> HTMLResponse:
    app = services(request)
    state = await _readable(request, case_id, who)
    available = app.available_actions(state, who.actor)
    case_actions = [(ACTIONS[a.kind], a.ref) for a in available if a.task_id is None and a.kind in ACTIONS
                    and (a.kind != "hand_up" or app.centre_elsewhere(who.actor, state) is None)]  # 上交: own centre's
    task_actions: dict[str, list[Any]] = {}
    for a in available:
        if a.task_id is not None and a.kind in ACTIONS:
            task_actions.setdefault(a.task_id, []).append(ACTIONS[a.kind])
    people = await owners.case_names(app, state)  # 责任人 and 包案领导 by name (the events hold their ids)
    # Read after the access check above; masked as the parties are for this person.
    timeline = backend.history(await app.store.read_stream(case_id), app.org,
                               masked=not access.sees_personal_data(state, who.actor), people=people)
    issuable = [(kind.value, labels.PAPER_BUTTON[kind]) for kind in papers.available_papers(app, state, who.actor)]
    return render(request, "case.html", case=state, parties=backend.parties(state, who.actor),
                  papers=issuable, reads_papers=who.actor.role in papers.READ_DOCUMENTS,
                  signed=[document_id for _, document_id in state.signed_agreements],
                  files_signed=papers.may_file_signed_agreement(app, state, who.actor),
                  masked=not access.sees_personal_data(state, who.actor), case_actions=case_actions,
                  task_actions=task_actions,
                  timeline=list(reversed(timeline)), suggestion=backend.suggestion(app, state), people=people,
                  category=_category(request, state.category),
                  grid=dict(_grids(request)).get(state.grid_id, state.grid_id))


def _category(request: Request, category: str) -> str:
    try:
        return services(request).org.category(category).name
    except UnknownId:
        return category


async def people_choices(request: Request, state: CaseState, kind: str, task_id: str | None) -> list[tuple[str, str]]:
    """The people a form offers (user id, name): the task's department's people for its 责任人 (the current one
    left out), the active leaders for 包案 and listing."""
    svc = services(request)
    if kind == "name_assignee":
        task = state.task(task_id) if task_id else None
        if task is None:
            return []
        return [(u.id, u.name) for u in await owners.department_people(svc, task.department) if u.id != task.assignee]
    if kind in ("assign_leader", "list"):
        current = state.leader.user if state.leader else None
        return [(u.id, u.name) for u in await owners.leaders(svc) if u.id != current or kind == "list"]
    return []


def _action_page(request: Request, state: Any, kind: str, task_id: str | None, ref: str | None,
                 status: int = 200, people: list[tuple[str, str]] | None = None, **extra: Any) -> HTMLResponse:
    svc = services(request)
    action = ACTIONS.get(kind)
    if action is None:
        raise PageError(404, "没有这个操作", f"没有操作「{kind}」。")
    task = state.task(task_id) if task_id else None
    if action.on_task and task is None:
        raise PageError(404, "没有这个任务", "请从案件页面或待办列表选择任务。")
    if action.on_ref and not ref:
        raise PageError(404, "没有选择对象", "请从案件页面选择要办理的吹哨、会议或承诺。")
    involved = [t.department for t in state.tasks if t.status.value not in ("returned", "cancelled")]
    fields = fields_of(action, svc.org, backend.suggestion(svc, state), involved, state.grid_id, state.returned_by,
                       state.handling_level, people or ())
    if kind in ("name_assignee", "assign_leader") and not people and "refused" not in extra:
        whom = "本单位的其他人员" if kind == "name_assignee" else "「领导」角色的人员"
        extra["refused"] = f"没有可选的人员：请先由管理员添加{whom}。"
    values = extra.pop("values", {})
    rows = commitment_rows(values, more=extra.pop("add_row", False))
    return render(request, "action.html", status=status, case=state, action=action, task=task, ref=ref,
                  fields=fields, values=values, commitments=rows, max_rows=MAX_COMMITMENT_ROWS, add_row=ADD_COMMITMENT,
                  next=safe_next(extra.pop("next", None), f"/cases/{state.case_id}"),
                  **extra)


@router.get("/cases/{case_id}/act/{kind}", include_in_schema=False)
async def action_form(request: Request, case_id: str, kind: str, task: str | None = None, ref: str | None = None,
                      next: str | None = None, who: Session = Depends(session)) -> HTMLResponse:
    state = await _readable(request, case_id, who)
    people = await people_choices(request, state, kind, task) if kind in PEOPLE_ACTIONS else None
    return _action_page(request, state, kind, task, ref, next=next, people=people)


@router.post("/cases/{case_id}/act/{kind}", include_in_schema=False)
async def take_action(request: Request, case_id: str, kind: str, task: str | None = None, ref: str | None = None,
                      who: Session = Depends(csrf_checked)) -> Response:
    svc = services(request)
    state = await _readable(request, case_id, who)
    action = ACTIONS.get(kind)
    if action is None:
        raise PageError(404, "没有这个操作", f"没有操作「{kind}」。")
    form = await request.form()
    values: dict[str, Any] = {k: form.getlist(k) if k in LIST_FIELDS else str(v) for k, v in form.items()}
    back = safe_next(str(form.get("next") or ""), f"/cases/{case_id}")
    people = await people_choices(request, state, kind, task) if kind in PEOPLE_ACTIONS else None
    if kind == "meeting_minutes" and form.get(ADD_COMMITMENT):  # one more commitment row; nothing is recorded
        return _action_page(request, state, kind, task, ref, values=values, next=back, add_row=True)
    try:
        if kind == "route":
            lead = str(form.get("lead_department") or "")
            if not lead:
                raise FormProblem("请选择「牵头单位」")
            co = [str(d) for d in form.getlist("co_departments") if str(d) != lead]
            note = str(form.get("note") or "").strip() or None
            await svc.route(who.actor, case_id, lead, co, note)
        elif kind == "summon":
            departments, reason, within = summons(values)
            await supervision.summon(svc, who.actor, case_id, departments, reason, within)
        elif kind == "name_assignee":
            user = chosen_person(values, "user", "责任人", people or [])
            await owners.name_assignee(svc, who.actor, case_id, task or "", user)
        elif kind == "assign_leader":
            user = chosen_person(values, "user", "包案领导", people or [])
            await owners.assign_leader(svc, who.actor, case_id, user, reason_of(values))
        elif kind == "list" and people:
            leader = chosen_person(values, "leader", "包案领导", people)
            await owners.list_case(svc, who.actor, case_id, leader, reason_of(values))
        else:
            await svc.act(who.actor, case_id, build(action, values, ref if action.on_ref else task))
    except FormProblem as exc:
        return _action_page(request, state, kind, task, ref, status=422, error=str(exc), values=values, next=back,
                            people=people)
    except (Refused, Forbidden, InvalidInput) as exc:
        # The domain's own reason, in Chinese: the person sees why, and nothing was recorded.
        reason = chinese(exc, department_namer(svc.org))
        return _action_page(request, state, kind, task, ref, status=409, refused=reason, values=values, next=back,
                            people=people)
    joiner = "&" if "?" in back else "?"
    return go(f"{back}{joiner}done={action.button}")


# ---------------------------------------------------------------------------------------------- audit

@router.get("/cases/{case_id}/timeline", include_in_schema=False)
async def timeline_page(request: Request, case_id: str, upto: Annotated[int | None, Query(ge=1)] = None,
                        who: Session = Depends(role_in(Role.auditor, Role.supervisor))) -> HTMLResponse:
    app = services(request)
    try:
        replayed = await audit.replay_case(app.pool, who.actor, case_id, upto)
    except NotFound as exc:
        raise PageError(404, "没有这个案件", f"找不到案件 {case_id}。") from exc
    state = replayed.state
    entries = [backend.Step(e.seq, e.occurred_at, e.actor_label, e.description, e.event_type)
               for e in replayed.entries]
    verification = await app.verify(who.actor, case_id) if who.actor.role is Role.auditor else None
    seal = await audit.seal_covering(app.pool, who.actor, case_id) if who.actor.role is Role.auditor else None
    return render(request, "timeline.html", case=state, entries=entries, upto=state.version,
                  last=replayed.steps[-1][0], parties=backend.parties(state, who.actor), verification=verification,
                  seal=seal, category=replayed.org.category_name(state.category), steps=replayed.steps)


@router.get("/cases/{case_id}/dossier.zip", include_in_schema=False)
async def dossier(request: Request, case_id: str, who: Session = Depends(role_in(Role.auditor))) -> Response:
    svc = services(request)
    if not await svc.case_exists(case_id):
        raise PageError(404, "没有这个案件", f"找不到案件 {case_id}。")
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        folder = await export_case(svc.pool, case_id, Path(tmp), who.actor)  # recorded in the access log
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):  # the attachments and papers in their folders too
                if path.is_file():
                    archive.write(path, f"{case_id}/{path.relative_to(folder).as_posix()}")
    buffer.seek(0)
    return StreamingResponse(buffer, media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{case_id}-dossier.zip"'})


__all__ = ["labels", "router"]
