"""The organisation in force: recorded by fingerprint, and refused when open cases need what it removes."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from application.organisation import OrganisationProblems, in_force, organisation_of_case, put_in_force
from domain.commands import RouteCase
from domain.organisation import demo_organisation, load_organisation
from infra.event_store import EventStore
from infra.projections import Projector
from tests.workflows.scenario import MEDIATOR, receive_command

LAND = "dept-xicheng-land"  # only this test routes to it


async def test_removing_a_department_with_an_open_task_is_refused(pool: asyncpg.Pool, cases) -> None:  # type: ignore[no-untyped-def]
    demo = demo_organisation()
    case_id = f"C-ORG-{uuid.uuid4().hex[:8]}"
    await cases.receive(case_id, receive_command(category="land_boundary", grid_id="grid-xicheng-gulou-1",
                                                 organisation=demo.fingerprint), MEDIATOR)
    await cases.act(case_id, RouteCase(lead_department=LAND), MEDIATOR)
    await Projector(pool, EventStore(pool)).catch_up()

    data = json.loads(demo.canonical_json)
    data["departments"] = [d for d in data["departments"] if d["id"] != LAND]
    smaller = load_organisation(json.dumps(data, ensure_ascii=False))
    with pytest.raises(OrganisationProblems) as refused:
        await put_in_force(pool, smaller)
    lines = refused.value.problems
    assert any(line.startswith(f"department {LAND!r} is missing") and case_id in line for line in lines), lines
    assert await in_force(pool) != smaller

    await put_in_force(pool, demo)
    assert (await in_force(pool)).fingerprint == demo.fingerprint
    assert (await organisation_of_case(pool, demo.fingerprint)) == demo
    assert (await organisation_of_case(pool, None)) == demo  # an old case: the one in force
    state = await cases.state(case_id)
    assert state.organisation == demo.fingerprint  # the case names the organisation it was received under
