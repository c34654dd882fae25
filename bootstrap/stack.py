"""`liandiao up`: the whole stack in the foreground, stopped cleanly on SIGINT/SIGTERM.

Order matters both ways: servers, migrations, worker, API up; API, worker, pool, Temporal, PostgreSQL down.
Anything that fails on the way up is torn down before the error is reported, so nothing is half-started."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from temporalio.worker import Worker

from application.calendar import follow_announced_years
from bootstrap import build_application
from domain.organisation import Organisation
from domain.policy import DEFAULT_POLICY, Policy, PolicyError, parse_policy
from entrypoints.http.app import create_app
from entrypoints.workbench.app import install as install_workbench
from infra.audit.keys import MissingKey, key_path, load_or_create_key
from infra.audit.log import run_integrator
from infra.db import create_pool, migrate
from infra.embedded import (
    EmbeddedPostgres,
    EmbeddedTemporal,
    StackError,
    ensure_writable_dir,
    listen_on,
    port_is_free,
)
from infra.event_store import EventStore
from infra.logging import get_logger
from infra.projections import Projector
from infra.settings import Settings
from infra.temporal import codec_for, connect_temporal, ensure_search_attributes
from infra.visitors import VISITOR_KEY_FILE, VisitorKeyError, load_visitor_key
from infra.watchdog import Server, Watchdog
from workers.case_worker import check_metrics_port

log = get_logger(__name__)
STACK_FILE = "stack.json"


class _Server(uvicorn.Server):
    # The stack owns the signals; uvicorn must not install its own handlers.
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


def read_stack_file(data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / STACK_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())  # type: ignore[no-any-return]


class Stack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._teardown: list[Callable[[], Awaitable[None] | None]] = []
        self.database_url = settings.database_url
        self.temporal_address = settings.temporal_address
        self.pool: asyncpg.Pool | None = None
        self.embedded: dict[str, Server] = {}  # the servers we started, which the watchdog keeps up

    def _on_stop(self, fn: Callable[[], Awaitable[None] | None]) -> None:
        self._teardown.append(fn)

    async def stop(self) -> None:
        while self._teardown:
            fn = self._teardown.pop()
            try:
                result = fn()
                if result is not None:
                    await result
            except Exception as exc:  # keep stopping the rest
                log.warning("error while stopping", error=repr(exc))

    def _lock_data_dir(self, data_dir: Path) -> None:
        lock_file = open(data_dir / ".lock", "w")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock_file.close()
            raise StackError(f"another `liandiao up` is already running on {data_dir}") from exc
        self._on_stop(lock_file.close)

    async def start(self) -> None:
        s = self.settings
        self.policy = load_policy(s.policy_file)  # a bad policy file stops us before anything starts
        self.org = load_org(s.organisation_file)  # so does a bad organisation file
        data_dir = ensure_writable_dir(s.data_dir)
        self.data_dir = data_dir
        self._lock_data_dir(data_dir)
        try:
            load_or_create_key(key_path(data_dir))  # the log's signing key: README tells operators to back it up
        except (OSError, MissingKey) as exc:
            raise StackError(f"cannot read or create the log signing key: {exc}") from exc
        try:
            self.visitor_key = load_visitor_key(data_dir / VISITOR_KEY_FILE)  # the repeat visitors' hashes
        except (OSError, VisitorKeyError) as exc:
            raise StackError(f"cannot read or create the visitor key: {exc}") from exc
        if not port_is_free(s.api_port, s.api_host):
            raise StackError(f"port {s.api_port} (HTTP API) is already in use")
        metrics_address = check_metrics_port(s)
        temporal_server = None
        if s.embedded_temporal:
            temporal_server = EmbeddedTemporal(data_dir, s.temporal_port, s.ui_port,
                                               sqlite_synchronous=s.temporal_sqlite_synchronous)
            temporal_server.check_ports()
        if s.embedded_postgres:
            pg = EmbeddedPostgres(data_dir)
            self._on_stop(pg.stop)
            self.database_url = await pg.start()
            self.embedded["postgres"] = pg
        if temporal_server is not None:
            self._on_stop(temporal_server.stop)
            self.temporal_address = await temporal_server.start()
            self.embedded["temporal"] = temporal_server
        assert self.database_url and self.temporal_address

        try:
            self.pool = await asyncio.wait_for(create_pool(self.database_url, max_size=s.db_pool_max), 10)
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            raise StackError(f"cannot reach PostgreSQL at {_redact(self.database_url)}: {exc}") from exc
        pool: asyncpg.Pool = self.pool
        self._on_stop(pool.close)
        await migrate(self.pool)
        await self._put_org_in_force()
        codec = codec_for(s, create=True)  # the first start makes the key file
        try:
            self.client = await asyncio.wait_for(
                connect_temporal(self.temporal_address, s.temporal_namespace, codec, metrics_address), 10
            )
        except StackError:  # the metrics port
            raise
        except Exception as exc:
            raise StackError(f"cannot reach Temporal at {self.temporal_address}: {exc}") from exc
        await ensure_search_attributes(self.client, s.temporal_namespace)

    async def _put_org_in_force(self) -> None:
        """Refuse an organisation that removes what open cases need; the read models are caught up first."""
        from application.organisation import OrganisationProblems, put_in_force

        assert self.pool is not None
        await Projector(self.pool, EventStore(self.pool)).catch_up()
        try:
            await put_in_force(self.pool, self.org)
        except OrganisationProblems as exc:
            raise StackError(str(exc)) from exc

    async def serve(
        self,
        stop: asyncio.Event,
        before_api: Callable[[], Awaitable[None]] | None = None,
        on_ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Run the worker, the projector and the API until ``stop``. ``before_api`` runs with the worker up
        and the API not yet listening (the demo loads there, so a healthy API already shows its cases)."""
        from bootstrap import monthly_report_activities
        from workers.case_worker import build_worker
        from workflows.monthly_report import ensure_monthly_schedule
        from workflows.seal import ensure_seal_schedule

        assert self.pool is not None
        s = self.settings
        org_listeners: list[Callable[[Organisation], None]] = []  # the admin's desk tells the worker too
        worker = build_worker(self.client, self.pool, s.task_queue, seal_file=self.data_dir / "seals.jsonl",
                              org=self.org, settings=s, org_listeners=org_listeners,
                              sandboxed=s.workflow_sandbox,
                              monthly=monthly_report_activities(self.pool, self.org, self.policy, s.public_url,
                                                                s.notify_give_up_after_s))
        await ensure_seal_schedule(self.client, s.task_queue)
        await ensure_monthly_schedule(self.client, s.task_queue)
        worker_task = asyncio.create_task(worker.run(), name="case-worker")
        background: list[asyncio.Task[Any]] = []  # cancelled on the way out, whatever stops us
        server: _Server | None = None
        api_task: asyncio.Task[None] | None = None
        watchdog_task: asyncio.Task[None] | None = None
        try:
            store = EventStore(self.pool)
            projector = Projector(self.pool, store)
            await projector.catch_up()
            background.append(asyncio.create_task(projector.run(stop), name="projector"))
            background.append(asyncio.create_task(run_integrator(self.pool, stop), name="transparency-log"))
            self.services = build_application(self.pool, self.client, s.task_queue, org=self.org,
                                              policy=self.policy, projector=projector,
                                              visitor_key=self.visitor_key)
            # A year's holidays loaded (CLI or admin desk, any host) reach the open cases' deadlines.
            background.append(asyncio.create_task(follow_announced_years(self.services, stop), name="calendar"))
            self.services.org_listeners.extend(org_listeners)
            watchdog = Watchdog(self.embedded, max_restarts=s.restart_attempts, backoff=s.restart_backoff)
            watchdog_task = asyncio.create_task(watchdog.run(stop), name="watchdog")
            if before_api is not None:
                await before_api()
            app = create_app(self.services, server_status=watchdog.server_status)
            install_workbench(app)
            # Bound here, not by uvicorn: a port taken since start()'s check is a StackError (one line, exit 1)
            # and this block's way out stops the worker and the tasks before the servers are torn down.
            sockets = listen_on(s.api_host, s.api_port, "HTTP API")
            config = uvicorn.Config(app, host=s.api_host, port=s.api_port, log_config=None, lifespan="off")
            server = _Server(config)
            api_task = asyncio.create_task(server.serve(sockets=sockets), name="http-api")
            while not server.started:
                if api_task.done():
                    await api_task
                    raise StackError(f"the HTTP API could not start on port {s.api_port}")
                await asyncio.sleep(0.05)
            stack_file = self.data_dir / STACK_FILE
            stack_file.write_text(json.dumps({
                "pid": os.getpid(), "database_url": self.database_url, "temporal_address": self.temporal_address,
                "api": f"http://{s.api_host}:{s.api_port}/api/v1",
            }))
            self._on_stop(lambda: stack_file.unlink(missing_ok=True))
            if on_ready is not None:
                await on_ready()
            done_waiter = asyncio.create_task(stop.wait())
            await asyncio.wait({done_waiter, worker_task, api_task, watchdog_task},
                               return_when=asyncio.FIRST_COMPLETED)
            done_waiter.cancel()
        finally:
            await _stop_serving(worker, server, api_task, watchdog_task, background)
        if watchdog_task.done() and not watchdog_task.cancelled() and watchdog_task.exception():
            raise watchdog_task.exception()  # type: ignore[misc]  # a StackError: one line, exit 1
        if worker_task.done() and worker_task.exception() and not stop.is_set():
            raise StackError(f"the case worker stopped: {worker_task.exception()}")


