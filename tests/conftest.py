"""The real servers, started once per test session: embedded PostgreSQL and the Temporal dev server.
Unit tests of the domain use none of these fixtures."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from infra.db import create_pool, migrate
from infra.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port
from infra.logging import configure_logging

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
configure_logging("WARNING")


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
async def pg_url(session_dir: Path) -> AsyncIterator[str]:
    server = EmbeddedPostgres(session_dir)
    url = await server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
async def pool(pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(pg_url, max_size=20)
    await migrate(pool)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def temporal_address(session_dir: Path) -> AsyncIterator[str]:
    server = EmbeddedTemporal(session_dir, port=free_port(), ui=False)
    address = await server.start()
    yield address
    server.stop()


@pytest.fixture(scope="session")
async def temporal_client(temporal_address: str):  # type: ignore[no-untyped-def]
    from infra.temporal import connect_temporal

    return await connect_temporal(temporal_address)


@pytest.fixture(scope="session")
async def case_worker(temporal_client, pool: asyncpg.Pool) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """One worker for the session on its own task queue; yields the task queue."""
    from workers.case_worker import build_worker

    task_queue = "tests-cases"
    worker = build_worker(temporal_client, pool, task_queue)
    async with worker:
        yield task_queue


@pytest.fixture
def cases(temporal_client, case_worker: str):  # type: ignore[no-untyped-def]
    from workers.client import CaseClient

    return CaseClient(temporal_client, case_worker)
