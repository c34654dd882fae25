"""聚集预警 through the HTTP API (docs/api.md §7), over real PostgreSQL and Temporal: three cases of one category in
one community within the window open exactly one alert, recorded on each case (in its hash chain) and delivered
to the street's and the district's centres at a real receiver; a fourth joins it; another community opens none;
two intakes at once open one; a supervisor closes it, a mediator may not. Repeat visits are recorded on the case.

The API here is this module's own (the session's runs without the rule): the demo district, whose street's and
district's centres are reached at a webhook on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from temporalio.worker import Replayer

from domain.organisation import Organisation, _read_demo, load_organisation
from infra.embedded import free_port
from infra.settings import Settings
from infra.temporal import data_converter, load_codec
from tests.conftest import TEST_KEYS
from tests.e2e.api_client import Api, assert_problem, case_body
from tests.receivers import Webhook
from workers.case_worker import build_worker
from workflows.dispute_case import DisputeCaseWorkflow

TASK_QUEUE = "tests-clusters"
STREET_CENTRE, DISTRICT_CENTRE = "dept-donghu-zongzhi", "dept-linjiang-zongzhi"
# (community, its grids, a category): categories no other test of the session receives, so that only this
# module's cases are counted (the database is the session's).
A = ("cm-donghu-binhe", ("grid-donghu-binhe-1", "grid-donghu-binhe-2"), "consumer")
B = ("cm-donghu-huayuan", ("grid-donghu-huayuan-1", "grid-donghu-huayuan-2"), "consumer")
C = ("cm-donghu-binhe", ("grid-donghu-binhe-1", "grid-donghu-binhe-2"), "petition")
Place = tuple[str, tuple[str, str], str]


def organisation(hook: Webhook) -> Organisation:
    """The demo district, its street's and district's centres reached at ``hook``."""
    data: dict[str, Any] = json.loads(_read_demo())
    hooks = {STREET_CENTRE: "/street-centre", DISTRICT_CENTRE: "/district-centre"}
    for d in data["departments"]:
        if d["id"] in hooks:
            d["notify"] = {"liaisons": [hook.url(hooks[d["id"]])]}
    return load_organisation(json.dumps(data))


@pytest.fixture(scope="module")
async def hook() -> AsyncIterator[Webhook]:
    receiver = Webhook().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
async def a(pool: asyncpg.Pool, temporal_client, tokens: dict[str, str], hook: Webhook) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    """This module's API (DEFAULT_POLICY: cluster = 3 in 7 days) and a worker reaching the centres at ``hook``."""
    import uvicorn

    from bootstrap import build_application
    from domain.policy import DEFAULT_POLICY
    from domain.vocabulary import Role
    from entrypoints.http.app import create_app
    from infra.tokens import issue_token

    org = organisation(hook)
    settings = Settings(public_url="https://liandiao.example/", notify_give_up_after_s=600)
    async with build_worker(temporal_client, pool, TASK_QUEUE, org=org, settings=settings):
        services = build_application(pool, temporal_client, TASK_QUEUE, org=org, policy=DEFAULT_POLICY)
        await services.projector.catch_up()
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_config=None,
                                               lifespan="off", timeout_keep_alive=300))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.05)
        client = Api(f"http://127.0.0.1:{port}/api/v1", dict(tokens))
        client.tokens["leader"] = await issue_token(pool, Role.leader, None, "a leader")
        yield client
        await client.http.aclose()
        server.should_exit = True
        await task


async def intake(a: Api, place: Place, grid: int = 1, **changes: Any) -> dict[str, Any]:
    body = case_body(**{"category": place[2], "grid_id": place[1][grid - 1], "risk_level": "medium", **changes})
    answer: dict[str, Any] = await a.ok("mediator", "POST", "/cases", body)
    answer["body"] = body
    return answer


async def open_alerts(a: Api, place: Place) -> list[dict[str, Any]]:
    return [x for x in await a.ok("supervisor", "GET", "/analysis/alerts?status=open")
            if (x["jurisdiction"], x["category"]) == (place[0], place[2])]


