"""Standing meetings (docs/api.md §10): 联席会议 and 圆桌议事会 over many cases. Wiring only: the body is parsed
and one use case of application/meetings.py does the rest."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from application import meetings
from application.cases import Application
from application.schemas import Id, Instant, Line, Text
from domain.commands import CommitmentPromise
from domain.events import MeetingAttendee
from domain.meetings import (
    MEETING_PERMISSIONS,
    CallMeeting,
    DecideItem,
    ItemMinute,
    MeetingState,
    ProposeItem,
    RecordMinutes,
)
from entrypoints.http.context import Caller, idempotent, roles, services

router = APIRouter(prefix="/meetings", tags=["meetings"])
Svc = Annotated[Application, Depends(services)]
Short = Annotated[str, Field(min_length=1, max_length=200)]  # a path's id: looked up, never stored


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Text is checked as the case routes check it (application/schemas.py: no control characters, which PostgreSQL
# cannot store). The bodies are named apart from the case routes' MeetingIn, MinutesIn and CommitmentIn: the
# OpenAPI names a schema by its class, and two classes of one name would both be renamed after their modules,
# out of reach of the organisation's enums (entrypoints/http/openapi.py) and of clients that know the old names.
class AttendeeIn(_Body):
    name: Line
    capacity: Line  # 人大代表, 居民代表, 物业公司 …


class StandingMeetingIn(_Body):
    kind: Literal["joint", "round_table"]
    title: Line
    at: Instant
    jurisdiction: Id
    departments: list[Id] = Field(min_length=1)
    other_attendees: list[AttendeeIn] = []


class ItemIn(_Body):
    case_id: Id
    note: Text | None = None


class DecisionIn(_Body):
    accepted: StrictBool


class StandingCommitmentIn(_Body):
    department: Id
    content: Text
    due: Instant


class MinuteIn(_Body):
    case_id: Id
    decision: Text
    commitments: list[StandingCommitmentIn] = []


class StandingMinutesIn(_Body):
    present: list[Id]
    items: list[MinuteIn] = Field(min_length=1)


def view(state: MeetingState) -> dict[str, Any]:
    return state.model_dump(mode="json")


def _written(written: meetings.MeetingWritten, status: int = 200) -> tuple[int, Any]:
    return status, {"meeting_id": written.meeting_id, "events": written.events, "meeting": view(written.state)}


@router.post("", status_code=201, summary="召集: call a 联席会议 or 圆桌议事会; the departments are invited")
async def call(request: Request, body: StandingMeetingIn, svc: Svc,
               who: Caller = Depends(roles(MEETING_PERMISSIONS[CallMeeting]))) -> JSONResponse:
    command = CallMeeting(meeting_kind=body.kind, title=body.title, at=body.at, jurisdiction=body.jurisdiction,
                          departments=tuple(body.departments),
                          other_attendees=tuple(MeetingAttendee(name=a.name, capacity=a.capacity)
                                                for a in body.other_attendees))

    async def run(request_id: str | None) -> tuple[int, Any]:
        return _written(await meetings.call_meeting(svc, who.actor, command, request_id), 201)

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{meeting_id}/agenda", status_code=201, summary="征集议题: propose a case for the agenda")
async def propose(request: Request, meeting_id: Short, body: ItemIn, svc: Svc,
                  who: Caller = Depends(roles(MEETING_PERMISSIONS[ProposeItem]))) -> JSONResponse:
    async def run(request_id: str | None) -> tuple[int, Any]:
        written = await meetings.propose_item(svc, who.actor, meeting_id, body.case_id, body.note, request_id)
        return 201, {**_written(written)[1], "item_id": written.state.agenda[-1].item_id}

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{meeting_id}/agenda/{item_id}/decision", summary="审定: accept or decline an agenda item")
async def decide(request: Request, meeting_id: Short, item_id: Short, body: DecisionIn, svc: Svc,
                 who: Caller = Depends(roles(MEETING_PERMISSIONS[DecideItem]))) -> JSONResponse:
    async def run(request_id: str | None) -> tuple[int, Any]:
        return _written(await meetings.decide_item(svc, who.actor, meeting_id, item_id, body.accepted, request_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{meeting_id}/minutes", summary="会议纪要: attendance, one decision per item, commitments")
async def minutes(request: Request, meeting_id: Short, body: StandingMinutesIn, svc: Svc,
                  who: Caller = Depends(roles(MEETING_PERMISSIONS[RecordMinutes]))) -> JSONResponse:
    command = RecordMinutes(present=tuple(body.present), items=tuple(
        ItemMinute(case_id=i.case_id, decision=i.decision, commitments=tuple(
            CommitmentPromise(department=c.department, what=c.content, due_at=c.due) for c in i.commitments))
        for i in body.items))

    async def run(request_id: str | None) -> tuple[int, Any]:
        return _written(await meetings.record_minutes(svc, who.actor, meeting_id, command, request_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.get("", summary="the meetings between from and to")
async def list_all(svc: Svc, who: Caller = Depends(roles(meetings.READ_MEETINGS)),
                   start: Annotated[Instant | None, Query(alias="from")] = None,
                   end: Annotated[Instant | None, Query(alias="to")] = None) -> list[dict[str, Any]]:
    return [view(m) for m in await meetings.list_meetings(svc, who.actor, start, end)]


@router.get("/{meeting_id}", summary="one meeting: its agenda, attendance and minutes")
async def one(meeting_id: Short, svc: Svc, who: Caller = Depends(roles(meetings.READ_MEETINGS))) -> dict[str, Any]:
    return view(await meetings.get_meeting(svc, who.actor, meeting_id))
