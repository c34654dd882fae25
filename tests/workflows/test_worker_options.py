"""The case worker takes its Temporal options from the settings: a burst that queues workflow tasks
for longer than the SDK's 10 s sticky timeout must not send each one back with its whole history."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from temporalio.client import Client

from infra.settings import Settings
from workers.case_worker import build_worker, task_slots


def test_the_defaults_outlast_a_morning_burst() -> None:
    settings = Settings()
    assert settings.sticky_queue_timeout_s >= 30  # half a minute of backlog on the sticky queue, no replay
    assert settings.max_concurrent_workflow_tasks >= 2


async def test_a_worker_is_built_with_the_settings_sticky_timeout_and_task_slots(
        temporal_client: Client, pool: asyncpg.Pool) -> None:
    settings = Settings(sticky_queue_timeout_s=90, max_concurrent_workflow_tasks=16)
    config = build_worker(temporal_client, pool, "options-only", settings=settings).config()
    assert config["sticky_queue_schedule_to_start_timeout"] == timedelta(seconds=90)
    assert config["max_concurrent_workflow_tasks"] == 16


def test_task_slots_stay_well_below_the_cache() -> None:
    # A cache no bigger than the slots fills with busy cases in a burst of evicted ones (task_slots).
    assert task_slots(100, 5000) == 100
    assert task_slots(100, 1000) == 100
    assert task_slots(100, 100) == 10
    assert task_slots(100, 5) == 2  # the SDK's minimum with a cache
    assert task_slots(16, 0) == 16  # no cache: nothing to fill


async def test_a_small_cache_caps_the_task_slots(temporal_client: Client, pool: asyncpg.Pool) -> None:
    settings = Settings(max_cached_workflows=100, max_concurrent_workflow_tasks=100)
    config = build_worker(temporal_client, pool, "options-only-small-cache", settings=settings).config()
    assert config["max_cached_workflows"] == 100
    assert config["max_concurrent_workflow_tasks"] == 10


async def test_a_callers_own_cache_size_caps_the_slots_too(temporal_client: Client, pool: asyncpg.Pool) -> None:
    config = build_worker(temporal_client, pool, "options-only-callers-cache", settings=Settings(),
                          max_cached_workflows=50).config()
    assert (config["max_cached_workflows"], config["max_concurrent_workflow_tasks"]) == (50, 5)