async def events(a: Api, case_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await a.ok("auditor", "GET", f"/cases/{case_id}/events")
    return found


async def test_three_cases_open_one_alert_a_fourth_joins_another_community_opens_none(
        a: Api, hook: Webhook, pool: asyncpg.Pool, temporal_client) -> None:  # type: ignore[no-untyped-def]
    first, second = await intake(a, A, 1), await intake(a, A, 2)
    assert first["cluster_alert"] is None and second["cluster_alert"] is None
    assert await open_alerts(a, A) == []
    third = await intake(a, A, 1)
    alert_id = f"CL-{third['case_id']}"
    assert third["cluster_alert"] == alert_id
    ids = [first["case_id"], second["case_id"], third["case_id"]]
    [alert] = await open_alerts(a, A)
    assert {k: alert[k] for k in ("alert_id", "kind", "jurisdiction", "category", "case_ids", "status")} == {
        "alert_id": alert_id, "kind": "cluster", "jurisdiction": A[0], "category": A[2], "case_ids": ids,
        "status": "open"}
    assert alert["jurisdiction_name"] == "东湖街道滨河社区" and alert["category_name"] == "消费纠纷"
    assert alert["opened_at"]
    # ClusterDetected on each of the three, in its hash chain; the opening case carries the urgent notification.
    for case_id in ids:
        recorded = [e for e in await events(a, case_id) if e["type"] == "ClusterDetected"]
        assert [(e["data"]["alert_id"], e["data"]["opened"]) for e in recorded] == [
            (alert_id, case_id == third["case_id"])]
        assert (await a.ok("auditor", "GET", f"/cases/{case_id}/verify"))["valid"]
        assert (await a.ok("mediator", "GET", f"/cases/{case_id}"))["cluster_alerts"] == [alert_id]
    notices = [e["data"] for e in await events(a, third["case_id"]) if e["type"] == "NotificationIssued"]
    [notice] = [n for n in notices if n["kind"] == "cluster_alert"]
    assert notice["urgent"] and set(notice["recipients"]) == {f"liaisons:{STREET_CENTRE}",
                                                              f"liaisons:{DISTRICT_CENTRE}"}
    # Never deferred to the end of quiet hours, whatever the time (the policy's quiet hours are 21:00-08:00).
    assert not [e for e in await events(a, third["case_id"]) if e["type"] == "NotificationDeferred"
                and e["data"]["notification_id"] == notice["notification_id"]]
    for e in (await events(a, first["case_id"])):
        assert e["type"] != "NotificationIssued" or e["data"]["kind"] != "cluster_alert"
    # Delivered to both centres at the real receiver, with no personal data.
    for path in ("/street-centre", "/district-centre"):
        for _ in range(300):
            posts = [p.body["message"] for p in hook.accepted(path) if third["case_id"] in p.body["message"]]
            if posts:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the cluster alert never reached {path}")
        assert "滨河社区" in posts[0] and "消费纠纷类矛盾纠纷近期已达 3 件" in posts[0]
        for case in (first, second, third):
            for party in case["body"]["parties"]:
                for value in (party["name"], party.get("phone"), party.get("id_number")):
                    assert not value or value not in posts[0]
    # The history of the opening case replays on today's code.
    history = await temporal_client.get_workflow_handle(third["case_id"]).fetch_history()
    await Replayer(workflows=[DisputeCaseWorkflow],
                   data_converter=data_converter(load_codec(TEST_KEYS))).replay_workflow(history)

    # A fourth joins the open alert; no second alert opens.
    fourth = await intake(a, A, 2)
    assert fourth["cluster_alert"] == alert_id
    [alert] = await open_alerts(a, A)
    assert alert["case_ids"] == [*ids, fourth["case_id"]]
    joined = [e["data"] for e in await events(a, fourth["case_id"]) if e["type"] == "ClusterDetected"]
    assert [(d["alert_id"], d["opened"], len(d["case_ids"])) for d in joined] == [(alert_id, False, 4)]
    assert [e for e in await events(a, first["case_id"]) if e["type"] == "ClusterDetected"][1:] == []

    # The same category in another community of the same street opens none.
    elsewhere = [await intake(a, B, 1), await intake(a, B, 2)]
    assert [x["cluster_alert"] for x in elsewhere] == [None, None] and await open_alerts(a, B) == []

    # Ids, places and categories only in the new table: no phone or ID number of any party, in clear.
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM analysis_alerts")
    stored = str([dict(r) for r in rows])
    assert alert_id in stored
    for case in (first, second, third, fourth, *elsewhere):
        applicant = case["body"]["parties"][0]
        assert applicant["phone"] not in stored and applicant["id_number"] not in stored
        assert applicant["name"] not in stored


async def test_two_intakes_at_once_open_one_alert(a: Api) -> None:
    await intake(a, C, 1)
    await intake(a, C, 2)
    both = await asyncio.gather(intake(a, C, 1), intake(a, C, 2))
    [alert] = await open_alerts(a, C)
    assert len(alert["case_ids"]) == 4
    assert {x["case_id"] for x in both} <= set(alert["case_ids"])
    assert {x["cluster_alert"] for x in both} == {alert["alert_id"]}


async def test_a_supervisor_closes_an_alert_once_a_mediator_may_not(a: Api) -> None:
    [alert] = (await open_alerts(a, A)) or [None]
    if alert is None:  # run alone: make one
        for _ in range(3):
            await intake(a, A)
        [alert] = await open_alerts(a, A)
    path = f"/analysis/alerts/{alert['alert_id']}/close"
    assert_problem(await a.call("mediator", "POST", path, {"note": "已处置"}), 403, "supervisor")
    assert_problem(await a.call("supervisor", "POST", path, {"note": "   "}), 422, "note")
    assert_problem(await a.call("supervisor", "POST", path, {}), 422, "note")
    closed = await a.ok("supervisor", "POST", path, {"note": "已联合住建部门约谈物业，矛盾已化解"})
    assert closed["status"] == "closed" and closed["closed_at"] and closed["note"].startswith("已联合")
    assert_problem(await a.call("supervisor", "POST", path, {"note": "again"}), 409, "closed already")
    assert_problem(await a.call("supervisor", "POST", "/analysis/alerts/CL-none/close", {"note": "x"}), 404)
    assert await open_alerts(a, A) == []
    closed_ones = await a.ok("leader", "GET", "/analysis/alerts?status=closed")
    assert alert["alert_id"] in {x["alert_id"] for x in closed_ones}
    assert all(x["status"] == "closed" for x in closed_ones)
    assert_problem(await a.call("auditor", "GET", "/analysis/alerts"), 403, "mediator")
    assert_problem(await a.call("supervisor", "GET", "/analysis/alerts?status=done"), 422, "status")
    # The next case counts afresh: its community's cases of the window are three or more again, so a new alert.
    again = await intake(a, A)
    [reopened] = await open_alerts(a, A)
    assert again["cluster_alert"] == reopened["alert_id"] != alert["alert_id"]


async def test_a_repeat_visit_is_recorded_on_the_case(a: Api) -> None:
    first = await intake(a, B, 1, category="pre_litigation")
    applicant = {**first["body"]["parties"][0], "name": "王 小明"}
    again = await a.ok("mediator", "POST", "/cases", {**first["body"], "category": "petition",
                                                       "parties": [applicant, first["body"]["parties"][1]]})
    assert again["repeat_of"] == [first["case_id"]]
    view = await a.ok("mediator", "GET", f"/cases/{again['case_id']}")
    assert view["repeat_of"] == [first["case_id"]]
    assert (await a.ok("mediator", "GET", f"/cases/{first['case_id']}"))["repeat_of"] == []
    [received] = [e for e in await events(a, again["case_id"]) if e["type"] == "CaseReceived"]
    assert received["data"]["repeat_of"] == [first["case_id"]]
    [plain] = [e for e in await events(a, first["case_id"]) if e["type"] == "CaseReceived"]
    assert "repeat_of" not in plain["data"]  # without a repeat, CaseReceived is stored as it always was
