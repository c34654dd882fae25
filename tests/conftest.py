"""The real servers, started once per test session: embedded PostgreSQL and the Temporal dev server.
Unit tests of the domain use none of these fixtures."""

from __future__ import annotations

import uuid
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


TEST_KEYS = Path(__file__).parent / "temporal-test-keys.json"


@pytest.fixture(scope="session")
def codec():  # type: ignore[no-untyped-def]
    """The payload codec every test client, worker and replayer uses. Its key ring is the tests' own (never a
    real stack's), committed so that histories recorded through it replay in any later run."""
    from infra.temporal import load_codec

    return load_codec(TEST_KEYS)


@pytest.fixture(scope="session")
async def temporal_client(temporal_address: str, codec):  # type: ignore[no-untyped-def]
    from infra.temporal import connect_temporal

    return await connect_temporal(temporal_address, codec=codec)


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
    from application.case_client import CaseClient

    return CaseClient(temporal_client, case_worker)


@pytest.fixture(scope="session")
async def api(pool: asyncpg.Pool, temporal_client, case_worker: str) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """The HTTP API served by uvicorn on a free port, over the session's real servers; yields its base URL."""
    import asyncio

    import uvicorn

    from bootstrap import build_application
    from domain.organisation import demo_organisation
    from domain.policy import DEFAULT_POLICY, AnalysisPolicy
    from entrypoints.http.app import create_app

    # Without cluster alerts (聚集预警): the tests sharing this API receive cases of a few categories in a few
    # communities all session long, and would cluster among themselves. tests/e2e/test_cluster_alerts_api.py
    # runs its own API, with the default rule, over communities of its own.
    policy = DEFAULT_POLICY.model_copy(update={"analysis": AnalysisPolicy(cluster=None)})
    services = build_application(pool, temporal_client, case_worker, org=demo_organisation(), policy=policy)
    await services.projector.catch_up()
    port = free_port()
    # Keep-alive outlasts any pause between a test's requests: a batch of concurrent requests on a loaded
    # machine can leave a connection idle past uvicorn's 5 s default, and a reuse racing the server's close
    # is a ReadError that says nothing about the code under test.
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off", timeout_keep_alive=300))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}/api/v1"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def tokens(pool: asyncpg.Pool) -> dict[str, str]:
    """One token per role, and liaisons of two departments (LEAD, CO of the scenarios) and of a third."""
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    made = {}
    for role in ("mediator", "supervisor", "auditor", "admin"):
        made[role] = await issue_token(pool, Role(role), None, f"test {role}")
    for key, department in (("lead", "dept-donghu-huayuan-committee"), ("co", "dept-donghu-housing"),
                            ("other", "dept-xicheng-police")):
        made[f"liaison_{key}"] = await issue_token(pool, Role.liaison, department, f"test liaison {key}")
    return made


@pytest.fixture
async def own_pool(pool: asyncpg.Pool, pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A database of its own on the session's server, migrated, for tests that compare whole tables (the
    session's read models are shared with every other test that appends events)."""
    name = f"own_{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE DATABASE {name}")
    own = await create_pool(f"{pg_url.rsplit('/', 1)[0]}/{name}", max_size=6)
    try:
        await migrate(own)
        yield own
    finally:
        await own.close()
        async with pool.acquire() as conn:
            await conn.execute(f"DROP DATABASE {name}")
