"""`liandiao up` keeps the servers it started alive: a killed PostgreSQL or Temporal comes back on the same data
(health says so meanwhile), the API serves again, and a server that keeps dying stops `up` with one line."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import psutil

from domain.vocabulary import Role
from infra.db import create_pool
from infra.tokens import issue_token
from tests.e2e.api_client import case_body
from tests.e2e.stack import RunningStack


def _server(stack: RunningStack, name: str) -> psutil.Process:
    assert stack.proc is not None
    for child in psutil.Process(stack.proc.pid).children():
        if name in " ".join(child.cmdline()):
            return child
    raise AssertionError(f"no {name} under liandiao up")


def _kill(proc: psutil.Process) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # a crash: the server and everything it started, at once
    proc.wait(10)


def _health_until_ok(stack: RunningStack, timeout: float = 120) -> list[dict[str, str]]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{stack.api}/healthz", timeout=10)
        except httpx.HTTPError:
            continue
        assert response.status_code in (200, 503), response.text
        seen.append(response.json())
        if response.status_code == 200:
            return seen
        assert response.headers["Retry-After"]
        time.sleep(0.2)
    raise AssertionError(f"never healthy again: {seen[-3:]}")


def _token(stack: RunningStack) -> str:
    async def issue() -> str:
        pool = await create_pool(stack.stack_file()["database_url"])
        try:
            return await issue_token(pool, Role.mediator, None, "self-healing")
        finally:
            await pool.close()

    return asyncio.run(issue())


def _new_case(stack: RunningStack, token: str) -> httpx.Response:
    return httpx.post(f"{stack.api}/cases", json=case_body(), timeout=60,
                      headers={"Authorization": f"Bearer {token}"})


def test_killed_servers_come_back_and_a_server_that_keeps_dying_stops_up(tmp_path: Path) -> None:
    stack = RunningStack(tmp_path / "data", env={"LIANDIAO_RESTART_ATTEMPTS": "2",
                                                 "LIANDIAO_RESTART_BACKOFF": "0.5"}).start()
    try:
        token = _token(stack)
        assert _new_case(stack, token).status_code == 201
        for name, probe in (("postgres", "postgres"), ("temporal", "temporal")):
            old = _server(stack, f"{name} ")
            _kill(old)
            seen = _health_until_ok(stack)
            assert seen[0][probe] != "ok", seen[0]  # it was away, and health said which one
            assert _server(stack, f"{name} ").pid != old.pid
            response = _new_case(stack, token)
            assert response.status_code in (201, 503), response.text
            if response.status_code == 503:  # the worker's first poll after a restart may lag behind health
                assert response.headers["Retry-After"]
            assert stack.proc is not None and stack.proc.poll() is None
        log = stack.output()
        assert "restarting it on the same data" in log and "embedded server restarted" in log

        # Now PostgreSQL cannot start again: its data dir is broken. `up` gives up with one line and exit 1.
        pg = _server(stack, "postgres ")
        (stack.data_dir / "postgres" / "PG_VERSION").write_text("1\n")
        _kill(pg)
        assert stack.proc is not None
        assert stack.proc.wait(120) == 1
        last = stack.output().strip().splitlines()[-1]
        assert last.startswith("liandiao: postgres died") and "could not be kept up" in last, last
    finally:
        stack.stop()
