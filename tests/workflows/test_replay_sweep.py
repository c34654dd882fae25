"""The auditor's replay and the live workflow agree on every case of the run: one fold, one meaning."""

from __future__ import annotations

import asyncio

import asyncpg
from temporalio.service import RPCError

from application.case_client import CaseClient
from domain.case import fold
from infra.audit.timeline import replay
from infra.event_store import EventStore
from tests.workflows.test_replay import escalation, full_lifecycle


async def test_every_case_replays_to_its_live_state(cases: CaseClient, pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    # Make sure the run holds at least a full lifecycle and an escalation, whatever ran before.
    await full_lifecycle(cases)
    await escalation(cases, store)
    checked = 0
    for case_id in await store.case_ids():
        try:
            description = await cases.client.get_workflow_handle(case_id).describe()
        except RPCError:
            continue  # written straight to the store by a test, without a workflow
        if description.task_queue != cases.task_queue:
            continue  # a case of another test's worker, gone now: no one to answer the query
        live = await cases.state(case_id)
        for _ in range(20):  # a timer may append between the two reads: read again until they agree
            events = await store.read_stream(case_id)
            if events[-1].seq == live.version:
                break
            await asyncio.sleep(0.2)
            live = await cases.state(case_id)
        replayed = fold(events)
        if replayed != live:
            a, b = replayed.model_dump(), live.model_dump()
            differing = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            raise AssertionError(f"{case_id}: replay and live state differ in {differing}")
        assert replay(events, None)[0] == live, case_id
        checked += 1
    assert checked >= 2
