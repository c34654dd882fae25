"""`liandiao up` watches the embedded servers it started: one that dies is restarted on the same data and port,
with backoff, and logged; health reports it while it comes back. A server that keeps dying (more than
``max_restarts`` deaths or failed starts within ``window`` seconds) stops the stack with one line, because a
loop of restarts would only hide what is wrong (a full disk, a broken data dir).

External servers (``LIANDIAO_*``) are not ours to restart: there the asyncpg pool makes new connections and
the Temporal client reconnects by itself once the server is back (tests/faults)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from typing import Protocol

from infra.embedded import StackError
from infra.logging import get_logger

log = get_logger(__name__)


class Server(Protocol):
    proc: subprocess.Popen[bytes] | None

    async def start(self) -> str: ...

    def stop(self) -> None: ...


class Watchdog:
    def __init__(self, servers: dict[str, Server], *, max_restarts: int = 5, window: float = 300,
                 backoff: float = 1.0, interval: float = 0.5) -> None:
        self.servers = servers
        self.max_restarts = max_restarts
        self.window = window
        self.backoff = backoff
        self.interval = interval
        self.status = dict.fromkeys(servers, "ok")
        self._deaths: dict[str, deque[float]] = {name: deque() for name in servers}

    def server_status(self, name: str) -> str | None:
        """What health says about ``name`` beyond its probe: ``None`` when it runs (or is not ours)."""
        status = self.status.get(name)
        return None if status in (None, "ok") else status

    async def run(self, stop: asyncio.Event) -> None:
        """Watch until ``stop``; raises StackError (one line) when a server cannot be kept up."""
        while not stop.is_set():
            for name, server in self.servers.items():
                if _exited(server):
                    await self._restart(name, server, stop)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def _restart(self, name: str, server: Server, stop: asyncio.Event) -> None:
        code = getattr(server.proc, "returncode", None)
        log.warning("embedded server died; restarting it on the same data", server=name, exit_code=code)
        while not stop.is_set():
            deaths = self._deaths[name]
            now = time.monotonic()
            deaths.append(now)
            while deaths and deaths[0] < now - self.window:
                deaths.popleft()
            if len(deaths) > self.max_restarts:
                self.status[name] = "failed"
                raise StackError(f"{name} died {len(deaths)} times within {self.window:.0f}s and could not be "
                                 f"kept up; see its log in the data dir")
            delay = min(self.backoff * 2 ** (len(deaths) - 1), 30)
            self.status[name] = f"restarting (attempt {len(deaths)})"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return
            _reap(server)
            try:
                await server.start()
            except StackError as exc:
                log.warning("restart failed; will try again", server=name, error=str(exc))
                continue
            self.status[name] = "ok"
            log.info("embedded server restarted", server=name, attempt=len(deaths))
            return


def _exited(server: Server) -> bool:
    proc = server.proc
    return proc is not None and proc.poll() is not None


def _reap(server: Server) -> None:
    # What the dead server left behind (PostgreSQL's backends, in its process group) must go before a new
    # one takes the data dir; then close its log file.
    proc = server.proc
    if proc is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        server.stop()
