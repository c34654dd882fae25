"""The grid through the HTTP API (docs/api.md §8): a grid worker reports one dispute settled on the spot (就地化解)
and one not; the first goes straight to verification with no task and on to archive, the second waits in
triage; both show in 我的上报; another grid's report or case is refused with 403."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.e2e.api_client import Api, assert_problem, case_body

GRID, OTHER_GRID = "grid-donghu-huayuan-1", "grid-xicheng-gulou-1"
ON_SPOT = {"method": "people", "agreement_reached": True, "terms": "楼上住户三日内修好水管并赔偿五百元"}


async def _grid_worker(pool, grid: str) -> str:  # type: ignore[no-untyped-def]
    from application.people import People
    from domain.organisation import demo_organisation
    from domain.vocabulary import Role

    people = People(pool, demo_organisation())
    login = f"gw-{uuid.uuid4().hex[:8]}"
    await people.add_user(name="赵网格", role=Role.grid_worker, jurisdiction=grid, login=login)
    return await people.issue_token(role=None, user_login=login)


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    client = Api(api, dict(tokens))
    client.tokens["grid"] = await _grid_worker(pool, GRID)
    client.tokens["other_grid"] = await _grid_worker(pool, OTHER_GRID)
    yield client
    await client.http.aclose()


def _report(**changes: object) -> dict[str, object]:
    return case_body(**{"channel": "grid_report", "grid_id": GRID, "title": "楼上漏水", "category": "leak", **changes})


async def test_a_settlement_on_the_spot_goes_to_verification_with_no_task_and_on_to_archive(a: Api) -> None:
    settled = await a.ok("grid", "POST", "/cases", _report(on_spot=ON_SPOT))
    assert settled["stage"] == "supervision" and settled["duplicate_of"] is None
    case_id = settled["case_id"]
    view = await a.ok("mediator", "GET", f"/cases/{case_id}")
    assert view["tasks"] == [] and view["outcome"] == "resolved_on_spot"
    assert view["mediations"][0]["terms"] == ON_SPOT["terms"]
    await a.ok("mediator", "POST", f"/cases/{case_id}/verification", {"accepted": True})
    await a.ok("mediator", "POST", f"/cases/{case_id}/follow-up", {"satisfaction": "satisfied"})
    archived = await a.ok("mediator", "POST", f"/cases/{case_id}/archive", {})
    assert archived["stage"] == "archived"
    events = [e["type"] for e in await a.ok("auditor", "GET", f"/cases/{case_id}/events")]
    assert "TaskAssigned" not in events
    assert events[:3] == ["CaseReceived", "MediationRecorded", "ResolutionSubmitted"]
    assert events[-1] == "CaseArchived"
    mine = {i["case_id"]: i for i in (await a.ok("grid", "GET", "/grid-reports/mine"))["items"]}
    assert mine[case_id]["stage"] == "archived" and mine[case_id]["handling_level"] == "grid"
    assert mine[case_id]["last_step"] == "CaseArchived"


async def test_an_unsettled_report_waits_in_triage_and_shows_in_my_reports(a: Api) -> None:
    waiting = await a.ok("grid", "POST", "/cases", _report())
    assert waiting["stage"] == "triage"
    case_id = waiting["case_id"]
    triage = await a.ok("mediator", "GET", "/cases?stage=triage&limit=500")
    assert case_id in [c["case_id"] for c in triage["items"]]
    mine = {i["case_id"]: i for i in (await a.ok("grid", "GET", "/grid-reports/mine"))["items"]}
    assert mine[case_id]["stage"] == "triage" and mine[case_id]["handling_level"] == "community"
    assert mine[case_id]["last_step"] == "CaseReceived"
    assert (await a.ok("grid", "GET", f"/cases/{case_id}"))["stage"] == "triage"
    assert case_id not in [i["case_id"] for i in (await a.ok("other_grid", "GET", "/grid-reports/mine"))["items"]]


async def test_a_grid_worker_cannot_report_for_another_grid_nor_read_its_cases(a: Api) -> None:
    assert_problem(await a.call("other_grid", "POST", "/cases", _report()), 403,
                   "may not report in grid grid-donghu-huayuan-1")
    case_id = await a.new_case()  # a mediator's case in the first grid
    assert_problem(await a.call("other_grid", "GET", f"/cases/{case_id}"), 403, "own grid")
    listed = await a.ok("other_grid", "GET", "/cases?limit=500")
    assert {c["grid_id"] for c in listed["items"]} <= {OTHER_GRID}
    assert_problem(await a.call("mediator", "GET", "/grid-reports/mine"), 403, "grid_worker")
    # The departments' messages are not a grid worker's, not even about a case in their own grid.
    await a.ok("mediator", "POST", f"/cases/{case_id}/route",
               {"lead_department": "dept-donghu-labour", "co_departments": []})
    told = await a.ok("auditor", "GET", f"/cases/{case_id}/notifications")
    assert told, "routing tells the department"
    for who in ("grid", "other_grid"):
        seen = await a.ok(who, "GET", "/notifications")
        assert case_id not in [n["case_id"] for n in seen["items"]]
        assert_problem(await a.call(who, "POST", f"/notifications/{told[0]['notification_id']}/read", {}), 403)


async def test_bad_grid_reports_are_problems(a: Api) -> None:
    assert_problem(await a.call("grid", "POST", "/cases", _report(channel="hotline")), 422, "grid_report")
    refused = _report(on_spot={**ON_SPOT, "agreement_reached": False})
    assert_problem(await a.call("grid", "POST", "/cases", refused), 422, "agreement")
    assert_problem(await a.call("mediator", "POST", "/cases", case_body(on_spot=ON_SPOT)), 403, "grid worker")
    assert_problem(await a.call("grid", "POST", "/cases", _report(on_spot={"method": "people"})), 422)
    case_id = await a.new_case(grid_id=GRID)
    await a.ok("mediator", "POST", f"/cases/{case_id}/route",
               {"lead_department": "dept-donghu-huayuan-committee", "co_departments": []})
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/verification", {"accepted": True}), 403)


async def test_a_grid_worker_puts_forward_only_their_own_grids_cases_for_a_meeting(a: Api) -> None:
    meeting = await a.ok("supervisor", "POST", "/meetings", {
        "kind": "round_table", "title": "花园社区圆桌议事会", "at": "2026-03-10T02:00:00Z",
        "jurisdiction": "cm-donghu-huayuan", "departments": ["dept-donghu-huayuan-committee"]})
    own = (await a.ok("grid", "POST", "/cases", _report()))["case_id"]
    m = f"/meetings/{meeting['meeting_id']}"
    assert (await a.ok("grid", "POST", f"{m}/agenda", {"case_id": own}))["item_id"]
    assert_problem(await a.call("other_grid", "POST", f"{m}/agenda", {"case_id": own}), 403, "own grid")
