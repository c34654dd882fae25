"""The desk's calls into the application layer: read a case, list, receive, route, act, replay, verify.

Every rule lives below this module; it only adapts answers and refusals to what the pages need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.actions import AvailableAction, available_actions
from domain.case import CaseState
from domain.commands import Command, ReceiveCase, RouteCase
from domain.events import Actor, Party
from domain.organisation import InvalidRoute, UnknownId, validate_route
from domain.policy import pin_policy
from domain.vocabulary import Channel, RiskLevel, Role
from infra.audit.masking import masked_party
from infra.http import views
from infra.http.cases import _new_case_id, perform
from infra.http.context import Caller, Services, load_case
from infra.http.problems import Problem
from infra.http.views import suggestion
from infra.read_models import find_duplicate, party_fingerprint


class Refused(Exception):
    """The action was not taken; ``reason`` is the English reason from below (translated for display)."""

    def __init__(self, reason: str, status: int = 409) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _caller(actor: Actor) -> Caller:
    return Caller(actor=actor, token_hash="workbench")


async def case(svc: Services, case_id: str) -> CaseState:
    try:
        return await load_case(svc, case_id)
    except Problem as exc:
        raise Refused(exc.detail, exc.status) from exc


def may_read(state: CaseState, actor: Actor) -> bool:
    if actor.role in (Role.mediator, Role.supervisor, Role.auditor):
        return True
    return actor.role is Role.liaison and any(t.department == actor.department for t in state.tasks)


def sees_personal_data(state: CaseState, actor: Actor) -> bool:
    return views.sees_personal_data(state, _caller(actor))


def parties(state: CaseState, actor: Actor) -> list[dict[str, Any]]:
    """Parties as the API shows them to this person: in full or masked."""
    if sees_personal_data(state, actor):
        return [p.model_dump(mode="json") for p in state.parties]
    return [masked_party(p) for p in state.parties]


def actions(state: CaseState, actor: Actor, now: datetime | None = None) -> list[AvailableAction]:
    return available_actions(state, actor, now or datetime.now(UTC))


def suggested(state: CaseState, svc: Services) -> dict[str, Any] | None:
    return suggestion(state, svc.org)


async def act(svc: Services, actor: Actor, case_id: str, command: Command) -> None:
    try:
        await perform(svc, _caller(actor), case_id, command, None)
    except Problem as exc:
        raise Refused(exc.detail, exc.status) from exc


async def route(svc: Services, actor: Actor, case_id: str, lead: str, co: Sequence[str], note: str | None) -> None:
    state = await case(svc, case_id)
    try:
        validate_route(svc.org, lead, co)
    except (InvalidRoute, UnknownId) as exc:
        raise Refused(str(exc), 422) from exc
    proposal = suggestion(state, svc.org)
    command = RouteCase(lead_department=lead, co_departments=tuple(co), note=note,
                        escalate_to=svc.org.escalation_targets([lead, *co]),
                        suggested_lead=proposal["lead_department"] if proposal else None)
    await act(svc, actor, case_id, command)


@dataclass(frozen=True)
class NewCase:
    title: str
    description: str
    category: str
    channel: Channel
    grid_id: str
    risk_level: RiskLevel
    parties: tuple[Party, ...]


async def duplicate_of(svc: Services, new: NewCase) -> str | None:
    return await find_duplicate(svc.pool, party_fingerprint(new.category, new.grid_id, new.parties))


async def receive(svc: Services, actor: Actor, new: NewCase, request_id: str) -> str:
    """Register the case; ``request_id`` makes a double submit register it once."""
    case_id = _new_case_id(request_id)
    if await svc.pool.fetchval("SELECT 1 FROM case_states WHERE case_id = $1", case_id):
        return case_id
    command = ReceiveCase(title=new.title, description=new.description, category=new.category,
                          channel=new.channel, grid_id=new.grid_id, risk_level=new.risk_level, parties=new.parties,
                          duplicate_of=await duplicate_of(svc, new), policy=pin_policy(svc.policy, datetime.now(UTC)))
    await svc.cases.receive(case_id, command, actor, request_id)
    await svc.projector.catch_up()
    return case_id
