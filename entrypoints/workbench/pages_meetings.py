"""Standing meetings on the desk (联席会议, 圆桌议事会): the list and the call form, one meeting with its agenda
(提议议题, 审定) and its minutes form, and the printable 会议纪要. Every rule is application/meetings.py's and
domain/meetings.py's; this module reads the forms and shows the answers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from application import meetings
from application.errors import Forbidden, InvalidInput, NotFound, Refused
from domain.commands import CommitmentPromise
from domain.events import MeetingAttendee
from domain.meetings import (
    KIND_NAMES,
    MEETING_PERMISSIONS,
    CallMeeting,
    DecideItem,
    ItemMinute,
    MeetingState,
    ProposeItem,
    RecordMinutes,
)
from domain.organisation import JurisdictionLevel
from entrypoints.workbench.actions import FormProblem, _when
from entrypoints.workbench.messages import chinese, department_namer
from entrypoints.workbench.pages_lists import department_groups
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import PageError, WorkbenchRoute, csrf_checked, go, render, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
READERS = tuple(meetings.READ_MEETINGS)
ATTENDEE_ROWS = 4  # 两代表一委员, 居民代表, 物业公司: a few rows, empty ones skipped
COMMITMENT_ROWS = 2  # per agenda item


def may(who: Session, command: type) -> bool:
    return who.actor.role in MEETING_PERMISSIONS[command]


def _places(request: Request) -> list[tuple[str, str]]:
    """Where a meeting is held: the district, its streets and communities (not grids)."""
    org = services(request).org
    return [(j.id, org.jurisdiction_name(j.id)) for j in org.jurisdictions if j.level is not JurisdictionLevel.grid]


def _refusal(request: Request, exc: Refused | Forbidden | InvalidInput | NotFound) -> str:
    return chinese(exc, department_namer(services(request).org))


# ---------------------------------------------------------------------------------------------- the list

def upcoming_then_past(states: list[MeetingState], now: datetime) -> list[MeetingState]:
    """The meetings still to come, soonest first, then those held, latest first."""
    upcoming = sorted((s for s in states if s.at >= now), key=lambda s: s.at)
    past = sorted((s for s in states if s.at < now), key=lambda s: s.at, reverse=True)
    return [*upcoming, *past]


async def _list_page(request: Request, who: Session, status: int = 200, **extra: Any) -> HTMLResponse:
    svc = services(request)
    listed = upcoming_then_past(await meetings.list_meetings(svc, who.actor), svc.clock())
    values = extra.pop("values", {"request_id": secrets.token_hex(8), "kind": "round_table"})
    return render(request, "meetings.html", status=status, meetings=listed, kinds=KIND_NAMES,
                  calls=may(who, CallMeeting), places=_places(request), groups=department_groups(svc.org),
                  values=values, attendees=_attendee_rows(values), **extra)


@router.get("/meetings", include_in_schema=False)
async def meetings_page(request: Request, who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    return await _list_page(request, who)


def _attendee_rows(values: dict[str, Any]) -> list[tuple[str, str]]:
    names = list(values.get("attendee_name", []))
    capacities = list(values.get("attendee_capacity", []))
    rows = [(names[i] if i < len(names) else "", capacities[i] if i < len(capacities) else "")
            for i in range(max(len(names), len(capacities), ATTENDEE_ROWS))]
    return rows


def read_call(form: FormData) -> CallMeeting:
    kind = str(form.get("kind") or "")
    if kind not in KIND_NAMES:
        raise FormProblem("请选择「会议类型」")
    title = str(form.get("title") or "").strip()
    if not title:
        raise FormProblem("请填写「会议名称」")
    at = _when(form, "at", "会议时间")
    jurisdiction = str(form.get("jurisdiction") or "")
    if not jurisdiction:
        raise FormProblem("请选择「召开地点」")
    departments = tuple(str(d) for d in form.getlist("departments"))
    if not departments:
        raise FormProblem("请至少选择一个「参会单位」")
    attendees = []
    names, capacities = form.getlist("attendee_name"), form.getlist("attendee_capacity")
    for n, (name, capacity) in enumerate(zip(names, capacities, strict=False), start=1):
        name, capacity = str(name).strip(), str(capacity).strip()
        if not (name or capacity):
            continue
        if not (name and capacity):
            raise FormProblem(f"其他参会人员{n}：请同时填写「姓名」和「身份」")
        attendees.append((name, capacity))
    try:
        return CallMeeting(meeting_kind=kind, title=title, at=at, jurisdiction=jurisdiction,
                           departments=departments,
                           other_attendees=tuple(MeetingAttendee(name=a, capacity=c) for a, c in attendees))
    except ValidationError as exc:
        raise FormProblem("「会议名称」或其他参会人员的内容过长或含有不允许的字符") from exc


def _values(form: FormData) -> dict[str, Any]:
    """What was typed, to show again with the reason a form was not accepted; repeated fields as lists."""
    lists = {"departments", "attendee_name", "attendee_capacity", "present"}
    rows = ("department_", "what_", "due_")  # the minutes' commitment rows, one list per agenda item
    return {k: [str(x) for x in form.getlist(k)] if k in lists or k.startswith(rows) else str(v)
            for k, v in form.items()}


@router.post("/meetings", include_in_schema=False)
async def call(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    if not may(who, CallMeeting):
        raise PageError(403, "无权访问", "只有调解员和督办人可以召集会议。")
    form = await request.form()
    values = _values(form)
    try:
        command = read_call(form)
    except FormProblem as exc:
        return await _list_page(request, who, 422, error=str(exc), values=values)
    # The form's own id makes a double submit call one meeting.
    request_id = str(form.get("request_id") or "")[:40]
    try:
        written = await meetings.call_meeting(services(request), who.actor, command,
                                              f"wb:{who.actor.id}:{request_id}" if request_id else None)
    except (Refused, InvalidInput, Forbidden) as exc:
        return await _list_page(request, who, 409, error=_refusal(request, exc), values=values)
    return go(f"/meetings/{written.meeting_id}?done=召集会议")


# ---------------------------------------------------------------------------------------------- one meeting

@dataclass(frozen=True)
class CaseLine:
    """An agenda item's case as this person may see it: its title when they may read the case."""

    case_id: str
    title: str | None


