"""A worker SIGKILLed in the middle of a delivery: a new worker delivers the message, none is lost; and what the
workers logged meanwhile holds no personal data and no channel secret, one outbox line per notification."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import asyncpg

from application.case_client import CaseClient
from domain.commands import RouteCase
from domain.events import NotificationDelivered
from infra.event_store import EventStore
from tests.conftest import TEST_KEYS
from tests.receivers import Webhook
from tests.workflows.notify_setup import NO_QUIET, SECRET, issued, organisation_data, outcomes, posts_for, settled
from tests.workflows.scenario import CALM, CO, LEAD, MEDIATOR, receive_command, wait_for_events


def start_worker(pg_url: str, temporal_address: str, task_queue: str, org_file: Path, log: Path
                 ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIANDIAO_DATABASE_URL": pg_url, "LIANDIAO_TEMPORAL_ADDRESS": temporal_address,
           "LIANDIAO_TASK_QUEUE": task_queue, "LIANDIAO_ORGANISATION_FILE": str(org_file),
           "LIANDIAO_LOG_LEVEL": "INFO",
           "LIANDIAO_CODEC_KEY_FILE": str(TEST_KEYS)}
    with log.open("ab") as sink:
        return subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker"], env=env,
                                stdout=sink, stderr=sink)


async def test_a_worker_killed_mid_delivery_loses_no_message(
    pg_url: str, temporal_address: str, temporal_client, pool: asyncpg.Pool, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    hook = Webhook().start()
    gate = hook.hold["/lead/liaison"] = threading.Event()  # the receiver keeps the first post waiting
    org_file, log = tmp_path / "org.json", tmp_path / "worker.log"
    org_file.write_text(json.dumps(organisation_data(hook, None)), encoding="utf-8")
    task_queue = f"notify-crash-{uuid.uuid4().hex[:8]}"
    cases = CaseClient(temporal_client, task_queue)
    store = EventStore(pool)
    first = start_worker(pg_url, temporal_address, task_queue, org_file, log)
    second = None
    try:
        case_id = f"K-{uuid.uuid4().hex[:10]}"
        command = receive_command(CALM + NO_QUIET, title="张三家楼上漏水 13800001234")
        await asyncio.wait_for(cases.receive(case_id, command, MEDIATOR), 60)
        await cases.act(case_id, RouteCase(lead_department=LEAD, co_departments=(CO,)), MEDIATOR)
        for _ in range(300):  # the assignment's post has reached the receiver, which holds it
            if any(case_id in p.body["message"] for p in hook.posts if p.path == "/lead/liaison"):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the assignment never reached the receiver")

        first.send_signal(signal.SIGKILL)  # in the middle of the delivery: sent, not answered, not marked
        first.wait(10)
        gate.set()  # the receiver answers the dead worker (503); the message has not been accepted yet
        second = start_worker(pg_url, temporal_address, task_queue, org_file, log)
        events = await wait_for_events(store, case_id, lambda es: settled(es, "assignment"), 120)

        assert len(posts_for(hook, case_id, "/lead/liaison")) == 1
        to_lead = next(n for n in issued(events) if n.recipients == (f"liaisons:{LEAD}",))
        delivered = outcomes(events)[(to_lead.notification_id, to_lead.targets[0].channel_id)].payload
        assert isinstance(delivered, NotificationDelivered) and delivered.attempts == 2
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(10)
        hook.stop()

    lines = log.read_text(encoding="utf-8").splitlines()
    text = "\n".join(lines)
    for value in ("张三", "李四", "13800001234", SECRET, f"127.0.0.1:{hook.port}/"):
        assert value not in text, f"{value!r} in the worker's log"
    recorded = [json.loads(line) for line in lines if '"notification recorded"' in line]
    assert sorted(r["kind"] for r in recorded if r["case_id"] == case_id) == ["assignment", "assignment"]
