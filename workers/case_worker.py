"""The case worker: wires the event store to the case workflows. No business rules here."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.event_store import EventStoreActivities
from infra.event_store import EventStore
from workflows.dispute_case import DisputeCaseWorkflow


def build_worker(client: Client, pool: asyncpg.Pool, task_queue: str, **options: object) -> Worker:
    store_activities = EventStoreActivities(EventStore(pool))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[DisputeCaseWorkflow],
        activities=[store_activities.append_events],
        **options,  # type: ignore[arg-type]
    )