async def _cases(request: Request, who: Session, state: MeetingState) -> dict[str, CaseLine]:
    svc = services(request)
    found: dict[str, CaseLine] = {}
    for item in state.agenda:
        try:
            case = await svc.get_case(who.actor, item.case_id)
            found[item.case_id] = CaseLine(item.case_id, case.title)
        except (Forbidden, NotFound):
            found[item.case_id] = CaseLine(item.case_id, None)
    return found


async def _meeting(request: Request, who: Session, meeting_id: str) -> MeetingState:
    try:
        return await meetings.get_meeting(services(request), who.actor, meeting_id[:200])
    except NotFound as exc:
        raise PageError(404, "没有这个会议", f"找不到会议 {meeting_id[:60]}。") from exc


async def _meeting_page(request: Request, who: Session, meeting_id: str, status: int = 200,
                        **extra: Any) -> HTMLResponse:
    svc = services(request)
    state = await _meeting(request, who, meeting_id)
    values = extra.pop("values", {})
    accepted = [i for i in state.agenda if i.accepted]
    return render(request, "meeting.html", status=status, meeting=state, kind=KIND_NAMES[state.kind],
                  place=svc.org.jurisdiction_name(state.jurisdiction), cases=await _cases(request, who, state),
                  proposes=may(who, ProposeItem), decides=may(who, DecideItem),
                  minutes_form=may(who, RecordMinutes) and state.minutes is None,
                  held=state.at <= svc.clock(), accepted=accepted, values=values,
                  commitment_rows=COMMITMENT_ROWS, **extra)


