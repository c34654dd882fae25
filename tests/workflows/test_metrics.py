"""The Temporal SDK's Prometheus metrics: the three the README says to watch are served for a working worker."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from application.case_client import CaseClient
from domain.commands import AcknowledgeTask
from infra.embedded import free_port
from infra.temporal import connect_temporal
from tests.workflows.scenario import LEAD, liaison, new_routed_case
from workers.case_worker import build_worker

# (temporal_sticky_cache_miss appears with the first miss, which a single short case need not have)
WATCH = ("temporal_workflow_task_schedule_to_start_latency", "temporal_workflow_task_execution_latency",
         "temporal_sticky_cache_hit", "temporal_sticky_cache_size")


async def test_a_worker_serves_the_task_latency_and_sticky_cache_metrics(temporal_address: str,
                                                                          pool: asyncpg.Pool) -> None:
    address = f"127.0.0.1:{free_port()}"
    client = await connect_temporal(temporal_address, metrics_address=address)
    task_queue = f"metrics-{uuid.uuid4().hex[:8]}"
    cases = CaseClient(client, task_queue)
    async with build_worker(client, pool, task_queue):
        case_id = await new_routed_case(cases, co=())
        await cases.act(case_id, AcknowledgeTask(task_id=f"{case_id}-T1"), liaison(LEAD))
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"http://{address}/metrics")).text
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    for watched in WATCH:
        assert any(n.startswith(watched) for n in names), (watched, sorted(names))
