"""Drive `liandiao up` as a user would: a real process, real ports, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from infra.embedded import free_port


class RunningStack:
    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.api_port = free_port()
        self.args = [sys.executable, "-m", "entrypoints.cli", "up", "--data-dir", str(data_dir),
                     "--api-port", str(self.api_port), "--temporal-port", str(free_port()),
                     "--ui-port", str(free_port()), *extra]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v1"

    def start(self, timeout: float = 120) -> RunningStack:
        self.log = open(self.data_dir.parent / f"{self.data_dir.name}-up.log", "a")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"liandiao up exited with {self.proc.returncode}: {self.output()}")
            try:
                if httpx.get(f"{self.api}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"liandiao up did not become healthy: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        return (self.data_dir.parent / f"{self.data_dir.name}-up.log").read_text()[-3000:]

    def stack_file(self) -> dict[str, str]:
        return json.loads((self.data_dir / "stack.json").read_text())  # type: ignore[no-any-return]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log.close()


def processes_using(data_dir: Path) -> list[psutil.Process]:
    """Every process whose command line mentions the data dir (postgres -D, temporal --db-filename)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found
