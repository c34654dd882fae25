"""A case refuses a route to a department its pinned organisation does not have (pure, fixed time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import CaseState, evolve
from domain.commands import Command, ReceiveCase, RouteCase
from domain.decide import ActionRefused, decide
from domain.events import Actor, Party
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.vocabulary import Channel, PartyRole, Role, Stage

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEDIATOR = Actor(role=Role.mediator, id="m")


def run(state: CaseState, command: Command) -> CaseState:
    for event in decide(state, command, MEDIATOR, NOW):
        state = evolve(state, event, NOW + timedelta(seconds=state.version))
    return state


def received(departments: tuple[str, ...] | None) -> CaseState:
    return run(CaseState(case_id="C-1"), ReceiveCase(
        title="t", description="d", category="leak", channel=Channel.walk_in, grid_id="g",
        parties=(Party(name="甲", role=PartyRole.applicant),), policy=pin_policy(DEFAULT_POLICY, NOW),
        organisation="f" * 64, departments=departments))


def test_a_route_to_a_department_outside_the_pinned_organisation_is_refused() -> None:
    state = received(("dept-a", "dept-b"))
    with pytest.raises(ActionRefused, match="dept-gone is not in the organisation"):
        decide(state, RouteCase(lead_department="dept-a", co_departments=("dept-gone",)), MEDIATOR, NOW)
    with pytest.raises(ActionRefused, match="dept-gone is not in the organisation"):
        decide(state, RouteCase(lead_department="dept-gone"), MEDIATOR, NOW)
    assert run(state, RouteCase(lead_department="dept-a", co_departments=("dept-b",))).stage is Stage.coordination


def test_a_case_received_before_departments_were_kept_routes_as_it_did() -> None:
    state = received(None)
    assert run(state, RouteCase(lead_department="dept-anywhere")).stage is Stage.coordination
