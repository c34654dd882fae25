"""上交 through the HTTP API with real servers (docs/api.md §8): a grid worker's unsettled report waits at the
community (in the street centre's triage: the community has no centre of its own), a hand-up takes it to the
street and tells the street's centre, the next to the district and the district's centre; never past the
district; a grid worker of another grid, a liaison and a stale level are refused; each centre's triage holds its
own level's cases, and a mediator without a department still sees every case in triage."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.api_client import Api, assert_problem, case_body

GRID, NEIGHBOUR_GRID = "grid-donghu-huayuan-1", "grid-donghu-huayuan-2"
STREET, DISTRICT, OTHER_STREET = "dept-donghu-zongzhi", "dept-linjiang-zongzhi", "dept-xicheng-zongzhi"


async def _person(pool, role: str, *, department: str | None = None,  # type: ignore[no-untyped-def]
                  grid: str | None = None) -> str:
    from application.people import People
    from domain.organisation import demo_organisation
    from domain.vocabulary import Role

    people = People(pool, demo_organisation())
    login = f"{role[:4]}-{uuid.uuid4().hex[:8]}"
    await people.add_user(name="测试人员", role=Role(role), department=department, jurisdiction=grid, login=login)
    return await people.issue_token(role=None, user_login=login)


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["grid"] = await _person(pool, "grid_worker", grid=GRID)
    client.tokens["neighbour"] = await _person(pool, "grid_worker", grid=NEIGHBOUR_GRID)
    client.tokens["street"] = await _person(pool, "mediator", department=STREET)
    client.tokens["district"] = await _person(pool, "mediator", department=DISTRICT)
    client.tokens["other_street"] = await _person(pool, "mediator", department=OTHER_STREET)
    client.tokens["street_desk"] = await issue_token(pool, Role.liaison, STREET, "street centre duty desk")
    client.tokens["district_desk"] = await issue_token(pool, Role.liaison, DISTRICT, "district centre duty desk")
    yield client
    await client.http.aclose()


def _report(**changes: object) -> dict[str, object]:
    return case_body(**{"channel": "grid_report", "grid_id": GRID, "title": "楼上漏水", "category": "leak", **changes})


async def _triage(a: Api, who: str) -> dict[str, dict[str, Any]]:
    page = await a.ok(who, "GET", "/cases?stage=triage&limit=500")
    return {c["case_id"]: c for c in page["items"]}


async def _handed_up_notices(a: Api, case_id: str) -> list[dict[str, Any]]:
    return [n for n in await a.ok("auditor", "GET", f"/cases/{case_id}/notifications") if n["kind"] == "handed_up"]


async def test_a_report_waits_at_the_community_and_is_handed_up_to_the_street_then_the_district(a: Api) -> None:
    case_id = (await a.ok("grid", "POST", "/cases", _report()))["case_id"]
    assert (await a.ok("grid", "GET", f"/cases/{case_id}"))["handling_level"] == "community"
    mine = {i["case_id"]: i for i in (await a.ok("grid", "GET", "/grid-reports/mine"))["items"]}
    assert mine[case_id]["handling_level"] == "community"
    # the community has no centre of its own: its street's centre has it in triage; no other centre does
    assert (await _triage(a, "street"))[case_id]["handling_level"] == "community"
    assert case_id not in await _triage(a, "district")
    assert case_id not in await _triage(a, "other_street")
    assert case_id in await _triage(a, "mediator")  # a mediator without a department: every case, as before

    done = await a.ok("grid", "POST", f"/cases/{case_id}/hand-up", {"reason": "涉及两个社区，社区协调不了"})
    assert done["events"] == ["CaseHandedUp", "NotificationIssued"] and done["stage"] == "triage"
    view = await a.ok("street", "GET", f"/cases/{case_id}")
    assert view["handling_level"] == "street"
    mine = {i["case_id"]: i for i in (await a.ok("grid", "GET", "/grid-reports/mine"))["items"]}
    assert mine[case_id]["handling_level"] == "street" and mine[case_id]["last_step"] == "CaseHandedUp"
    (told,) = await _handed_up_notices(a, case_id)
    assert told["recipients"] == [f"liaisons:{STREET}"] and told["level"] == 0
    assert told["text"].startswith(f"【联调·上交】案件 {case_id}") and "已上交至街道，请本中心接办" in told["text"]
    assert "王小明" not in told["text"] and "139" not in told["text"]  # no personal data
    at_the_street = [n for n in (await a.ok("street_desk", "GET", "/notifications"))["items"]
                     if n["case_id"] == case_id]
    assert [n["kind"] for n in at_the_street] == ["handed_up"] and at_the_street[0]["read_at"] is None
    assert case_id in await _triage(a, "street")

    # the street cannot settle it either: to the district, whose centre is told and now has it in triage
    await a.ok("street", "POST", f"/cases/{case_id}/hand-up", {"reason": "需区级协调", "from_level": "street"})
    assert (await a.ok("district", "GET", f"/cases/{case_id}"))["handling_level"] == "district"
    assert [n["recipients"] for n in await _handed_up_notices(a, case_id)] == [
        [f"liaisons:{STREET}"], [f"liaisons:{DISTRICT}"]]
    assert case_id in [n["case_id"] for n in (await a.ok("district_desk", "GET", "/notifications"))["items"]]
    assert (await _triage(a, "district"))[case_id]["handling_level"] == "district"
    assert case_id not in await _triage(a, "street")

    # no level above the district; a hand-up that saw an older level is refused, not taken two levels up
    assert_problem(await a.call("district", "POST", f"/cases/{case_id}/hand-up", {"reason": "再上交"}), 409,
                   "district")
    assert_problem(await a.call("district", "POST", f"/cases/{case_id}/hand-up",
                                {"reason": "x", "from_level": "street"}), 409, "handed up meanwhile")
    assert_problem(await a.call("street", "POST", f"/cases/{case_id}/hand-up", {"reason": "x"}), 403,
                   f"handled by {DISTRICT}")  # the district's now
    timeline = [e["type"] for e in await a.ok("auditor", "GET", f"/cases/{case_id}/events")]
    assert timeline.count("CaseHandedUp") == 2
    verified = await a.ok("auditor", "GET", f"/cases/{case_id}/verify")
    assert verified["valid"] is True


async def test_only_the_grids_own_worker_and_the_mediators_hand_up(a: Api) -> None:
    case_id = (await a.ok("grid", "POST", "/cases", _report()))["case_id"]
    assert_problem(await a.call("neighbour", "POST", f"/cases/{case_id}/hand-up", {"reason": "x"}), 403,
                   "may not act in grid")
    assert_problem(await a.call("liaison_lead", "POST", f"/cases/{case_id}/hand-up", {"reason": "x"}), 403)
    assert_problem(await a.call("grid", "POST", f"/cases/{case_id}/hand-up", {}), 422)
    assert_problem(await a.call("grid", "POST", f"/cases/{case_id}/hand-up", {"reason": "x", "from_level": "city"}),
                   422)
    assert_problem(await a.call("grid", "POST", "/cases/C-NO-SUCH/hand-up", {"reason": "x"}), 404)
    assert (await a.ok("grid", "GET", f"/cases/{case_id}"))["handling_level"] == "community"
    assert await _handed_up_notices(a, case_id) == []
    # another street's centre does not hand up what the 东湖 centre handles
    assert_problem(await a.call("other_street", "POST", f"/cases/{case_id}/hand-up", {"reason": "x"}), 403,
                   f"handled by {STREET}")
    await a.ok("grid", "POST", f"/cases/{case_id}/hand-up", {"reason": "社区协调不了"})
    # at the street it is out of the grid worker's hands
    assert_problem(await a.call("grid", "POST", f"/cases/{case_id}/hand-up", {"reason": "x"}), 403,
                   "grid worker hands up only")
    assert_problem(await a.call("other_street", "POST", f"/cases/{case_id}/hand-up", {"reason": "x"}), 403)


async def test_a_case_is_handled_where_it_was_received(a: Api) -> None:
    settled = await a.ok("grid", "POST", "/cases", _report(on_spot={
        "method": "people", "agreement_reached": True, "terms": "当场修好水管"}))
    assert (await a.ok("grid", "GET", f"/cases/{settled['case_id']}"))["handling_level"] == "grid"
    assert_problem(await a.call("grid", "POST", f"/cases/{settled['case_id']}/hand-up", {"reason": "x"}), 409,
                   "stage")  # settled on the spot: awaiting verification, not handed up
    by_street = (await a.ok("street", "POST", "/cases", case_body(grid_id=GRID)))["case_id"]
    by_district = (await a.ok("district", "POST", "/cases", case_body(grid_id=GRID)))["case_id"]
    by_anyone = await a.new_case(grid_id=GRID)  # a mediator without a department: the street, as before
    levels = {c["case_id"]: c["handling_level"] for c in (await a.ok("mediator", "GET", "/cases?limit=500"))["items"]}
    assert (levels[by_street], levels[by_district], levels[by_anyone]) == ("street", "district", "street")
    street_triage, district_triage = await _triage(a, "street"), await _triage(a, "district")
    assert by_street in street_triage and by_anyone in street_triage and by_district not in street_triage
    assert by_district in district_triage
