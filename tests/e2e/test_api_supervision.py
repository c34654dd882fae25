"""Supervision as practised through the HTTP API: the new routes' answers and their problems."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.api_client import Api, assert_problem

LEAD, CO = "dept-donghu-labour", "dept-donghu-police"


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["lead"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison")
    client.tokens["co"] = await issue_token(pool, Role.liaison, CO, "police liaison")
    yield client
    await client.http.aclose()


async def _routed(a: Api, co: list[str] | None = None) -> tuple[str, list[str]]:
    case_id = await a.new_case()
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD, "co_departments": co or []})
    tasks = (await a.ok("mediator", "GET", f"/cases/{case_id}"))["tasks"]
    return case_id, [t["task_id"] for t in tasks]


async def test_a_return_is_reviewed_and_a_co_departments_only_withdraws_its_task(a: Api) -> None:
    case_id, (lead, co) = await _routed(a, [CO])
    c = f"/cases/{case_id}"
    await a.ok("co", "POST", f"{c}/tasks/{co}/return", {"reason": "不涉及治安"})
    view = await a.ok("mediator", "GET", c)
    assert [t["status"] for t in view["tasks"]] == ["pending_ack", "return_requested"]
    board = await a.ok("supervisor", "GET", "/supervision/board?limit=500")
    assert {"case_id": case_id, "task_id": co, "kind": "return"}.items() <= next(
        d for d in board["awaiting_decision"] if d["case_id"] == case_id).items()
    done = await a.ok("supervisor", "POST", f"{c}/tasks/{co}/return/decision", {"approve": True})
    # the department that asked is told the decision (退回审批)
    assert done["stage"] == "coordination" and done["events"] == ["ReturnDecided", "TaskWithdrawn",
                                                                   "NotificationIssued"]
    await a.ok("lead", "POST", f"{c}/tasks/{lead}/return", {"reason": "不属劳动争议"})
    decision = f"{c}/tasks/{lead}/return/decision"
    refused = await a.ok("supervisor", "POST", decision, {"approve": False, "note": "属本单位"})
    assert refused["events"] == ["ReturnDecided", "NotificationIssued"]
    assert (await a.ok("mediator", "GET", c))["tasks"][0]["forced"] is True
    assert_problem(await a.call("lead", "POST", f"{c}/tasks/{lead}/return", {"reason": "再退"}), 409, "强制派单")
    assert_problem(await a.call("supervisor", "POST", f"{c}/tasks/{lead}/return/decision", {"approve": "yes"}), 422,
                   "approve")
    assert_problem(await a.call("supervisor", "POST", f"{c}/tasks/T-nope/return/decision", {"approve": True}), 404,
                   "T-nope")
    assert_problem(await a.call("supervisor", "POST", f"{c}/tasks/{lead}/return/decision", {"approve": True}), 409,
                   "return_requested")


async def test_summons_and_report(a: Api) -> None:
    case_id, _ = await _routed(a)
    c = f"/cases/{case_id}"
    assert_problem(await a.call("mediator", "POST", f"{c}/summons", {"departments": ["dept-x"], "reason": "r"}), 422,
                   "departments")
    assert_problem(await a.call("mediator", "POST", f"{c}/summons",
                                {"departments": [CO], "reason": "r", "report_within": "soon"}), 422, "duration")
    await a.ok("supervisor", "POST", f"{c}/summons", {"departments": [CO, LEAD], "reason": "吹哨报到",
                                                       "report_within": "2h"})
    view = await a.ok("mediator", "GET", c)
    (summons,) = view["summons"]
    assert summons["summons_id"] == f"{case_id}-S1"
    assert [d["department"] for d in summons["departments"]] == [CO, LEAD]
    assert_problem(await a.call("co", "POST", f"{c}/summons/{case_id}-S9/report", {}), 404, "S9")
    assert_problem(await a.call("liaison_other", "POST", f"{c}/summons/{case_id}-S1/report", {}), 403,
                   "was not summoned")
    await a.ok("co", "POST", f"{c}/summons/{case_id}-S1/report", {"note": "已到场"})
    assert_problem(await a.call("co", "POST", f"{c}/summons/{case_id}-S1/report", {}), 409, "already reported")
    view = await a.ok("mediator", "GET", c)
    assert view["summons"][0]["departments"][0]["reported_at"] is not None
    board = await a.ok("mediator", "GET", "/supervision/board?limit=500")
    assert [x["department"] for x in board["summons"] if x["case_id"] == case_id] == [LEAD]


async def test_listing_by_hand_shows_with_its_leader_until_lifted(a: Api) -> None:
    case_id, _ = await _routed(a)
    c = f"/cases/{case_id}"
    assert_problem(await a.call("supervisor", "POST", f"{c}/listing/lift", {"reason": "r"}), 409, "not listed")
    assert_problem(await a.call("supervisor", "POST", f"{c}/listing", {"leader": "", "reason": "r"}), 422, "leader")
    await a.ok("supervisor", "POST", f"{c}/listing", {"leader": "王副主任", "reason": "久拖不决"})
    assert (await a.ok("supervisor", "GET", c))["listing"]["leader"] == "王副主任"
    board = await a.ok("supervisor", "GET", "/supervision/board?limit=500")
    assert [x["leader"] for x in board["listings"] if x["case_id"] == case_id] == ["王副主任"]
    assert_problem(await a.call("supervisor", "POST", f"{c}/listing", {"leader": "李", "reason": "r"}), 409,
                   "already listed")
    await a.ok("supervisor", "POST", f"{c}/listing/lift", {"reason": "已推进"})
    assert (await a.ok("supervisor", "GET", c))["listing"] is None
    board = await a.ok("supervisor", "GET", "/supervision/board?limit=500")
    assert not [x for x in board["listings"] if x["case_id"] == case_id]


async def test_risk_minutes_commitments_and_mediation_by_a_liaison(a: Api) -> None:
    case_id, _ = await _routed(a, [CO])
    c = f"/cases/{case_id}"
    assert_problem(await a.call("mediator", "POST", f"{c}/risk", {"risk_level": "extreme", "reason": "r"}), 422,
                   "risk_level")
    await a.ok("mediator", "POST", f"{c}/risk", {"risk_level": "critical", "reason": "扬言报复"})
    assert (await a.ok("mediator", "GET", c))["risk_level"] == "critical"
    assert_problem(await a.call("supervisor", "POST", f"{c}/risk", {"risk_level": "critical", "reason": "r"}), 409,
                   "already critical")
    await a.ok("co", "POST", f"{c}/mediations", {"method": "public_security", "agreement_reached": True})
    assert_problem(await a.call("mediator", "POST", f"{c}/meetings/{case_id}-M1/minutes", {"attended": [CO]}), 404,
                   "M1")
    await a.ok("mediator", "POST", f"{c}/meetings", {"at": "2026-12-01T09:00:00+08:00", "departments": [LEAD, CO],
                                                     "agenda": "圆桌议事会"})
    absent = {"attended": [CO], "commitments": [{"department": LEAD, "what": "答复", "due_at": "2030-01-01T09:00:00Z"}]}
    assert_problem(await a.call("mediator", "POST", f"{c}/meetings/{case_id}-M1/minutes", absent), 409,
                   "did not attend")
    naive = {"attended": [CO], "commitments": [{"department": CO, "what": "答复", "due_at": "2030-01-01T09:00:00"}]}
    assert_problem(await a.call("mediator", "POST", f"{c}/meetings/{case_id}-M1/minutes", naive), 422, "due_at")
    minutes = {"attended": [CO], "commitments": [{"department": CO, "what": "查明", "due_at": "2030-01-01T09:00:00Z"}]}
    await a.ok("mediator", "POST", f"{c}/meetings/{case_id}-M1/minutes", minutes)
    view = await a.ok("mediator", "GET", c)
    assert [(x["commitment_id"], x["department"]) for x in view["commitments"]] == [(f"{case_id}-M1-C1", CO)]
    fulfil = f"{c}/commitments/{case_id}-M1-C1/fulfil"
    assert_problem(await a.call("lead", "POST", fulfil, {}), 403, "belongs to department")
    assert_problem(await a.call("co", "POST", f"{c}/commitments/{case_id}-M1-C9/fulfil", {}), 404, "C9")
    await a.ok("co", "POST", fulfil, {"note": "已查明"})


async def test_a_dissatisfied_follow_up_is_judged_by_a_supervisor(a: Api) -> None:
    case_id, (lead,) = await _routed(a)
    c = f"/cases/{case_id}"
    assert_problem(await a.call("supervisor", "POST", f"{c}/follow-up/judgement", {"reasonable": True, "reason": "r"}),
                   409, "stage")
    await a.ok("lead", "POST", f"{c}/tasks/{lead}/acknowledge", {})
    await a.ok("lead", "POST", f"{c}/tasks/{lead}/reply", {"summary": "已协调支付"})
    await a.ok("mediator", "POST", f"{c}/resolution", {"outcome": "mediated", "summary": "调解成功"})
    await a.ok("supervisor", "POST", f"{c}/verification", {"accepted": True})
    assert (await a.ok("mediator", "GET", c))["follow_up_due_at"] is not None
    await a.ok("mediator", "POST", f"{c}/follow-up", {"satisfaction": "dissatisfied"})
    assert (await a.ok("mediator", "GET", c))["complaint_pending"] is True
    assert_problem(await a.call("mediator", "POST", f"{c}/archive", {}), 409, "judgement")
    assert_problem(await a.call("supervisor", "POST", f"{c}/follow-up/judgement", {"reasonable": "no"}), 422)
    done = await a.ok("supervisor", "POST", f"{c}/follow-up/judgement", {"reasonable": True, "reason": "确未支付"})
    assert done["stage"] == "coordination"
