"""The HTTP API end to end (docs/api.md §3), against real servers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.api_client import Api, assert_problem, case_body

LEAD, CO = "dept-donghu-labour", "dept-donghu-justice"


@pytest.fixture
async def api_client(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["liaison_labour"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison")
    client.tokens["liaison_justice"] = await issue_token(pool, Role.liaison, CO, "justice liaison")
    yield client
    await client.http.aclose()


async def test_health_needs_no_token_and_the_openapi_document_is_served(api_client: Api) -> None:
    assert (await api_client.call(None, "GET", "/healthz")).json() == {
        "status": "ok", "temporal": "ok", "postgres": "ok"}
    document = (await api_client.call(None, "GET", "/openapi.json")).json()
    assert "/api/v1/cases/{case_id}/tasks/{task_id}/acknowledge" in document["paths"]


async def lead_inbox(a: Api) -> dict[str, dict[str, Any]]:
    """The lead department's inbox as its liaison reads it, by task id."""
    return {i["task_id"]: i for i in (await a.ok("liaison_labour", "GET", f"/departments/{LEAD}/inbox"))["items"]}


async def test_a_case_through_its_whole_lifecycle_over_http(api_client: Api) -> None:
    a = api_client
    created = await a.ok("mediator", "POST", "/cases", case_body())
    case_id = created["case_id"]
    assert created["stage"] == "triage" and created["duplicate_of"] is None
    assert created["suggested_route"]["lead_department"] == LEAD  # wages: the street's labour office

    routed = await a.ok("mediator", "POST", f"/cases/{case_id}/route",
                        {"lead_department": LEAD, "co_departments": [CO], "note": "人社所牵头"})
    assert routed["stage"] == "coordination"
    case = await a.ok("mediator", "GET", f"/cases/{case_id}")
    t1, t2 = (t["task_id"] for t in case["tasks"])
    # Read-your-writes: the department's inbox shows the task as soon as the route answered.
    inbox = await a.ok("liaison_labour", "GET", f"/departments/{LEAD}/inbox")
    assert t1 in [i["task_id"] for i in inbox["items"]]

    await a.ok("liaison_labour", "POST", f"/cases/{case_id}/tasks/{t1}/acknowledge", {})
    await a.ok("liaison_justice", "POST", f"/cases/{case_id}/tasks/{t2}/acknowledge", {})
    await a.ok("liaison_labour", "POST", f"/cases/{case_id}/tasks/{t1}/extension",
               {"extra": "2wd", "reason": "核实工时"})
    asked = await lead_inbox(a)
    assert asked[t1]["extension_asked"] == "2wd"  # read-your-writes: the answer waited for the projection
    await a.ok("supervisor", "POST", f"/cases/{case_id}/tasks/{t1}/extension/decision", {"approve": True})
    decided = await lead_inbox(a)
    assert decided[t1]["extension_asked"] is None
    await a.ok("supervisor", "POST", f"/cases/{case_id}/clock/pause", {"reason": "等待劳动仲裁材料"})
    paused = await lead_inbox(a)
    assert paused[t1]["clock_paused"] is True and paused[t1]["overdue"] is False  # its deadline waits
    await a.ok("supervisor", "POST", f"/cases/{case_id}/clock/resume", {"reason": "材料已到"})
    resumed = await lead_inbox(a)
    assert resumed[t1]["clock_paused"] is False and resumed[t1]["due_at"] >= paused[t1]["due_at"]
    await a.ok("mediator", "POST", f"/cases/{case_id}/meetings",
               {"at": "2026-12-01T09:30:00+08:00", "departments": [LEAD, CO], "agenda": "欠薪协调会"})
    await a.ok("mediator", "POST", f"/cases/{case_id}/mediations",
               {"method": "administrative", "agreement_reached": True, "terms": "公司分两期支付"})
    await a.ok("liaison_justice", "POST", f"/cases/{case_id}/tasks/{t2}/reply", {"summary": "已出具调解书"})
    await a.ok("liaison_labour", "POST", f"/cases/{case_id}/tasks/{t1}/reply", {"summary": "工资已结清"})
    assert (await a.ok("mediator", "POST", f"/cases/{case_id}/resolution",
                       {"outcome": "mediated", "summary": "调解成功"}))["stage"] == "supervision"
    await a.ok("supervisor", "POST", f"/cases/{case_id}/verification", {"accepted": True})
    await a.ok("mediator", "POST", f"/cases/{case_id}/follow-up", {"satisfaction": "satisfied"})
    assert (await a.ok("mediator", "POST", f"/cases/{case_id}/archive", {}))["stage"] == "archived"

    events = await a.ok("auditor", "GET", f"/cases/{case_id}/events")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "CaseArchived" and events[1]["prev_hash"] == events[0]["hash"]
    assert (await a.ok("auditor", "GET", f"/cases/{case_id}/verify"))["valid"] is True
    replayed = await a.ok("auditor", "GET", f"/cases/{case_id}/replay?upto=2")
    assert replayed["stage"] == "coordination" and replayed["tasks"] == []
    listed = await a.ok("mediator", "GET", "/cases?stage=archived&limit=500")
    assert case_id in [c["case_id"] for c in listed["items"]]
    stats = await a.ok("supervisor", "GET", "/statistics/departments")
    labour = next(s for s in stats["items"] if s["department"] == LEAD)
    assert labour["acknowledged"] >= 1


