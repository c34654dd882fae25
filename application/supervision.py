"""Supervision as practised: the use cases beyond a plain action, and the checks every action
naming a summons, a meeting or a commitment gets. Everything else (a return decision, a listing and its
lift, a risk re-grade, a report, a judgement) is ``Application.act`` with the domain's command."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from application.access import READ_BOARD, require_role
from application.errors import InvalidInput, NotFound
from domain.case import CaseState
from domain.commands import (
    ApplyJudicialConfirmation,
    Command,
    ConveneMeeting,
    FulfilCommitment,
    RecordMeetingMinutes,
    ReportToSummons,
    SummonDepartments,
)
from domain.events import Actor
from domain.organisation import Organisation, UnknownId
from infra.read_models import ListedCase, ToVerify, listed_cases, supervision_extras, verification_queue

if TYPE_CHECKING:
    from application.cases import Application, Done


COURT_KIND = "tribunal"  # the departments that decide 司法确认 (人民法庭)


def check_departments(org: Organisation, command: Command) -> None:
    """The departments a summons or a meeting names exist (422 naming the field otherwise)."""
    named: dict[str, Sequence[str]] = {}
    if isinstance(command, SummonDepartments):
        named = {"departments": command.departments}
    elif isinstance(command, ConveneMeeting):
        named = {"departments": command.departments, "attended": command.attended}
    elif isinstance(command, RecordMeetingMinutes):
        named = {"attended": command.attended}
    elif isinstance(command, ApplyJudicialConfirmation):
        named = {"court_department": (command.court_department,)}
    for field, departments in named.items():
        for department in departments:
            try:
                found = org.department(department)
            except UnknownId as exc:
                raise InvalidInput(str(exc), field) from exc
            if field == "court_department" and found.kind != COURT_KIND:
                raise InvalidInput(f"{department} is not a court (人民法庭)", field)


def check_references(state: CaseState, command: Command) -> None:
    """A summons, meeting or commitment the command names belongs to the case (404 otherwise)."""
    if isinstance(command, ReportToSummons) and state.summons_by_id(command.summons_id) is None:
        raise NotFound(f"case {state.case_id} has no summons {command.summons_id}", "no_summons")
    if isinstance(command, RecordMeetingMinutes) and not any(m.meeting_id == command.meeting_id
                                                             for m in state.meetings):
        raise NotFound(f"case {state.case_id} has no meeting {command.meeting_id}", "no_meeting")
    if isinstance(command, FulfilCommitment) and state.commitment(command.commitment_id) is None:
        raise NotFound(f"case {state.case_id} has no commitment {command.commitment_id}", "no_commitment")


async def summon(app: Application, actor: Actor, case_id: str, departments: Sequence[str], reason: str,
                 report_within: str | None = None, request_id: str | None = None) -> Done:
    """吹哨: the departments must report (报到) in time; each one's listed supervision goes one level up."""
    check_departments(app.org, SummonDepartments(departments=tuple(departments), reason=reason))
    command = SummonDepartments(departments=tuple(departments), reason=reason, report_within=report_within,
                                escalate_to=app.org.escalation_targets(departments))
    return await app.act(actor, case_id, command, request_id)


async def board_extras(app: Application, actor: Actor, limit: int = 100) -> dict[str, list[Any]]:
    """The board beyond the timers' escalations: listings by hand with their leader, returns and extensions
    awaiting a decision, summoned departments that have not reported."""
    require_role(actor, READ_BOARD)
    return await supervision_extras(app.pool, limit)


async def resolutions_to_verify(app: Application, actor: Actor, limit: int = 50) -> list[ToVerify]:
    """验收 queue: resolutions submitted and not yet verified, oldest first."""
    require_role(actor, READ_BOARD)
    return await verification_queue(app.pool, limit)


async def listed_by_the_ladder(app: Application, actor: Actor, limit: int = 50) -> list[ListedCase]:
    """Open cases the timers have listed (挂牌督办, level 3 on a task)."""
    require_role(actor, READ_BOARD)
    return await listed_cases(app.pool, limit)
