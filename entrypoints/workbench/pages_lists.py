"""The list pages: the mediator's desk, the liaison's inbox, the supervision board, notifications and the
auditor's case list. The inbox and the board refresh themselves (htmx polls the page and swaps its live
part), so a phone left open on the inbox shows a new task within seconds."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from application import clusters, meetings, owners, reports, supervision
from application.cases import InboxItem
from application.errors import InvalidInput
from domain.organisation import Organisation, UnknownId
from domain.vocabulary import Role, Stage
from entrypoints.workbench import backend, labels, notifications
from entrypoints.workbench.actions import ACTIONS, route_choices
from entrypoints.workbench.pages_reports import recent_months, this_month
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import PageError, WorkbenchRoute, csrf_checked, go, render, role_in, safe_next, services

router = APIRouter(route_class=WorkbenchRoute)
POLL_SECONDS = 5


@router.get("/desk", include_in_schema=False)
async def desk(request: Request, who: Session = Depends(role_in(Role.mediator))) -> HTMLResponse:
    svc = services(request)
    triage, _ = await svc.list_cases(who.actor, stage=Stage.triage, limit=50)
    queue = []
    for summary in triage:
        state = await svc.case_for_work(who.actor, summary.case_id)
        queue.append((summary, backend.suggestion(svc, state), state.returned_by,
                      route_choices(svc.org, state.grid_id, state.returned_by)))
    by_stage = {}
    for stage in (Stage.coordination, Stage.supervision, Stage.archived):
        by_stage[stage], _ = await svc.list_cases(who.actor, stage=stage, limit=30)
    return render(request, "desk.html", queue=queue, by_stage=by_stage, poll=POLL_SECONDS,
                  categories={c.id: c.name for c in svc.org.categories},
                  alerts=await clusters.alerts(svc, who.actor, "open"),
                  unread=await notifications.unread(svc, who.actor))


def _urgency(item: InboxItem) -> tuple[int, float]:
    """Most urgent first: highest escalation level, then the soonest (or longest overdue) due time. A task of a
    paused case (中止计时) waits for nothing: after the running tasks of no escalation."""
    if item.open_clock and item.clock_paused:
        return (0, float("inf"))
    due = item.due_at.timestamp() if item.due_at else float("inf")
    return (-item.escalation_level if item.open_clock else 1, due)


def department_groups(org: Organisation) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every department of the organisation for the inbox's picker, grouped under its jurisdiction."""
    groups = [(org.jurisdiction_name(j.id), [(d.id, d.name) for d in org.departments_in(j.id)])
              for j in org.jurisdictions]
    return [(place, departments) for place, departments in groups if departments]


@router.get("/inbox", include_in_schema=False)
async def inbox(request: Request, department: str | None = None,
                who: Session = Depends(role_in(Role.liaison, Role.mediator, Role.supervisor))) -> HTMLResponse:
    """A department's tasks. A liaison sees only its own department's (any ``department`` it passes is
    ignored); a mediator or supervisor, who has no inbox of their own, picks any department of the
    organisation (``?department=ID``)."""
    svc = services(request)
    picker = None if who.actor.role is Role.liaison else department_groups(svc.org)
    if who.actor.role is Role.liaison:
        department = who.actor.department
    page: dict[str, Any] = {"picker": picker, "department": department or "", "poll": POLL_SECONDS,
            "unread": await notifications.unread(svc, who.actor)}
    if not department:
        if picker is None:  # a liaison without a department: an account set up wrongly
            raise PageError(403, "无权访问", "您的账号没有所属部门，请联系管理员。")
        return render(request, "inbox.html", department_name="", **page)
    try:
        name = svc.org.department(department).name
    except UnknownId:
        return render(request, "inbox.html", status=404, department_name="",
                      error=f"没有这个部门（{department[:60]}），请从列表中选择。", **{**page, "department": ""})
    items = await svc.inbox(who.actor, department, limit=100)
    open_items = sorted((i for i in items if i.open_clock), key=_urgency)
    done = [i for i in items if not i.open_clock][:20]
    actions = {}
    for item in open_items:
        state = await svc.case_for_work(who.actor, item.case_id)
        actions[item.task_id] = [a.kind for a in svc.available_actions(state, who.actor)
                                 if a.task_id == item.task_id and a.kind in ACTIONS]
    here = "/inbox" if picker is None else f"/inbox?{urlencode({'department': department})}"
    return render(request, "inbox.html", department_name=name, open_items=open_items, done_items=done,
                  actions=actions, action_forms=ACTIONS, here=here, **page)