async def test_idempotent_repeats_have_effect_once(api_client: Api) -> None:
    a = api_client
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = case_body()
    first = await a.call("mediator", "POST", "/cases", body, headers=key)
    again = await a.call("mediator", "POST", "/cases", body, headers=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    case_id = first.json()["case_id"]
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "title": "别的"}, headers=key),
                   422, "different request")

    route_key = {"Idempotency-Key": f"r-{uuid.uuid4()}"}
    route = {"lead_department": LEAD}
    one = await a.call("mediator", "POST", f"/cases/{case_id}/route", route, headers=route_key)
    two = await a.call("mediator", "POST", f"/cases/{case_id}/route", route, headers=route_key)
    assert one.status_code == two.status_code == 200 and one.json() == two.json()
    events = await a.ok("auditor", "GET", f"/cases/{case_id}/events")
    assert [e["type"] for e in events].count("CaseRouted") == 1
    # A refusal is an answer too: repeated, it is the same refusal.
    refused = await a.call("mediator", "POST", f"/cases/{case_id}/archive", {}, headers={"Idempotency-Key": "x1"})
    assert_problem(refused, 409)
    assert (await a.call("mediator", "POST", f"/cases/{case_id}/archive", {},
                         headers={"Idempotency-Key": "x1"})).json() == refused.json()


async def test_personal_data_is_masked_for_roles_that_do_not_need_it(api_client: Api) -> None:
    a = api_client
    body = case_body()
    phone, id_number = body["parties"][0]["phone"], body["parties"][0]["id_number"]
    case_id = (await a.ok("mediator", "POST", "/cases", body))["case_id"]
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD})
    full = {"mediator", "auditor", "liaison_labour"}
    for role in ("mediator", "auditor", "liaison_labour", "supervisor"):
        applicant = (await a.ok(role, "GET", f"/cases/{case_id}"))["parties"][0]
        if role in full:
            assert (applicant["name"], applicant["phone"]) == ("王小明", phone), role
        else:
            assert applicant["name"] == "王**" and applicant["phone"] == f"{phone[:3]}****{phone[-4:]}"
            assert applicant["id_number"] == f"{id_number[:3]}{'*' * 11}{id_number[-4:]}"
    supervisor_events = await a.ok("supervisor", "GET", f"/cases/{case_id}/events")
    assert phone not in str(supervisor_events) and "王小明" not in str(supervisor_events)


async def test_a_duplicate_is_recognised_and_archived(api_client: Api) -> None:
    a = api_client
    unique_phone = f"137{uuid.uuid4().int % 10**8:08d}"
    parties = [{"name": "赵六", "role": "applicant", "phone": unique_phone}]
    first = await a.ok("mediator", "POST", "/cases", case_body(category="parking", parties=parties))
    second = await a.ok("mediator", "POST", "/cases", case_body(category="parking", parties=parties))
    assert second["duplicate_of"] == first["case_id"] and second["stage"] == "archived"