@router.get("/meetings/{meeting_id}", include_in_schema=False)
async def meeting_page(request: Request, meeting_id: str, who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    return await _meeting_page(request, who, meeting_id)


@router.post("/meetings/{meeting_id}/agenda", include_in_schema=False)
async def propose(request: Request, meeting_id: str, who: Session = Depends(csrf_checked)) -> Response:
    if not may(who, ProposeItem) or who.actor.role not in meetings.READ_MEETINGS:
        raise PageError(403, "无权访问", "只有调解员、联络员和网格员可以提议议题。")
    form = await request.form()
    values = _values(form)
    case_id = str(form.get("case_id") or "").strip()[:200]
    note = str(form.get("note") or "").strip() or None
    if not case_id:
        return await _meeting_page(request, who, meeting_id, 422, agenda_error="请填写「案件编号」", values=values)
    if note is not None and len(note) > 4000:
        return await _meeting_page(request, who, meeting_id, 422, agenda_error="「说明」太长（最多4000字）",
                                   values=values)
    try:
        await meetings.propose_item(services(request), who.actor, meeting_id, case_id, note,
                                    _request_id(who, form))
    except NotFound:
        return await _meeting_page(request, who, meeting_id, 404, values=values,
                                   agenda_error=f"没有案件 {case_id[:60]}，请核对案件编号。")
    except (Refused, InvalidInput, Forbidden) as exc:
        return await _meeting_page(request, who, meeting_id, 409, agenda_error=_refusal(request, exc), values=values)
    return go(f"/meetings/{meeting_id}?done=提议议题#agenda-h")


@router.post("/meetings/{meeting_id}/agenda/{item_id}/decision", include_in_schema=False)
async def settle(request: Request, meeting_id: str, item_id: str, who: Session = Depends(csrf_checked)) -> Response:
    if not may(who, DecideItem):
        raise PageError(403, "无权访问", "只有督办人可以审定议题。")
    form = await request.form()
    accepted = str(form.get("accepted") or "")
    if accepted not in ("yes", "no"):
        return await _meeting_page(request, who, meeting_id, 422, agenda_error="请选择「同意」或「不同意」")
    try:
        await meetings.decide_item(services(request), who.actor, meeting_id, item_id[:200], accepted == "yes",
                                   _request_id(who, form))
    except (Refused, InvalidInput, Forbidden, NotFound) as exc:
        return await _meeting_page(request, who, meeting_id, 409, agenda_error=_refusal(request, exc))
    return go(f"/meetings/{meeting_id}?done=审定议题#agenda-h")


def _request_id(who: Session, form: FormData) -> str | None:
    token = str(form.get("request_id") or "")[:40]
    return f"wb:{who.actor.id}:{token}" if token else None


def read_minutes(form: FormData, state: MeetingState) -> RecordMinutes:
    """The minutes form: the present departments, then for each accepted item its decision (决定事项) and
    its commitment rows (承诺单位, 承诺内容, 办理期限); a row left wholly empty is skipped."""
    present = tuple(str(d) for d in form.getlist("present"))
    items: list[ItemMinute] = []
    for n, item in enumerate((i for i in state.agenda if i.accepted), start=1):
        decision = str(form.get(f"decision_{n}") or "").strip()
        if not decision:
            raise FormProblem(f"议题{n}：请填写「决定事项」")
        promises = []
        rows = zip(form.getlist(f"department_{n}"), form.getlist(f"what_{n}"), form.getlist(f"due_{n}"), strict=False)
        for r, (department, what, due) in enumerate(rows, start=1):
            department, what, due = str(department), str(what).strip(), str(due).strip()
            if not (department or what or due):
                continue
            where = f"议题{n}承诺{r}："
            if not department:
                raise FormProblem(f"{where}请选择「承诺单位」")
            if not what:
                raise FormProblem(f"{where}请填写「承诺内容」")
            if not due:
                raise FormProblem(f"{where}请填写「办理期限」")
            try:
                promises.append(CommitmentPromise(department=department, what=what, due_at=_due(due, where)))
            except ValidationError as exc:
                raise FormProblem(f"{where}「承诺内容」过长或含有不允许的字符") from exc
        try:
            items.append(ItemMinute(case_id=item.case_id, decision=decision, commitments=tuple(promises)))
        except ValidationError as exc:
            raise FormProblem(f"议题{n}：「决定事项」过长或含有不允许的字符") from exc
    if not items:
        raise FormProblem("会议没有审定同意的议题，不能记录会议纪要")
    return RecordMinutes(present=present, items=tuple(items))


def _due(raw: str, where: str) -> datetime:
    """A commitment's 办理期限 (datetime-local, the district's time zone), later than now, within five years."""
    try:
        when = _when({"due": raw}, "due", "办理期限", future=True)
    except FormProblem as exc:
        raise FormProblem(f"{where}{exc}") from exc
    assert when is not None
    return when


@router.post("/meetings/{meeting_id}/minutes", include_in_schema=False)
async def minutes(request: Request, meeting_id: str, who: Session = Depends(csrf_checked)) -> Response:
    if not may(who, RecordMinutes):
        raise PageError(403, "无权访问", "只有调解员可以记录会议纪要。")
    state = await _meeting(request, who, meeting_id)
    form = await request.form()
    values = _values(form)
    try:
        command = read_minutes(form, state)
    except FormProblem as exc:
        return await _meeting_page(request, who, meeting_id, 422, minutes_error=str(exc), values=values)
    try:
        await meetings.record_minutes(services(request), who.actor, state.meeting_id, command,
                                      _request_id(who, form))
    except (Refused, InvalidInput, Forbidden, NotFound) as exc:
        return await _meeting_page(request, who, meeting_id, 409, minutes_error=_refusal(request, exc),
                                   values=values)
    return go(f"/meetings/{meeting_id}?done=记录会议纪要")


@router.get("/meetings/{meeting_id}/minutes.html", include_in_schema=False)
async def printable(request: Request, meeting_id: str, who: Session = Depends(role_in(*READERS))) -> HTMLResponse:
    """会议纪要 to print (or save as PDF from the browser): once the minutes are recorded."""
    svc = services(request)
    state = await _meeting(request, who, meeting_id)
    if state.minutes is None:
        raise PageError(404, "尚无会议纪要", "该会议的纪要尚未记录。")
    return render(request, "meeting_minutes.html", meeting=state, kind=KIND_NAMES[state.kind],
                  place=svc.org.jurisdiction_name(state.jurisdiction), cases=await _cases(request, who, state))


__all__ = ["router"]
