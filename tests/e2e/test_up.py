"""`liandiao up` end to end: starts, answers health, stops on SIGTERM with nothing left, restarts as it was."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from domain.events import SYSTEM_ACTOR, ClockPaused, PendingEvent
from infra.db import connect
from infra.embedded import free_port
from tests.e2e.stack import RunningStack, processes_using


def _wait_gone(data_dir: Path, timeout: float = 10) -> list[object]:
    deadline = time.monotonic() + timeout
    while (left := processes_using(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


async def _append_marker(url: str, case_id: str) -> None:
    from infra.db import create_pool
    from infra.event_store import EventStore

    pool = await create_pool(url)
    try:
        await EventStore(pool).append(
            case_id, 0, [PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=SYSTEM_ACTOR,
                                      payload=ClockPaused(reason="marker"))])
    finally:
        await pool.close()


async def _count(url: str, case_id: str) -> int:
    conn = await connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events WHERE case_id = $1", case_id))
    finally:
        await conn.close()


def test_up_serves_health_stops_cleanly_and_restarts_on_the_same_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    metrics_port = free_port()
    stack = RunningStack(data_dir, env={"LIANDIAO_METRICS_PORT": str(metrics_port)}).start()
    health = httpx.get(f"{stack.api}/healthz").json()
    assert health == {"status": "ok", "temporal": "ok", "postgres": "ok"}
    assert "temporal_" in httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text  # the SDK's, for Prometheus
    assert httpx.get(f"{stack.api}/openapi.json").status_code == 200
    marker = f"M-{uuid.uuid4().hex[:8]}"
    asyncio.run(_append_marker(stack.stack_file()["database_url"], marker))

    assert stack.stop() == 0
    assert _wait_gone(data_dir) == []
    assert not (data_dir / "stack.json").exists()

    again = RunningStack(data_dir).start()
    try:
        assert asyncio.run(_count(again.stack_file()["database_url"], marker)) == 1
    finally:
        assert again.stop(2) == 0  # SIGINT, as Ctrl-C sends
    assert _wait_gone(data_dir) == []


def _up_fails(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "workers.cli", "up", *args], capture_output=True, text=True,
                            timeout=120, env={**os.environ, **(env or {})})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return result


def test_a_port_in_use_is_named_and_nothing_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _up_fails(["--data-dir", str(tmp_path / "d"), "--api-port", str(port)])
        assert f"port {port} (HTTP API) is already in use" in result.stderr
        result = _up_fails(["--data-dir", str(tmp_path / "d"), "--api-port", str(free_port())],
                           env={"LIANDIAO_METRICS_PORT": str(port)})
        assert f"port {port} (metrics) is already in use" in result.stderr
    assert processes_using(tmp_path / "d") == []


def test_a_data_dir_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _up_fails(["--data-dir", str(blocker / "data")])
    assert "cannot be written" in result.stderr and str(blocker) in result.stderr


def test_an_unreachable_external_server_is_named(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    result = _up_fails(["--data-dir", str(tmp_path / "d")], env={
        "LIANDIAO_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{dead}/postgres",
        "LIANDIAO_TEMPORAL_ADDRESS": f"127.0.0.1:{dead}",
    })
    # The error is one line, the last one (structured logs may precede it on stderr).
    assert result.stderr.strip().splitlines()[-1].startswith("liandiao: cannot reach PostgreSQL at ")