@router.get("/board", include_in_schema=False)
async def board(request: Request, period: str | None = None,
                who: Session = Depends(role_in(Role.supervisor, Role.mediator, Role.auditor))) -> HTMLResponse:
    svc = services(request)
    # Those who read the district's figures see the departments for a period (this month unless chosen); the
    # others the all-time counters.
    figures, stats = None, []
    if who.actor.role not in reports.READ_SCORES:
        stats = [s for s in await svc.statistics(who.actor) if s.tasks_assigned]
    else:
        try:
            chosen = reports.parse_period(period or this_month(svc.clock()), None, None)
        except InvalidInput:
            chosen = reports.parse_period(this_month(svc.clock()), None, None)
        figures = await reports.scores(svc, who.actor, chosen)
    # For the district as a whole: the meetings' store knows the last round table held anywhere, not per street
    # centre (a meeting's jurisdiction is not yet read back by street), so one line says when the next is due.
    today = svc.clock().astimezone(labels.TIMEZONE).date()
    round_table = await meetings.round_table_due_from(svc, who.actor, today, meetings.round_table_every(svc))
    return render(request, "board.html", escalations=await svc.board(who.actor, limit=100), figures=figures,
                  months=recent_months(svc.clock()), round_table=round_table,
                  extras=await supervision.board_extras(svc, who.actor),
                  to_verify=await supervision.resolutions_to_verify(svc, who.actor),
                  listed=await supervision.listed_by_the_ladder(svc, who.actor), stats=stats, poll=POLL_SECONDS,
                  alerts=await clusters.alerts(svc, who.actor, "open") if who.actor.role in clusters.READ_ALERTS
                  else None,
                  unread=await notifications.unread(svc, who.actor))


@router.get("/notifications", include_in_schema=False)
async def notifications_page(request: Request, who: Session = Depends(role_in(
        Role.mediator, Role.liaison, Role.supervisor, Role.auditor, Role.admin, Role.leader,
        Role.grid_worker))) -> HTMLResponse:
    items, unread = await notifications.for_actor(services(request), who.actor)
    return render(request, "notifications.html", items=items, unread=unread)


@router.post("/notifications/{notification_id:path}/read", include_in_schema=False)
async def read_notification(request: Request, notification_id: str, who: Session = Depends(csrf_checked)) -> Response:
    """Opening a notification marks it read for this person, then shows its case."""
    app = services(request)
    await notifications.mark_read(app, who.actor, notification_id[:200])
    form = await request.form()
    return go(safe_next(str(form.get("next") or ""), "/notifications"))


@router.get("/leader/cases", include_in_schema=False)
async def leader_cases(request: Request, who: Session = Depends(role_in(Role.leader))) -> HTMLResponse:
    """我的包案: the cases this leader leads (linked from every page of theirs, their landing included)."""
    svc = services(request)
    return render(request, "leader.html", cases=await owners.my_cases(svc, who.actor),
                  categories={c.id: c.name for c in svc.org.categories},
                  departments={d.id: d.name for d in svc.org.departments},
                  unread=await notifications.unread(svc, who.actor))


@router.get("/audit", include_in_schema=False)
async def audit(request: Request, who: Session = Depends(role_in(Role.auditor))) -> HTMLResponse:
    svc = services(request)
    cases, _ = await svc.list_cases(who.actor, limit=100)
    return render(request, "audit.html", cases=cases, categories={c.id: c.name for c in svc.org.categories})