async def _stop_serving(worker: Worker, server: _Server | None, api_task: asyncio.Task[None] | None,
                        watchdog_task: asyncio.Task[None] | None, background: list[asyncio.Task[Any]]) -> None:
    """API, worker and background tasks down, in that order, however far ``serve`` got: the pool and the
    servers are stopped after this (Stack.stop), and a task still holding a connection would hang them."""
    if server is not None:
        server.should_exit = True
    if watchdog_task is not None:
        watchdog_task.cancel()
    try:
        await asyncio.wait_for(worker.shutdown(), timeout=10)
    except Exception as exc:  # keep stopping the rest
        log.warning("error while stopping the case worker", error=repr(exc))
    if api_task is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(api_task, timeout=5)
    for task in background:
        task.cancel()
    for task in background:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def load_org(path: Path | None) -> Organisation:
    from application.organisation import OrganisationProblems, read_organisation

    try:
        return read_organisation(path)
    except OrganisationProblems as exc:
        raise StackError(str(exc)) from exc


def load_policy(path: Path | None) -> Policy:
    if path is None:
        return DEFAULT_POLICY
    try:
        return parse_policy(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StackError(f"cannot read the policy file {path}: {exc.strerror}") from exc
    except PolicyError as exc:
        raise StackError(f"{path}: {exc}") from exc


def _redact(url: str) -> str:
    # never print a password
    if "@" in url and ":" in url.split("@", 1)[0].split("//", 1)[-1]:
        scheme, rest = url.split("//", 1)
        user = rest.split(":", 1)[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return url


async def run_up(settings: Settings, *, demo: bool, print_tokens: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stack = Stack(settings)
    try:
        await stack.start()

        async def demo_data() -> None:
            if demo:
                from entrypoints.demo.loader import load_demo

                await load_demo(stack, print_tokens=print_tokens)

        async def ready() -> None:
            s = settings
            lines = [
                f"LianDiao is up. Workbench 工作台: http://{s.api_host}:{s.api_port}/  ·  "
                f"HTTP API: http://{s.api_host}:{s.api_port}/api/v1 (docs: /api/v1/docs)",
                f"Temporal: {stack.temporal_address}"
                + (f" · Web UI: http://127.0.0.1:{s.ui_port}" if s.embedded_temporal else ""),
                f"Data: {stack.data_dir}  ·  Ctrl-C stops everything.",
            ]
            if s.metrics_address:
                lines.insert(2, f"Temporal SDK metrics (Prometheus): http://{s.metrics_address}/metrics")
            print("\n".join(lines), flush=True)

        await stack.serve(stop, demo_data, ready)
    finally:
        await stack.stop()
        log.info("stack stopped")
