"""A stack of real processes that the fault tests break on purpose: its own PostgreSQL and Temporal dev
server (killed with SIGKILL, restarted on the same data and ports), a case worker, the projector and the
HTTP API. Separate from the session's servers, which other tests share and must not lose."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import uvicorn
from temporalio.client import Client
from temporalio.worker import Worker

from application.case_client import CaseClient
from bootstrap import build_application
from domain.organisation import demo_organisation
from domain.policy import parse_policy
from domain.vocabulary import Role
from entrypoints.http.app import create_app
from infra.db import create_pool, migrate
from infra.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port
from infra.event_store import EventStore
from infra.projections import Projector
from infra.temporal import connect_temporal, load_codec
from infra.tokens import issue_token
from tests.conftest import TEST_KEYS
from workers.case_worker import build_worker

T = TypeVar("T")
TASK_QUEUE = "faults"


def _kill_group(proc: Any) -> None:
    # The whole process group: a crashed server takes its children (PostgreSQL's backends) with it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


# Deadlines in seconds, so that they pass during an outage: remind at 2s, warn at 4s, flag at 5s.
QUICK = """calendar = "continuous"
[risk.low]
acknowledge_within = "4s"
reply_within = "1h"
[risk.medium]
acknowledge_within = "4s"
reply_within = "1h"
[risk.high]
acknowledge_within = "4s"
reply_within = "1h"
[risk.critical]
acknowledge_within = "4s"
reply_within = "1h"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "1s"
# The rig's cases share the session's database with every other test's: clustering with those would send its
# intakes updating cases whose workers are gone.
[analysis]
cluster = false
"""


class Rig:
    def __init__(self, data_dir: Path, *, in_process_worker: bool = True) -> None:
        self.data_dir = data_dir
        self.in_process_worker = in_process_worker
        self.worker_procs: list[subprocess.Popen[bytes]] = []
        self.pg = EmbeddedPostgres(data_dir, port=free_port())
        self.temporal = EmbeddedTemporal(data_dir, port=free_port(), ui=False)
        self.codec = load_codec(TEST_KEYS)
        self.statuses: list[int] = []  # every HTTP answer the tests got: none may be a 500
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self.workers: list[Worker] = []

    async def start(self) -> None:
        await self.pg.start()
        await self.temporal.start()
        # A short acquire timeout so a request during an outage answers 503 quickly instead of hanging.
        self.pool = await create_pool(self.pg.url, max_size=10)
        await migrate(self.pool)
        self.client = await connect_temporal(self.temporal.address, codec=self.codec)
        self.store = EventStore(self.pool)
        self.projector = Projector(self.pool, self.store)
        self.cases = CaseClient(self.client, TASK_QUEUE)
        if self.in_process_worker:
            await self.start_worker()
        else:
            self.start_worker_process()
        self._tasks.append(asyncio.create_task(self.projector.run(self._stop, interval=0.2)))
        services = build_application(self.pool, self.client, TASK_QUEUE, org=demo_organisation(),
                                     policy=parse_policy(QUICK), projector=self.projector)
        port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port,
                                                    log_config=None, lifespan="off", timeout_keep_alive=300))
        self._tasks.append(asyncio.create_task(self.server.serve()))
        while not self.server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.05)
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.http = httpx.AsyncClient(timeout=120)
        self.tokens = {role: await issue_token(self.pool, Role(role), None, f"faults {role}")
                       for role in ("mediator", "supervisor", "auditor")}
        for department in ("dept-donghu-labour", "dept-donghu-huayuan-committee"):
            self.tokens[department] = await issue_token(self.pool, Role.liaison, department, "faults liaison")

    async def start_worker(self, client: Client | None = None) -> Worker:
        worker = build_worker(client or self.client, self.pool, TASK_QUEUE, seal_file=self.data_dir / "seals.jsonl")
        self._tasks.append(asyncio.create_task(worker.run()))
        self.workers.append(worker)
        return worker

    def start_worker_process(self) -> subprocess.Popen[bytes]:
        """`liandiao worker` as a process of its own, reaching the servers through the LIANDIAO_* settings."""
        env = {**os.environ, "LIANDIAO_DATABASE_URL": self.pg.url, "LIANDIAO_TEMPORAL_ADDRESS": self.temporal.address,
               "LIANDIAO_TASK_QUEUE": TASK_QUEUE, "LIANDIAO_CODEC_KEY_FILE": str(TEST_KEYS),
               "LIANDIAO_DATA_DIR": str(self.data_dir), "LIANDIAO_LOG_LEVEL": "WARNING"}
        log = open(self.data_dir / "worker.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker"], env=env, stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL)
        self.worker_procs.append(proc)
        return proc

    async def quiesce(self) -> None:
        """Stop every worker: nothing appends any more, so the read models can be compared with a rebuild."""
        for worker in self.workers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker.shutdown(), 30)
        self.workers.clear()
        for proc in self.worker_procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
        self.worker_procs.clear()

    async def assert_consistent(self) -> None:
        """After recovery: no lost or duplicated event, every chain verifies, the read models equal a rebuild,
        and no request got a 500. Call it quiesced."""
        from tests.infra.test_projections import dump

        assert 500 not in self.statuses, self.statuses
        ids = await self.pool.fetch("SELECT DISTINCT case_id FROM events")
        for row in ids:
            result = await self.store.verify(row["case_id"])
            assert result.valid, (row["case_id"], result)
        dupes = await self.pool.fetchval("SELECT count(*) - count(DISTINCT event_id) FROM events")
        assert dupes == 0
        await self.projector.catch_up()
        live = await dump(self.pool)
        await self.projector.rebuild()
        assert await dump(self.pool) == live

    async def stop(self) -> None:
        await self.quiesce()
        self._stop.set()
        self.server.should_exit = True
        for worker in self.workers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker.shutdown(), 15)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.http.aclose()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pool.close(), 10)
        self.temporal.stop()
        self.pg.stop()

    # --- breaking and mending -------------------------------------------------------------------------
    def kill_postgres(self) -> None:
        _kill_group(self.pg.proc)

    async def restart_postgres(self) -> None:
        self.pg = EmbeddedPostgres(self.data_dir, port=self.pg.port)
        await self.pg.start()

    def kill_temporal(self) -> None:
        _kill_group(self.temporal.proc)

    async def restart_temporal(self) -> None:
        self.temporal = EmbeddedTemporal(self.data_dir, port=self.temporal.port, ui=False)
        await self.temporal.start()

    # --- HTTP -----------------------------------------------------------------------------------------
    async def call(self, role: str | None, method: str, path: str, json: Any = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        h = dict(headers or {})
        if role is not None:
            h["Authorization"] = f"Bearer {self.tokens[role]}"
        response = await self.http.request(method, self.base + path, json=json, headers=h)
        self.statuses.append(response.status_code)
        return response

    async def until_ok(self, role: str, method: str, path: str, json: Any = None, key: str | None = None,
                       timeout: float = 180) -> Any:
        """Repeat a request (with one Idempotency-Key, as a client should) until it succeeds. Meanwhile only
        503s may come back, and 409 "still in progress" for a key whose first request died with the database
        before it could let go of the key (taken over after infra.idempotency.ABANDONED_AFTER_S)."""
        headers = {"Idempotency-Key": key} if key else None
        deadline = time.monotonic() + timeout
        while True:
            response = await self.call(role, method, path, json, headers)
            if response.status_code < 300:
                return response.json()
            if response.status_code == 409 and "still in progress" in response.text:
                await asyncio.sleep(1)
                continue
            assert response.status_code == 503, (response.status_code, response.text)
            assert response.headers.get("Retry-After"), response.headers
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path} still 503 after {timeout}s: {response.text}")
            await asyncio.sleep(0.5)


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 180, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy without raising (order of events, never timings)."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = await check()
            if result:
                return result
        except (AssertionError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            last = exc
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what} not reached: {last!r}")
