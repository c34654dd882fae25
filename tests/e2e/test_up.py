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
import pytest

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
    result = subprocess.run([sys.executable, "-m", "entrypoints.cli", "up", *args], capture_output=True, text=True,
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


def _open_for_writing_once_read(fifo: Path, proc: subprocess.Popen[str]) -> int:
    """Open the FIFO for writing as soon as `up` opens it for reading (it reads the codec key file once its
    servers are up); until we write and close it, `up` waits there, before it binds the API."""
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: nobody reads it yet
            assert proc.poll() is None, f"liandiao up exited early with {proc.returncode}"
            time.sleep(0.1)


@pytest.mark.parametrize("what", ["HTTP API", "metrics"])
def test_a_port_taken_after_the_check_is_one_line_and_nothing_is_left(tmp_path: Path, what: str) -> None:
    """The pre-check cannot close the race with another program binding the port before `up` does: the bind
    itself must fail as cleanly (one line, non-zero exit, the embedded servers stopped)."""
    from infra.codec import KeyRing

    data_dir = tmp_path / "d"
    fifo = tmp_path / "codec-keys.json"
    os.mkfifo(fifo)
    with socket.socket() as taker:
        # Bound but not listening, with SO_REUSEADDR as the pre-check binds: Linux lets both bind while neither
        # listens, so the pre-check passes; listening before `up` binds takes the port from under it.
        taker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taker.bind(("127.0.0.1", 0))
        port = taker.getsockname()[1]
        api_port, env = (port, {}) if what == "HTTP API" else (free_port(), {"LIANDIAO_METRICS_PORT": str(port)})
        args = ["up", "--data-dir", str(data_dir), "--api-port", str(api_port), "--temporal-port", str(free_port()),
                "--ui-port", str(free_port())]
        with open(tmp_path / "stderr", "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", *args], stdout=subprocess.DEVNULL,
                                    stderr=err, text=True,
                                    env={**os.environ, **env, "LIANDIAO_CODEC_KEY_FILE": str(fifo)})
            try:
                writer = _open_for_writing_once_read(fifo, proc)
                taker.listen()  # `up` is past the pre-check and waits on the FIFO: it has not bound yet
                os.set_blocking(writer, True)
                with os.fdopen(writer, "w") as keys:
                    keys.write(KeyRing.new().to_json())
                returncode = proc.wait(180)
            finally:
                if proc.poll() is None:
                    proc.kill()
    stderr = (tmp_path / "stderr").read_text()
    assert returncode != 0
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == f"liandiao: port {port} ({what}) is already in use", stderr
    assert _wait_gone(data_dir) == []
    assert not (data_dir / "stack.json").exists()
