"""Servers killed at the worst moments, with real processes: PostgreSQL in the middle of an append activity and
of a projection batch, the Temporal server in the middle of a case, a worker while a timer fires. After each
recovery: nothing lost or duplicated, every chain verifies, every deadline that passed meanwhile has
escalated, the read models equal a rebuild, and no request got a 500.

"In the middle" is made certain, not hoped for: the test holds a lock that the append (or the projector's
batch) waits on, sees it waiting in pg_stat_activity, and only then kills the server."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from infra.db import connect
from tests.e2e.api_client import case_body
from tests.faults.rig import Rig, eventually

LEAD = "dept-donghu-labour"


@pytest.fixture(scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    rig = Rig(Path(tmp_path_factory.mktemp("crashes")))
    await rig.start()
    yield rig
    await rig.stop()


async def _waiting(rig: Rig, wait_event_type: str, *query_like: str) -> None:
    # Asked outside the blocker's transaction, which would see one frozen snapshot of pg_stat_activity.
    async def blocked() -> bool:
        return bool(await rig.pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = $1 AND query LIKE ANY($2::text[])",
            wait_event_type, list(query_like)))

    await eventually(blocked, what=f"a backend waiting on {wait_event_type} in {' or '.join(query_like)}")


async def _types(rig: Rig, case_id: str) -> list[str]:
    return [e.type for e in await rig.store.read_stream(case_id)]


async def _climbed(rig: Rig, case_id: str) -> None:
    """The whole ladder, each rung exactly once: reminder (1), warning (2), listed supervision (3)."""
    async def flagged() -> bool:
        return (await _types(rig, case_id)).count("TaskEscalated") >= 2

    await eventually(flagged, what="the escalations")
    events = await rig.store.read_stream(case_id)
    assert [e.type for e in events].count("TaskReminded") == 1
    assert [e.payload.level for e in events if e.type == "TaskEscalated"] == [2, 3]  # type: ignore[union-attr]


async def _new_case(rig: Rig, **changes: object) -> str:
    return str((await rig.until_ok("mediator", "POST", "/cases", case_body(**changes)))["case_id"])


async def _settle(rig: Rig, request: asyncio.Task[object]) -> None:
    # The request that was under way when the server died answers a success or a 503, never a 500.
    response = await request
    assert getattr(response, "status_code", 0) in (200, 201, 503), getattr(response, "text", response)


async def test_postgres_killed_in_the_middle_of_an_append_activity(rig: Rig) -> None:
    case_id = await _new_case(rig, risk_level="low")
    route = {"lead_department": LEAD}
    path = f"/cases/{case_id}/route"
    blocker = await connect(rig.pg.url)
    await blocker.execute("BEGIN; LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")  # appends wait on this
    request = asyncio.create_task(rig.call("mediator", "POST", path, route, {"Idempotency-Key": "append-kill"}))
    # A batch goes through liandiao_append, a single event through one INSERT (infra/event_store.py).
    await _waiting(rig, "Lock", "%liandiao_append%", "%INSERT INTO events%")
    rig.kill_postgres()
    await rig.restart_postgres()
    await _settle(rig, request)
    done = await rig.until_ok("mediator", "POST", path, route, key="append-kill")
    assert done["stage"] == "coordination"
    assert (await _types(rig, case_id)).count("CaseRouted") == 1


async def test_postgres_killed_in_the_middle_of_a_projection_batch(rig: Rig) -> None:
    from infra.projections import _LOCK

    case_id = await _new_case(rig)
    blocker = await connect(rig.pg.url)
    await blocker.execute(f"SELECT pg_advisory_lock({_LOCK})")  # the projector's batch waits inside its transaction
    path = f"/cases/{case_id}/route"
    request = asyncio.create_task(rig.call("mediator", "POST", path, {"lead_department": LEAD},
                                           {"Idempotency-Key": "projection-kill"}))
    await _waiting(rig, "Lock", "%pg_advisory_xact_lock%")
    rig.kill_postgres()
    await rig.restart_postgres()
    await _settle(rig, request)
    done = await rig.until_ok("mediator", "POST", path, {"lead_department": LEAD}, key="projection-kill")
    assert done["stage"] == "coordination"
    case = await rig.until_ok("mediator", "GET", f"/cases/{case_id}")
    assert case["stage"] == "coordination" and len(case["tasks"]) == 1


async def test_temporal_killed_mid_case_deadlines_that_passed_meanwhile_escalate(rig: Rig) -> None:
    case_id = await _new_case(rig)
    await rig.until_ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD}, key="t-route")
    rig.kill_temporal()
    await asyncio.sleep(6)  # the acknowledgement deadline (4s) and its whole ladder pass while Temporal is away
    await rig.restart_temporal()

    await _climbed(rig, case_id)

    async def shown() -> bool:  # and the read models catch up with it
        return bool((await rig.until_ok("supervisor", "GET", f"/cases/{case_id}"))["tasks"][0]["escalation_level"] == 3)

    await eventually(shown, what="listed supervision on the case")


async def test_the_read_models_equal_a_rebuild_after_all_of_it(rig: Rig) -> None:
    await rig.quiesce()
    await rig.assert_consistent()


async def test_a_worker_killed_while_a_timer_fires(tmp_path: Path) -> None:
    rig = Rig(tmp_path / "worker-kill", in_process_worker=False)
    await rig.start()
    try:
        case_id = await _new_case(rig)
        await rig.until_ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD}, key="w")

        async def reminded() -> bool:
            return "TaskReminded" in await _types(rig, case_id)

        await eventually(reminded, what="the first escalation")
        rig.worker_procs[0].send_signal(signal.SIGKILL)  # with the next rungs of the ladder about to fire
        rig.worker_procs[0].wait(10)
        await asyncio.sleep(4)  # warn and flag fall due with no worker at all
        rig.start_worker_process()

        await _climbed(rig, case_id)
        await rig.quiesce()
        await rig.assert_consistent()
    finally:
        await rig.stop()
