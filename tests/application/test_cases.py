"""The application layer over the real servers: intake rules, the injected clock, routing, refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from application.case_client import CaseClient
from application.cases import Application, Intake
from application.errors import Forbidden, InvalidInput, NotFound, Refused
from bootstrap import build_application
from domain.commands import AcknowledgeTask, ArchiveCase
from domain.events import Actor, Party
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.vocabulary import Channel, PartyRole, Role, Stage

FIXED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEDIATOR = Actor(role=Role.mediator, id="m-app", department="dept-donghu-zongzhi", name="王丽")
LEAD = "dept-donghu-huayuan-committee"


@pytest.fixture
def app(pool: asyncpg.Pool, temporal_client, cases: CaseClient) -> Application:  # type: ignore[no-untyped-def]
    return build_application(pool, temporal_client, cases.task_queue, org=demo_organisation(),
                             policy=DEFAULT_POLICY, clock=lambda: FIXED)


def intake(**changes: object) -> Intake:
    fields: dict[str, object] = dict(
        title="楼上漏水", description="天花板渗水", category="leak", channel=Channel.walk_in,
        grid_id="grid-donghu-huayuan-1",
        parties=(Party(name=f"张{uuid.uuid4().hex[:6]}", role=PartyRole.applicant),))
    fields.update(changes)
    return Intake(**fields)  # type: ignore[arg-type]


async def test_receive_pins_the_policy_with_the_injected_clock_and_suggests_a_route(app: Application) -> None:
    received = await app.receive(MEDIATOR, intake())
    assert received.case_id.startswith("C-20260302-")
    assert received.stage is Stage.triage and received.duplicate_of is None
    assert received.suggested_route is not None
    state = await app.get_case(MEDIATOR, received.case_id)
    assert state.policy == pin_policy(DEFAULT_POLICY, FIXED)
    assert state.handling_level.value == "street"  # received by a street centre's mediator: handled there
    events = await app.events(MEDIATOR, received.case_id)
    assert events[0]["actor"]["name"] == "王丽"  # the display name is recorded when there is one
    # the centre may also summon departments (吹哨), re-grade the risk and hand it up (上交)
    assert {a.kind for a in app.available_actions(state, MEDIATOR)} == {"not_accepted", "route", "summon",
                                                                        "regrade_risk", "hand_up"}


async def test_the_same_parties_again_are_a_duplicate(app: Application) -> None:
    first = intake()
    original = await app.receive(MEDIATOR, first)
    again = await app.receive(MEDIATOR, first)
    assert again.duplicate_of == original.case_id and again.stage is Stage.archived


async def test_intake_and_route_input_is_checked_before_anything_is_written(app: Application) -> None:
    with pytest.raises(InvalidInput, match=r"^category: "):
        await app.receive(MEDIATOR, intake(category="no-such-category"))
    with pytest.raises(InvalidInput, match=r"^grid_id: .* not a grid"):
        await app.receive(MEDIATOR, intake(grid_id="st-donghu"))
    with pytest.raises(InvalidInput):
        await app.route(MEDIATOR, "C-none", "dept-nowhere")
    with pytest.raises(NotFound):
        await app.route(MEDIATOR, "C-none", LEAD)


async def test_refusals_are_application_errors(app: Application) -> None:
    case_id = (await app.receive(MEDIATOR, intake())).case_id
    done = await app.route(MEDIATOR, case_id, LEAD)
    assert done.stage is Stage.coordination and "TaskAssigned" in done.events
    with pytest.raises(Forbidden):  # a mediator may not acknowledge a department's task
        await app.act(MEDIATOR, case_id, AcknowledgeTask(task_id=f"{case_id}-T1"))
    with pytest.raises(Refused):  # not before verification and follow-up
        await app.act(MEDIATOR, case_id, ArchiveCase())
    with pytest.raises(NotFound):
        await app.act(MEDIATOR, case_id, AcknowledgeTask(task_id=f"{case_id}-T9"))
    liaison = Actor(role=Role.liaison, id="l-other", department="dept-xicheng-police")
    with pytest.raises(Forbidden):
        await app.get_case(liaison, case_id)


async def test_a_refusal_keeps_its_code_through_the_workflow(app) -> None:  # type: ignore[no-untyped-def]
    """The workbench words a refusal from its code and data: they must survive the trip through Temporal."""
    from application.errors import Refused
    from domain.commands import VerifyResolution
    from domain.events import Actor
    from domain.vocabulary import Role

    received = await app.receive(MEDIATOR, intake())
    supervisor = Actor(role=Role.supervisor, id="sup-code", department="dept-donghu-zongzhi")
    with pytest.raises(Refused) as refused:
        await app.act(supervisor, received.case_id, VerifyResolution(accepted=True))
    assert (refused.value.code, refused.value.data) == ("stage", {"stage": "triage", "needs": "supervision"})


async def test_intakes_at_once_each_answer_with_their_own_case_and_read_it_back(app: Application) -> None:
    """Read your writes under concurrency: a catch-up stops at the oldest open transaction, so an intake whose
    events committed behind another's still-open one must wait for them rather than answer "no case"."""
    import asyncio

    received = await asyncio.gather(*(app.receive(MEDIATOR, intake(title=f"同时受理 {n}")) for n in range(8)))
    assert len({r.case_id for r in received}) == 8
    for r in received:
        state = await app.get_case(MEDIATOR, r.case_id)
        assert state.version >= r.version and state.stage is Stage.triage
