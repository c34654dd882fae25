"""The desk's view of the application layer: the services on the app, and what a page shows of a case.

Every rule lives in ``application`` and ``domain``; this module only shapes answers for the templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application import access
from application.cases import Application
from domain.case import CaseState
from domain.describe import Names, actor_label, tell
from domain.events import Actor, RecordedEvent
from domain.masking import masked_party
from domain.organisation import Organisation
from domain.vocabulary import Role


def may_read(state: CaseState, actor: Actor) -> bool:
    if actor.role is Role.leader:  # 包案: the cases they lead
        return state.leader is not None and state.leader.user == actor.id
    if actor.role is Role.grid_worker:
        return state.grid_id == actor.jurisdiction
    return actor.role in access.READ_CASES and (actor.role is not Role.liaison
                                                or access.involves(state, actor.department))


def parties(state: CaseState, actor: Actor) -> list[dict[str, Any]]:
    """Parties as the API shows them to this person: in full or masked."""
    if access.sees_personal_data(state, actor):
        return [p.model_dump(mode="json") for p in state.parties]
    return [masked_party(p) for p in state.parties]


def suggestion(app: Application, state: CaseState) -> dict[str, Any] | None:
    route = app.suggested_route(state)
    return {"lead_department": route.lead, "co_departments": list(route.co)} if route else None


@dataclass(frozen=True)
class Step:
    """One line of a case's history (办理过程) as the desk shows it."""

    seq: int
    at: datetime
    who: str  # 王敏（调解员，东湖街道综治中心）
    what: str  # the event told by domain.describe, the auditor's timeline's own words
    event_type: str


def history(events: Sequence[RecordedEvent], org: Organisation, *, masked: bool,
            people: dict[str, str] | None = None) -> list[Step]:
    """One step per event, oldest first; free text masked unless this person sees the parties' data. ``people``
    names the users the case records by id (责任人, 包案领导)."""
    names = Names(org, people)
    return [Step(recorded.seq, recorded.occurred_at, actor_label(recorded.actor, names), what, recorded.type)
            for recorded, _, what in tell(events, names, masked=masked)]
