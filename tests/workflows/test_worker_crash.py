"""A worker process killed in the middle of a case: a new worker finishes it, with no gap and no duplicate."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid

import asyncpg

from application.case_client import CaseClient
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    RecordFollowUp,
    ReplyTask,
    SubmitResolution,
    VerifyResolution,
)
from domain.vocabulary import Outcome, Satisfaction, Stage
from infra.event_store import EventStore
from infra.settings import Settings
from tests.conftest import TEST_KEYS
from tests.workflows.scenario import LEAD, MEDIATOR, SUPERVISOR, liaison, new_routed_case


def start_worker(pg_url: str, temporal_address: str, task_queue: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIANDIAO_DATABASE_URL": pg_url, "LIANDIAO_TEMPORAL_ADDRESS": temporal_address,
           "LIANDIAO_TASK_QUEUE": task_queue, "LIANDIAO_CODEC_KEY_FILE": str(TEST_KEYS)}
    return subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_a_case_survives_its_worker_being_killed(
    pg_url: str, temporal_address: str, temporal_client, pool: asyncpg.Pool
) -> None:
    task_queue = f"crash-{uuid.uuid4().hex[:8]}"
    cases = CaseClient(temporal_client, task_queue)
    store = EventStore(pool)
    first = start_worker(pg_url, temporal_address, task_queue)
    second = None
    try:
        case_id = await asyncio.wait_for(new_routed_case(cases, co=()), 60)
        t1 = f"{case_id}-T1"
        await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))

        # Kill the worker with an action in flight; the action completes on a new worker.
        reply = asyncio.create_task(cases.act(case_id, ReplyTask(task_id=t1, summary="已处理"), liaison(LEAD)))
        await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = start_worker(pg_url, temporal_address, task_queue)
        # the task went to the killed worker's sticky queue: the server moves it to the shared queue only when
        # the sticky schedule-to-start timeout runs out, so waiting exactly that long raced the server's timer
        await asyncio.wait_for(reply, Settings().sticky_queue_timeout_s + 30)

        await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
        await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
        await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
        assert (await cases.act(case_id, ArchiveCase(), MEDIATOR)).stage == Stage.archived
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)

    events = await store.read_stream(case_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len({e.event_id for e in events}) == len(events)
    assert [e.type for e in events].count("TaskReplied") == 1
    assert (await store.verify(case_id)).valid
