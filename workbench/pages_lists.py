"""The list pages: the mediator's desk, the liaison's inbox, the supervision board, notifications and the
auditor's case list. The inbox and the board refresh themselves (htmx polls the page and swaps its live
part), so a phone left open on the inbox shows a new task within seconds."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from application import supervision
from domain.organisation import UnknownId
from domain.vocabulary import Role, Stage
from infra.read_models import InboxItem
from workbench import backend, notifications, queries
from workbench.actions import ACTIONS, route_choices
from workbench.session import Session
from workbench.web import PageError, WorkbenchRoute, csrf_checked, go, render, role_in, safe_next, services

router = APIRouter(route_class=WorkbenchRoute)
POLL_SECONDS = 5


@router.get("/desk", include_in_schema=False)
async def desk(request: Request, who: Session = Depends(role_in(Role.mediator))) -> HTMLResponse:
    svc = services(request)
    triage, _ = await svc.list_cases(who.actor, stage=Stage.triage, limit=50)
    queue = []
    for summary in triage:
        state = await svc.get_case(who.actor, summary.case_id)
        queue.append((summary, backend.suggestion(svc, state), state.returned_by,
                      route_choices(svc.org, state.grid_id, state.returned_by)))
    by_stage = {}
    for stage in (Stage.coordination, Stage.supervision, Stage.archived):
        by_stage[stage], _ = await svc.list_cases(who.actor, stage=stage, limit=30)
    return render(request, "desk.html", queue=queue, by_stage=by_stage, poll=POLL_SECONDS,
                  categories={c.id: c.name for c in svc.org.categories},
                  unread=await notifications.unread(svc, who.actor))


def _urgency(item: InboxItem) -> tuple[int, float]:
    """Most urgent first: highest escalation level, then the soonest (or longest overdue) due time."""
    due = item.due_at.timestamp() if item.due_at else float("inf")
    return (-item.escalation_level if item.open_clock else 1, due)


@router.get("/inbox", include_in_schema=False)
async def inbox(request: Request, department: str | None = None,
                who: Session = Depends(role_in(Role.liaison, Role.mediator, Role.supervisor))) -> HTMLResponse:
    svc = services(request)
    if who.actor.role is Role.liaison:
        department = who.actor.department
    if not department:
        raise PageError(400, "请选择部门", "请在地址中指定部门，例如 /inbox?department=dept-donghu-labour。")
    try:
        name = svc.org.department(department).name
    except UnknownId as exc:
        raise PageError(404, "没有这个部门", f"没有部门 {department}。") from exc
    items = await svc.inbox(who.actor, department, limit=100)
    open_items = sorted((i for i in items if i.open_clock), key=_urgency)
    done = [i for i in items if not i.open_clock][:20]
    actions = {}
    for item in open_items:
        state = await svc.get_case(who.actor, item.case_id)
        actions[item.task_id] = [a.kind for a in svc.available_actions(state, who.actor)
                                 if a.task_id == item.task_id and a.kind in ACTIONS]
    return render(request, "inbox.html", department=department, department_name=name, open_items=open_items,
                  done_items=done, actions=actions, action_forms=ACTIONS, poll=POLL_SECONDS,
                  unread=await notifications.unread(svc, who.actor))


@router.get("/board", include_in_schema=False)
async def board(request: Request,
                who: Session = Depends(role_in(Role.supervisor, Role.mediator, Role.auditor))) -> HTMLResponse:
    svc = services(request)
    stats = [s for s in await svc.statistics(who.actor) if s.tasks_assigned]
    return render(request, "board.html", escalations=await svc.board(who.actor, limit=100),
                  extras=await supervision.board_extras(svc, who.actor),
                  to_verify=await queries.verification_queue(svc.pool),
                  listed=await queries.listed_cases(svc.pool), stats=stats, poll=POLL_SECONDS,
                  unread=await notifications.unread(svc, who.actor))


@router.get("/notifications", include_in_schema=False)
async def notifications_page(request: Request, who: Session = Depends(role_in(
        Role.mediator, Role.liaison, Role.supervisor, Role.auditor, Role.admin))) -> HTMLResponse:
    items, unread = await notifications.for_actor(services(request), who.actor)
    return render(request, "notifications.html", items=items, unread=unread)


@router.post("/notifications/{notification_id}/read", include_in_schema=False)
async def read_notification(request: Request, notification_id: str, who: Session = Depends(csrf_checked)) -> Response:
    """Opening a notification marks it read for this person, then shows its case."""
    app = services(request)
    await notifications.mark_read(app, who.actor, notification_id[:200])
    form = await request.form()
    return go(safe_next(str(form.get("next") or ""), "/notifications"))


@router.get("/audit", include_in_schema=False)
async def audit(request: Request, who: Session = Depends(role_in(Role.auditor))) -> HTMLResponse:
    svc = services(request)
    cases, _ = await svc.list_cases(who.actor, limit=100)
    return render(request, "audit.html", cases=cases, categories={c.id: c.name for c in svc.org.categories})
