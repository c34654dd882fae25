"""In-app notifications over HTTP (docs/api.md §3): each person's own unread count, and a case's 送达记录."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.api_client import Api, assert_problem

LEAD, CO = "dept-donghu-labour", "dept-donghu-justice"


@pytest.fixture
async def api_client(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["labour_a"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison a")
    client.tokens["labour_b"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison b")
    client.tokens["justice"] = await issue_token(pool, Role.liaison, CO, "justice liaison")
    yield client
    await client.http.aclose()


async def test_a_liaison_sees_its_departments_notifications_and_reads_them_for_itself(api_client: Api) -> None:
    a = api_client
    case_id = await a.new_case()
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD, "co_departments": [CO]})

    mine = await a.ok("labour_a", "GET", "/notifications?unread=true")
    (assigned,) = [n for n in mine["items"] if n["case_id"] == case_id]
    assert assigned["kind"] == "assignment" and assigned["level"] == 0 and assigned["read_at"] is None
    assert assigned["text"].startswith(f"【联调·派单】案件 {case_id}")
    assert assigned["link"].endswith(f"/cases/{case_id}")
    assert set(assigned) >= {"notification_id", "case_id", "kind", "level", "text", "link", "created_at", "read_at",
                             "deliveries"}
    # The justice office sees its own assignment, not labour's.
    theirs = await a.ok("justice", "GET", "/notifications")
    assert assigned["notification_id"] not in [n["notification_id"] for n in theirs["items"]]
    assert_problem(await a.call("justice", "POST", f"/notifications/{assigned['notification_id']}/read", {}), 403)

    before_b = (await a.ok("labour_b", "GET", "/notifications"))["unread"]
    read = await a.ok("labour_a", "POST", f"/notifications/{assigned['notification_id']}/read", {})
    assert read["read_at"]
    again = await a.ok("labour_a", "POST", f"/notifications/{assigned['notification_id']}/read", {})
    assert again["read_at"] == read["read_at"]
    after_a = await a.ok("labour_a", "GET", "/notifications?unread=true")
    assert after_a["unread"] == mine["unread"] - 1
    assert assigned["notification_id"] not in [n["notification_id"] for n in after_a["items"]]
    assert (await a.ok("labour_b", "GET", "/notifications"))["unread"] == before_b  # per person

    unknown = "00000000-0000-0000-0000-000000000000"
    assert_problem(await a.call("labour_a", "POST", f"/notifications/{unknown}/read", {}), 404)
    assert_problem(await a.call("labour_a", "POST", "/notifications/NOT%20AN%20ID/read", {}), 422)


async def test_a_cases_notifications_show_who_was_told_what_and_how(api_client: Api) -> None:
    a = api_client
    case_id = await a.new_case()
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD, "co_departments": [CO]})
    record = await a.ok("auditor", "GET", f"/cases/{case_id}/notifications")
    assert [(n["kind"], n["recipients"]) for n in record] == [
        ("assignment", [f"liaisons:{LEAD}"]), ("assignment", [f"liaisons:{CO}"])]
    assert all(n["deliveries"] == [] for n in record)  # the demo organisation names no channel: in-app only
    assert_problem(await a.call("labour_a", "GET", f"/cases/{case_id}/notifications"), 403)
    assert_problem(await a.call("auditor", "GET", "/cases/NO-SUCH/notifications"), 404)
    supervisor = await a.ok("supervisor", "GET", "/notifications")  # a district-wide token sees all
    assert {n["case_id"] for n in supervisor["items"]} >= {case_id}
