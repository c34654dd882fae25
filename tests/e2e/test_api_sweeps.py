"""Sweeps through the HTTP API (docs/api.md §8, 排查), on the real servers with a second-scale ladder: a sweep over
a community's two grids; one grid answers with the zero report (排查无纠纷), the other stays silent and climbs
the ladder (催办, 预警, 挂牌督办), told to the centres on their real receivers, then reports late with a case
that exists as a case. A grid worker cannot report for another grid, nor twice; bad input is a clear 4xx."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn

from application.people import People
from bootstrap import build_application
from domain.organisation import Organisation
from domain.policy import parse_policy
from domain.vocabulary import Role
from entrypoints.http.app import create_app
from infra.settings import Settings
from infra.sweeps import sweep_events, verify_sweep
from tests.conftest import free_port
from tests.e2e.api_client import Api, assert_problem, case_body
from tests.receivers import Webhook
from tests.workflows.notify_setup import NO_QUIET, PUBLIC_URL, organisation
from workers.case_worker import build_worker

COMMUNITY, G1, G2 = "cm-donghu-huayuan", "grid-donghu-huayuan-1", "grid-donghu-huayuan-2"
# Reminder at half the sweep's time, the warning when it passes, listed supervision 3 s after.
FAST = """calendar = "continuous"
timezone = "Asia/Shanghai"
[risk.medium]
acknowledge_within = "1h"
reply_within = "2h"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "3s"
[follow_up]
within = "1d"
[analysis]
cluster = false  # the reported cases must not cluster with other tests' cases (their workers are gone)
""" + NO_QUIET
HISTORY = Path(__file__).parent.parent / "histories" / "sweep-escalation.json"


@dataclass
class Stack:
    api: Api
    hook: Webhook
    pool: asyncpg.Pool
    temporal: Any


async def _grid_worker(people: People, grid: str) -> str:
    login = f"gw-{uuid.uuid4().hex[:8]}"
    await people.add_user(name="赵网格", role=Role.grid_worker, jurisdiction=grid, login=login)
    return await people.issue_token(role=None, user_login=login)


@pytest.fixture
async def stack(pool: asyncpg.Pool, temporal_client, tokens: dict[str, str]) -> AsyncIterator[Stack]:  # type: ignore[no-untyped-def]
    """Its own worker and API: the demo district with the centres reached at a real webhook, the fast ladder."""
    hook = Webhook().start()
    org: Organisation = organisation(hook, None)
    queue = f"tests-sweeps-{uuid.uuid4().hex[:6]}"
    worker = build_worker(temporal_client, pool, queue, org=org, settings=Settings(public_url=PUBLIC_URL))
    services = build_application(pool, temporal_client, queue, org=org, policy=parse_policy(FAST))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off", timeout_keep_alive=300))
    async with worker:
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.05)
        api = Api(f"http://127.0.0.1:{port}/api/v1", dict(tokens))
        people = People(pool, org)
        api.tokens["g1"] = await _grid_worker(people, G1)
        api.tokens["g2"] = await _grid_worker(people, G2)
        api.tokens["leader"] = await people.issue_token(role=Role.leader)
        for key, centre in (("street", "dept-donghu-zongzhi"), ("elsewhere", "dept-xicheng-zongzhi")):
            api.tokens[key] = await people.issue_token(role=Role.mediator, department=centre)
        try:
            yield Stack(api=api, hook=hook, pool=pool, temporal=temporal_client)
        finally:
            await api.http.aclose()
            server.should_exit = True
            await task
            hook.stop()


def _found(**changes: object) -> dict[str, Any]:
    body = case_body(title="邻里噪音", category="neighbour")
    return {**{k: v for k, v in body.items() if k not in ("channel", "grid_id")}, **changes}


async def _until(predicate: Any, seconds: float = 60) -> None:
    for _ in range(int(seconds * 5)):
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("not reached in time")


async def test_one_grid_reports_none_the_silent_one_climbs_the_ladder_then_reports_late(stack: Stack) -> None:
    a = stack.api
    sweep = await a.ok("mediator", "POST", "/sweeps", {"jurisdiction": COMMUNITY, "due": "4s", "note": "春节前排查"})
    sweep_id = sweep["sweep_id"]
    assert [g["grid_id"] for g in sweep["grids"]] == [G1, G2]
    assert all(g["status"] == "pending" and g["escalation_level"] == 0 for g in sweep["grids"])

    zero = await a.ok("g1", "POST", f"/sweeps/{sweep_id}/grids/{G1}/report", {"cases": []})
    assert zero["cases"] == [] and zero["sweep"]["grids"][0]["status"] == "zero_report"
    assert_problem(await a.call("g1", "POST", f"/sweeps/{sweep_id}/grids/{G2}/report", {"cases": []}),
                   403, "own grid")
    assert_problem(await a.call("g1", "POST", f"/sweeps/{sweep_id}/grids/{G1}/report", {"cases": []}),
                   409, "already reported")

    async def flagged() -> bool:
        view = await a.ok("supervisor", "GET", f"/sweeps/{sweep_id}")
        return bool(view["grids"][1]["escalation_level"] == 3)

    await _until(flagged)
    view = await a.ok("leader", "GET", f"/sweeps/{sweep_id}")
    assert view["grids"][0]["escalation_level"] == 0  # the grid that answered is left alone
    assert view["grids"][1]["status"] == "overdue" and view["open"]
    # The centres were told on their channels, in Chinese, naming the sweep and the grid, never a person.
    await _until(lambda: _async(len([p for p in stack.hook.accepted("/street-centre")
                                     if sweep_id in p.body["message"]]) >= 3))
    told = [p.body["message"] for p in stack.hook.accepted("/street-centre") if sweep_id in p.body["message"]]
    assert any("排查催办" in t for t in told) and any("排查预警" in t for t in told)
    assert any("排查挂牌督办" in t for t in told)
    assert all(G2 in t and G1 not in t for t in told)
    async def delivered() -> bool:
        notices = (await a.ok("mediator", "GET", f"/sweeps/{sweep_id}"))["notices"]
        return len(notices) == 3 and all(d["status"] == "delivered" for n in notices for d in n["deliveries"])

    await _until(delivered)  # 送达记录: each rung on the street centre's channel, delivered
    notices = (await a.ok("mediator", "GET", f"/sweeps/{sweep_id}"))["notices"]
    assert [(n["grid_id"], n["kind"], n["level"]) for n in notices] == [
        (G2, "reminder", 1), (G2, "warning", 2), (G2, "listed_supervision", 3)]
    assert all(n["recipients"] == ["liaisons:dept-donghu-zongzhi"] and len(n["deliveries"]) == 1 for n in notices)
    # The same rungs are on the bell of the centre told, as notices of no case opening the sweep, with their
    # 送达记录; not on another street's centre's, nor on a leader's (the district's notices only).
    ids = [n["notification_id"] for n in notices]
    bell = {n["notification_id"]: n for n in (await a.ok("street", "GET", "/notifications"))["items"]}
    assert set(ids) <= set(bell)
    listed = bell[ids[2]]
    assert listed["case_id"] == "" and listed["kind"] == "listed_supervision" and listed["urgent"]
    assert listed["link"].endswith(f"/sweeps/{sweep_id}") and listed["read_at"] is None
    assert [d["status"] for d in listed["deliveries"]] == ["delivered"]
    for other in ("elsewhere", "leader"):
        seen = {n["notification_id"] for n in (await a.ok(other, "GET", "/notifications"))["items"]}
        assert not seen & set(ids), other
    read = await a.ok("street", "POST", f"/notifications/{ids[2]}/read")
    assert read["notification_id"] == ids[2] and read["read_at"]
    assert_problem(await a.call("elsewhere", "POST", f"/notifications/{ids[2]}/read"), 403, "not sent")
    types = [e.type for e in await sweep_events(stack.pool, sweep_id)]
    assert types[:2] == ["SweepStarted", "SweepGridReported"]
    assert {"SweepGridReminded", "SweepGridEscalated", "SweepNoticeDelivered"} <= set(types)

    # G2 reports late, once, with one case found; a repeat with the same Idempotency-Key answers the same.
    body = {"cases": [_found(grid_id=G2)], "note": "补报"}
    key = {"Idempotency-Key": f"sweep-{uuid.uuid4().hex}"}
    late = await a.ok("g2", "POST", f"/sweeps/{sweep_id}/grids/{G2}/report", body, headers=key)
    again = await a.ok("g2", "POST", f"/sweeps/{sweep_id}/grids/{G2}/report", body, headers=key)
    assert again == late and len(late["cases"]) == 1 and not late["sweep"]["open"]
    case = await a.ok("mediator", "GET", f"/cases/{late['cases'][0]}")
    assert case["grid_id"] == G2 and case["channel"] == "grid_report" and case["stage"] == "triage"
    assert late["sweep"]["grids"][1]["status"] == "reported"

    handle = stack.temporal.get_workflow_handle(f"sweep-{sweep_id}")
    await asyncio.wait_for(handle.result(), 60)  # every grid reported: the sweep's watch ends
    chain = await verify_sweep(stack.pool, sweep_id)
    assert chain.valid and chain.events == len(await sweep_events(stack.pool, sweep_id))
    answer = await a.ok("auditor", "GET", f"/sweeps/{sweep_id}/verify")
    assert answer == {"valid": True, "events": chain.events, "head_hash": chain.head_hash, "first_bad_seq": None}
    if os.environ.get("LIANDIAO_RECORD_HISTORIES") == "1":
        HISTORY.write_text((await handle.fetch_history()).to_json())


async def _async(value: bool) -> bool:
    return value


async def test_the_cases_of_a_report_are_received_as_cases_of_that_grid(stack: Stack) -> None:
    a = stack.api
    sweep_id = (await a.ok("supervisor", "POST", "/sweeps", {"jurisdiction": COMMUNITY, "due": "1h"}))["sweep_id"]
    on_spot = {"method": "people", "agreement_reached": True, "terms": "双方同意晚十点后不再装修"}
    got = await a.ok("g1", "POST", f"/sweeps/{sweep_id}/grids/{G1}/report",
                     {"cases": [_found(), _found(on_spot=on_spot)]})
    assert len(got["cases"]) == 2
    first, settled = [await a.ok("mediator", "GET", f"/cases/{c}") for c in got["cases"]]
    assert first["channel"] == "grid_report" and first["grid_id"] == G1 and first["stage"] == "triage"
    assert settled["stage"] == "supervision" and settled["outcome"] == "resolved_on_spot"
    mine = await a.ok("g1", "GET", "/sweeps/mine")
    ours = next(s for s in mine if s["sweep_id"] == sweep_id)
    assert ours["grids"][0]["cases"] == got["cases"] and ours["grids"][1]["status"] == "pending"
    listed = await a.ok("mediator", "GET", "/sweeps")
    assert sweep_id in [s["sweep_id"] for s in listed]
    # A case body for another grid is refused before anything is received.
    assert_problem(await a.call("g2", "POST", f"/sweeps/{sweep_id}/grids/{G2}/report",
                                {"cases": [_found(grid_id=G1)]}), 422, "cases[0]")
    assert (await a.ok("mediator", "GET", f"/sweeps/{sweep_id}"))["grids"][1]["reported_at"] is None


@pytest.mark.parametrize(("body", "words"), [
    ({"jurisdiction": COMMUNITY, "due": "soon"}, ("due", "neither a duration")),
    ({"jurisdiction": COMMUNITY, "due": "2020-01-01T09:00:00+08:00"}, ("due", "already passed")),
    ({"jurisdiction": COMMUNITY, "due": "2030-01-01T09:00:00"}, ("due", "offset")),
    ({"jurisdiction": G1, "due": "3wd"}, ("jurisdiction", "is a grid")),
    ({"jurisdiction": "st-nowhere", "due": "3wd"}, ("jurisdiction",)),
])
async def test_a_bad_sweep_is_refused_with_a_clear_422(stack: Stack, body: dict[str, str],
                                                         words: tuple[str, ...]) -> None:
    assert_problem(await stack.api.call("mediator", "POST", "/sweeps", body), 422, *words)


async def test_who_may_start_read_and_report(stack: Stack) -> None:
    a = stack.api
    body = {"jurisdiction": COMMUNITY, "due": "3wd"}
    assert_problem(await a.call("liaison_lead", "POST", "/sweeps", body), 403)
    assert_problem(await a.call("g1", "POST", "/sweeps", body), 403)
    sweep_id = (await a.ok("mediator", "POST", "/sweeps", body))["sweep_id"]
    assert_problem(await a.call("liaison_lead", "GET", f"/sweeps/{sweep_id}"), 403)
    assert_problem(await a.call("mediator", "POST", f"/sweeps/{sweep_id}/grids/{G1}/report", {"cases": []}), 403)
    assert_problem(await a.call("mediator", "GET", "/sweeps/SW-nope"), 404)
    assert_problem(await a.call("mediator", "GET", f"/sweeps/{sweep_id}/verify"), 403)
    assert_problem(await a.call("auditor", "GET", "/sweeps/SW-nope/verify"), 404)
    assert_problem(await a.call("g1", "POST", f"/sweeps/SW-nope/grids/{G1}/report", {"cases": []}), 404)
