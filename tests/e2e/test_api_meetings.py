"""Standing meetings through the HTTP API (docs/api.md §10): a round table over two cases, its agenda, its
minutes on both cases, and the problems bad input gets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.api_client import Api, assert_problem

LEAD, HOUSING, POLICE = "dept-donghu-labour", "dept-donghu-housing", "dept-donghu-police"


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["lead"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison")
    yield client
    await client.http.aclose()


async def _routed(a: Api) -> str:
    case_id = await a.new_case()
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD, "co_departments": []})
    return case_id


async def test_a_round_table_through_the_api(a: Api) -> None:
    first, second = await _routed(a), await _routed(a)
    body = {"kind": "round_table", "title": "一季度圆桌议事会", "at": "2026-03-10T02:00:00Z",
            "jurisdiction": "st-donghu", "departments": [LEAD, HOUSING, POLICE],
            "other_attendees": [{"name": "钱某", "capacity": "居民代表"}, {"name": "孙某", "capacity": "居民代表"}]}
    called = await a.ok("supervisor", "POST", "/meetings", body)
    m = f"/meetings/{called['meeting_id']}"
    item = (await a.ok("lead", "POST", f"{m}/agenda", {"case_id": first, "note": "欠薪"}))["item_id"]
    second_item = (await a.ok("mediator", "POST", f"{m}/agenda", {"case_id": second}))["item_id"]
    assert_problem(await a.call("lead", "POST", f"{m}/agenda/{item}/decision", {"accepted": True}), 403, "supervisor")
    for i in (item, second_item):
        await a.ok("supervisor", "POST", f"{m}/agenda/{i}/decision", {"accepted": True})
    minutes = {"present": [LEAD, HOUSING], "items": [
        {"case_id": first, "decision": "限期支付", "commitments": [
            {"department": LEAD, "content": "十日内答复", "due": "2030-01-01T09:00:00Z"}]},
        {"case_id": second, "decision": "联合整治", "commitments": [
            {"department": HOUSING, "content": "两周内答复", "due": "2030-01-01T09:00:00Z"}]}]}
    done = await a.ok("mediator", "POST", f"{m}/minutes", minutes)
    assert done["meeting"]["minutes"]["absent"] == [POLICE]
    for case_id, department in ((first, LEAD), (second, HOUSING)):
        view = await a.ok("mediator", "GET", f"/cases/{case_id}")
        assert [c["department"] for c in view["commitments"]] == [department]
    one = await a.ok("auditor", "GET", m)
    assert [i["accepted"] for i in one["agenda"]] == [True, True]
    listed = await a.ok("mediator", "GET", "/meetings?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z")
    assert called["meeting_id"] in [x["meeting_id"] for x in listed]
    assert_problem(await a.call("mediator", "POST", f"{m}/minutes", minutes), 409, "already recorded")


async def test_bad_meeting_input_is_a_problem(a: Api) -> None:
    assert_problem(await a.call("supervisor", "POST", "/meetings", {"kind": "tea", "title": "x"}), 422, "kind")
    assert_problem(await a.call("supervisor", "POST", "/meetings", {
        "kind": "joint", "title": "x", "at": "2026-03-10T02:00:00Z", "jurisdiction": "st-donghu",
        "departments": ["dept-nowhere"]}), 422, "dept-nowhere")
    assert_problem(await a.call("mediator", "GET", "/meetings/MT-none"), 404, "MT-none")
    assert_problem(await a.call("lead", "POST", "/meetings/MT-none/agenda", {"case_id": "C-none"}), 404, "C-none")
