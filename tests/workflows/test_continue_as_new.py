"""A long case continues as new whenever Temporal suggests it, and loses nothing on the way."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType

from application.case_client import CaseClient
from domain.case import CaseState, fold
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    PauseClock,
    RecordFollowUp,
    ReplyTask,
    ResumeClock,
    SubmitResolution,
    VerifyResolution,
)
from domain.vocabulary import Outcome, Satisfaction, Stage
from infra.embedded import EmbeddedTemporal, free_port
from infra.event_store import EventStore
from infra.temporal import connect_temporal
from tests.workflows.scenario import LEAD, MEDIATOR, SUPERVISOR, liaison, new_routed_case
from workers.case_worker import build_worker


@pytest.fixture(scope="module")
async def eager_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A Temporal dev server that suggests continue-as-new after only 40 history events."""
    server = EmbeddedTemporal(Path(tmp_path_factory.mktemp("can")), port=free_port(), ui=False,
                              dynamic_config={"limit.historyCount.suggestContinueAsNew": "40"})
    yield await server.start()
    server.stop()


async def test_a_long_case_continues_as_new_without_losing_anything(eager_server: str, pool: asyncpg.Pool) -> None:
    client = await connect_temporal(eager_server)
    task_queue = f"can-{uuid.uuid4().hex[:8]}"
    cases = CaseClient(client, task_queue)
    async with build_worker(client, pool, task_queue):
        case_id = await new_routed_case(cases, co=())
        first_run = (await client.get_workflow_handle(case_id).describe()).run_id
        t1 = f"{case_id}-T1"
        await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
        for n in range(15):  # many small actions: each run's history fills up quickly
            await cases.act(case_id, PauseClock(reason=f"第{n}次中止"), SUPERVISOR)
            await cases.act(case_id, ResumeClock(reason=f"第{n}次恢复"), SUPERVISOR)
        await cases.act(case_id, ReplyTask(task_id=t1, summary="已处理"), liaison(LEAD))
        await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
        await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
        await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
        await cases.act(case_id, ArchiveCase(), MEDIATOR)
        result = await client.get_workflow_handle(case_id, result_type=CaseState).result()
        described = await client.get_workflow_handle(case_id).describe()
        last_run = described.run_id

    # The search attributes set at the start were carried over by each continue-as-new, the stage upserted after.
    assert {p.key.name: p.value for p in described.typed_search_attributes if p.key.name.startswith("Liandiao")} == {
        "LiandiaoStage": "archived", "LiandiaoRisk": "medium", "LiandiaoCategory": "leak"}

    assert last_run != first_run  # it did continue as new, more than once on the way
    events = await EventStore(pool).read_stream(case_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert result.stage is Stage.archived and result.version == len(events)
    assert fold(events).model_dump() == result.model_dump()


async def test_a_case_continues_as_new_by_history_length_before_the_server_suggests_it(
    temporal_client, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    # Short histories keep a case that fell out of a worker's cache cheap to replay. The limit is
    # lowered for this worker (unsandboxed workers share the module) on a server that suggests nothing early.
    import workflows.dispute_case

    monkeypatch.setattr(workflows.dispute_case, "CONTINUE_AS_NEW_AFTER_EVENTS", 30)
    task_queue = f"can-length-{uuid.uuid4().hex[:8]}"
    cases = CaseClient(temporal_client, task_queue)
    async with build_worker(temporal_client, pool, task_queue):
        case_id = await new_routed_case(cases, co=())
        first_run = (await temporal_client.get_workflow_handle(case_id).describe()).run_id
        await cases.act(case_id, AcknowledgeTask(task_id=f"{case_id}-T1"), liaison(LEAD))
        for n in range(4):
            await cases.act(case_id, PauseClock(reason=f"第{n}次中止"), SUPERVISOR)
            await cases.act(case_id, ResumeClock(reason=f"第{n}次恢复"), SUPERVISOR)
        state = await cases.state(case_id)
        last_run = (await temporal_client.get_workflow_handle(case_id).describe()).run_id
        first = await temporal_client.get_workflow_handle(case_id, run_id=first_run).fetch_history()

    assert last_run != first_run
    assert first.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert len(first.events) < 60  # cut near the lowered limit, far below the server's suggestion
    events = await EventStore(pool).read_stream(case_id)
    assert state.version == len(events) and fold(events).model_dump() == state.model_dump()
