"""Who may call what (every route x every role), and every class of bad input answered as problem+json."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.e2e.api_client import Api, assert_problem, case_body

LEAD = "dept-donghu-labour"
ROLES = ("mediator", "liaison", "liaison_other", "supervisor", "auditor", "admin")
EVERYONE = set(ROLES)


@pytest.fixture
async def api_client(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["liaison"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison")
    yield client
    await client.http.aclose()


async def _case_in_coordination(a: Api) -> tuple[str, str]:
    case_id = await a.new_case()
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD})
    task_id = (await a.ok("mediator", "GET", f"/cases/{case_id}"))["tasks"][0]["task_id"]
    return case_id, task_id


def _routes(case: str, task: str) -> list[tuple[str, str, object, set[str]]]:
    c, t = f"/cases/{case}", f"/cases/{case}/tasks/{task}"
    mediator, supervisor = {"mediator"}, {"supervisor"}
    return [
        ("GET", "/jurisdictions", None, EVERYONE),
        ("GET", "/departments", None, EVERYONE),
        ("POST", "/cases", case_body(), mediator),
        ("GET", "/cases", None, {"mediator", "supervisor", "auditor", "liaison", "liaison_other"}),
        ("GET", c, None, {"mediator", "supervisor", "auditor", "liaison"}),
        ("GET", f"{c}/events", None, {"mediator", "supervisor", "auditor"}),
        ("GET", f"{c}/replay?upto=1", None, {"auditor", "supervisor"}),
        ("GET", f"{c}/verify", None, {"auditor"}),
        ("GET", f"/departments/{LEAD}/inbox", None, {"liaison", "mediator", "supervisor"}),
        ("GET", "/supervision/board", None, {"supervisor", "mediator", "auditor"}),
        ("GET", "/statistics/departments", None, {"supervisor", "mediator", "auditor"}),
        ("POST", f"{t}/extension", {"extra": "1wd", "reason": "理由"}, {"liaison"}),
        ("POST", f"{t}/extension/decision", {"approve": False}, supervisor),
        ("POST", f"{c}/clock/pause", {"reason": "理由"}, supervisor),
        ("POST", f"{c}/clock/resume", {"reason": "理由"}, supervisor),
        ("POST", f"{c}/meetings", {"at": "2026-12-01T09:00:00+08:00", "departments": [LEAD], "agenda": "议程"},
         mediator),
        # whoever mediates records it (a liaison of a department with a task on the case)
        ("POST", f"{c}/mediations", {"method": "people", "agreement_reached": False}, {"mediator", "liaison"}),
        ("POST", f"{t}/return/decision", {"approve": False}, supervisor),
        ("POST", f"{c}/summons", {"departments": [LEAD], "reason": "吹哨"}, {"mediator", "supervisor"}),
        ("POST", f"{c}/summons/{case}-S1/report", {}, {"liaison"}),
        ("POST", f"{c}/meetings/{case}-M1/minutes", {"attended": [LEAD], "commitments": [
            {"department": LEAD, "what": "答复", "due_at": "2030-01-01T09:00:00+08:00"}]}, mediator),
        ("POST", f"{c}/commitments/{case}-M1-C1/fulfil", {}, {"liaison", "mediator"}),
        ("POST", f"{c}/listing", {"leader": "王副主任", "reason": "久拖"}, supervisor),
        ("POST", f"{c}/listing/lift", {"reason": "已推进"}, supervisor),
        ("POST", f"{c}/risk", {"risk_level": "critical", "reason": "扬言报复"}, {"mediator", "supervisor"}),
        ("POST", f"{c}/follow-up/judgement", {"reasonable": False, "reason": "理由"}, supervisor),
        ("POST", f"{t}/acknowledge", {}, {"liaison"}),
        ("POST", f"{t}/reply", {"summary": "答复"}, {"liaison"}),
        ("POST", f"{c}/resolution", {"outcome": "mediated", "summary": "办结"}, mediator),
        ("POST", f"{c}/verification", {"accepted": True}, supervisor),
        ("POST", f"{c}/follow-up", {"satisfaction": "satisfied"}, mediator),
        ("POST", f"{c}/archive", {}, mediator),
        ("POST", f"{t}/return", {"reason": "理由"}, {"liaison"}),
        ("POST", f"{c}/route", {"lead_department": LEAD}, mediator),
        ("POST", f"{c}/not-accepted", {"reason": "理由"}, mediator),
    ]


async def test_every_route_against_every_role(api_client: Api) -> None:
    a = api_client
    case_id, task_id = await _case_in_coordination(a)
    for method, path, body, allowed in _routes(case_id, task_id):
        assert_problem(await a.call(None, method, path, body), 401)
        assert_problem(await a.call("not-a-token", method, path, body), 401, "unknown")
        for role in ROLES:
            if role in allowed:
                continue
            response = await a.call(role, method, path, body)
            assert response.status_code == 403, (method, path, role, response.text)
        for role in allowed:  # allowed roles pass the check (the case's stage may still refuse: 409)
            response = await a.call(role, method, path, body)
            assert response.status_code in (200, 201, 409), (method, path, role, response.text)
    # The liaison of another department is refused on this department's case and task, in words.
    other = await a.call("liaison_other", "GET", f"/cases/{case_id}")
    assert_problem(other, 403, "has no task for department")


async def test_bad_input_gets_a_clear_problem_never_a_500(api_client: Api) -> None:
    a = api_client
    case_id, task_id = await _case_in_coordination(a)
    body = case_body()
    assert_problem(await a.call("mediator", "POST", "/cases", content=b'{"title": "x",'), 400, "not valid JSON")
    assert_problem(await a.call("mediator", "POST", "/cases", content=b"[1, 2]"), 422)
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "risk_level": 5}), 422, "risk_level")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "channel": "fax"}), 422, "channel")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "title": ""}), 422, "title")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "title": "   "}), 422, "title")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "description": "长" * 5000}), 422,
                   "description")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "title": "漏水\u0000"}), 422, "control")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "title": "漏水\u202e"}), 422, "control")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "surprise": 1}), 422, "surprise")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "parties": []}), 422, "parties")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "category": "aliens"}), 422, "category")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "grid_id": "st-donghu"}), 422, "not a grid")
    assert_problem(await a.call("mediator", "POST", "/cases", {**body, "grid_id": "nowhere"}), 422, "grid_id")
    phone = {**body, "parties": [{"name": "甲", "role": "applicant", "phone": "call me"}]}
    assert_problem(await a.call("mediator", "POST", "/cases", phone), 422, "phone")
    # unknown ids
    assert_problem(await a.call("mediator", "GET", "/cases/C-nope"), 404, "C-nope")
    assert_problem(await a.call("mediator", "POST", "/cases/C-nope/archive", {}), 404)
    assert_problem(await a.call("liaison", "POST", f"/cases/{case_id}/tasks/T-nope/acknowledge", {}), 404, "T-nope")
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": "dept-x"}), 422)
    assert_problem(await a.call("mediator", "GET", "/departments/dept-x/inbox"), 404)
    assert_problem(await a.call("mediator", "GET", "/no/such/route"), 404)
    assert_problem(await a.call("mediator", "DELETE", f"/cases/{case_id}"), 405)
    # pagination
    assert_problem(await a.call("mediator", "GET", "/cases?limit=0"), 422, "limit")
    assert_problem(await a.call("mediator", "GET", "/cases?limit=abc"), 422, "limit")
    assert_problem(await a.call("mediator", "GET", "/cases?limit=100000"), 422, "limit")
    assert_problem(await a.call("mediator", "GET", "/cases?cursor=%%%garbage"), 422, "cursor")
    assert_problem(await a.call("mediator", "GET", "/cases?stage=limbo"), 422, "stage")
    assert_problem(await a.call("mediator", "GET", "/cases?overdue=perhaps"), 422, "overdue")
    # durations and booleans
    extension = f"/cases/{case_id}/tasks/{task_id}/extension"
    assert_problem(await a.call("liaison", "POST", extension, {"extra": "3x", "reason": "r"}), 422, "duration")
    decision = f"/cases/{case_id}/tasks/{task_id}/extension/decision"
    assert_problem(await a.call("supervisor", "POST", decision, {"approve": "yes"}), 422, "approve")
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/meetings",
                                {"at": "2026-12-01T09:00:00", "departments": [LEAD], "agenda": "a"}), 422, "at")
    # the wrong stage
    archive = await a.call("mediator", "POST", f"/cases/{case_id}/archive", {})
    assert_problem(archive, 409, "stage")
    # a program reads the reason from the code and its data, not from the English
    assert archive.json()["code"] == "stage" and archive.json()["refusal"]["needs"] == "supervision"
    reply = await a.call("liaison", "POST", f"/cases/{case_id}/tasks/{task_id}/reply", {"summary": "s"})
    assert_problem(reply, 409, "pending_ack")
    assert reply.json()["code"] == "task_status" and reply.json()["refusal"]["status"] == "pending_ack"


async def test_pagination_over_hundreds_of_cases_has_no_duplicates_or_holes(api_client: Api) -> None:
    a = api_client
    created: set[str] = set()
    for _ in range(10):
        ids = await asyncio.gather(*(a.new_case() for _ in range(30)))
        created.update(ids)
    seen: list[str] = []
    cursor = None
    while True:
        path = "/cases?limit=37" + (f"&cursor={cursor}" if cursor else "")
        page = await a.ok("mediator", "GET", path)
        seen += [c["case_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert created <= set(seen)
    # Filters narrow it, with the same guarantees.
    triage = (await a.ok("mediator", "GET", "/cases?stage=triage&limit=500"))["items"]
    assert all(c["stage"] == "triage" for c in triage)
