"""Outages are 503 with Retry-After, never 500 (docs/api.md §3); reads from the read models go on while Temporal is
down; health names the server that is away; both servers come back on the same data and the API with them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.api_client import case_body
from tests.faults.rig import Rig, eventually

LEAD = "dept-donghu-labour"


@pytest.fixture(scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    rig = Rig(Path(tmp_path_factory.mktemp("outages")))
    await rig.start()
    yield rig
    await rig.stop()


def assert_unavailable(response: httpx.Response, server: str) -> None:
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == 503 and body["detail"]
    assert body.get("server", server) == server


async def test_temporal_down_reads_go_on_writes_are_503_and_resume_after(rig: Rig) -> None:
    case_id = (await rig.until_ok("mediator", "POST", "/cases", case_body()))["case_id"]
    rig.kill_temporal()
    try:
        assert (await rig.call("mediator", "GET", f"/cases/{case_id}")).status_code == 200
        listed = (await rig.call("supervisor", "GET", "/cases?limit=10")).json()
        assert case_id in [c["case_id"] for c in listed["items"]]
        assert (await rig.call("supervisor", "GET", "/supervision/board")).status_code == 200
        route = {"lead_department": LEAD}
        assert_unavailable(await rig.call("mediator", "POST", f"/cases/{case_id}/route", route,
                                          {"Idempotency-Key": "route-1"}), "temporal")
        assert_unavailable(await rig.call("mediator", "POST", "/cases", case_body()), "temporal")
        health = await rig.call(None, "GET", "/healthz")
        assert health.status_code == 503 and health.headers["Retry-After"]
        assert health.json()["postgres"] == "ok" and health.json()["temporal"] != "ok"
    finally:
        await rig.restart_temporal()
    # The client repeats with its key: the write has effect once, and nobody got a 500.
    done = await rig.until_ok("mediator", "POST", f"/cases/{case_id}/route", route, key="route-1")
    again = await rig.until_ok("mediator", "POST", f"/cases/{case_id}/route", route, key="route-1")
    assert done == again and done["stage"] == "coordination"
    assert (await rig.call(None, "GET", "/healthz")).json() == {"status": "ok", "temporal": "ok", "postgres": "ok"}
    assert 500 not in rig.statuses


async def test_postgres_down_everything_is_503_until_it_is_back(rig: Rig) -> None:
    case_id = (await rig.until_ok("mediator", "POST", "/cases", case_body()))["case_id"]
    rig.kill_postgres()
    try:
        assert_unavailable(await rig.call("mediator", "GET", f"/cases/{case_id}"), "postgres")
        assert_unavailable(await rig.call("mediator", "GET", "/cases"), "postgres")
        assert_unavailable(await rig.call("mediator", "POST", f"/cases/{case_id}/route",
                                          {"lead_department": LEAD}), "postgres")
        health = await rig.call(None, "GET", "/healthz")
        assert health.status_code == 503
        assert health.json()["temporal"] == "ok" and health.json()["postgres"] != "ok"
    finally:
        await rig.restart_postgres()
    # The pool makes new connections by itself: the same process serves again. The projector's last batch
    # (written with synchronous_commit off) may have died with the server: it is redone from the events.
    async def served() -> bool:
        return (await rig.call("mediator", "GET", f"/cases/{case_id}")).status_code == 200

    await eventually(served, what="the case served again")
    done = await rig.until_ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD},
                              key="route-after-pg")
    assert done["stage"] == "coordination"
    assert 500 not in rig.statuses
