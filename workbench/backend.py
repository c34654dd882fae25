"""The desk's view of the application layer: the services on the app, and what a page shows of a case.

Every rule lives in ``application`` and ``domain``; this module only shapes answers for the templates."""

from __future__ import annotations

from typing import Any

from application import access
from application.cases import Application
from domain.case import CaseState
from domain.events import Actor
from domain.vocabulary import Role
from infra.audit.masking import masked_party


def may_read(state: CaseState, actor: Actor) -> bool:
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
