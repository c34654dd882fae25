"""Scale-out, proven: PostgreSQL and a Temporal dev server run as separate processes (as a managed database and a
cluster would), `liandiao up` and two more `liandiao worker` processes reach them through the LIANDIAO_*
settings, one worker is killed under load, and every case still completes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from infra.codec import load_key_ring
from infra.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port
from tests.e2e.api_client import case_body
from tests.e2e.stack import RunningStack

LEAD = "dept-donghu-labour"
CASES = 12


def _token(env: dict[str, str], role: str, department: str | None = None) -> str:
    args = [sys.executable, "-m", "entrypoints.cli", "token", "issue", "--role", role]
    args += ["--department", department] if department else []
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.strip()


async def _call(http: httpx.AsyncClient, token: str, path: str, body: Any = None, key: str | None = None) -> Any:
    """A client that repeats a write with its Idempotency-Key while the stack answers 503 (never a 500)."""
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    for _ in range(120):
        if body is None:
            response = await http.get(path, headers=headers)
        else:
            response = await http.post(path, json=body, headers=headers)
        if response.status_code < 300:
            return response.json()
        assert response.status_code == 503, (path, response.status_code, response.text)
        await asyncio.sleep(1)
    raise AssertionError(f"{path} still 503")


async def _lifecycle(http: httpx.AsyncClient, tokens: dict[str, str], n: int, routed: asyncio.Event) -> str:
    mediator, supervisor, liaison = tokens["mediator"], tokens["supervisor"], tokens["liaison"]
    case_id = (await _call(http, mediator, "/cases", case_body(), key=f"c{n}"))["case_id"]
    c = f"/cases/{case_id}"
    await _call(http, mediator, f"{c}/route", {"lead_department": LEAD}, key=f"r{n}")
    routed.set()
    task = (await _call(http, mediator, c))["tasks"][0]["task_id"]
    await _call(http, liaison, f"{c}/tasks/{task}/acknowledge", {}, key=f"a{n}")
    await _call(http, liaison, f"{c}/tasks/{task}/reply", {"summary": "已答复"}, key=f"p{n}")
    await _call(http, mediator, f"{c}/resolution", {"outcome": "mediated", "summary": "调解成功"}, key=f"s{n}")
    await _call(http, supervisor, f"{c}/verification", {"accepted": True}, key=f"v{n}")
    await _call(http, mediator, f"{c}/follow-up", {"satisfaction": "satisfied"}, key=f"f{n}")
    done = await _call(http, mediator, f"{c}/archive", {}, key=f"x{n}")
    assert done["stage"] == "archived"
    return case_id


async def test_two_more_workers_one_killed_under_load_every_case_completes(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "db", port=free_port())
    (tmp_path / "db").mkdir()
    temporal = EmbeddedTemporal(tmp_path / "db", port=free_port(), ui=False)
    await pg.start()
    await temporal.start()
    keys = tmp_path / "keys.json"
    load_key_ring(keys, create=True)  # one key file for every process of the stack
    env = {**os.environ, "LIANDIAO_DATABASE_URL": pg.url, "LIANDIAO_TEMPORAL_ADDRESS": temporal.address,
           "LIANDIAO_CODEC_KEY_FILE": str(keys), "LIANDIAO_LOG_LEVEL": "WARNING"}
    stack = RunningStack(tmp_path / "up", env=env)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        stack.start()
        for i in range(2):
            log = open(tmp_path / f"worker{i}.log", "ab")
            workers.append(subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker", "--data-dir",
                                             str(tmp_path / f"w{i}")], env=env, stdout=log, stderr=log))
        tokens = {"mediator": _token(env, "mediator"), "supervisor": _token(env, "supervisor"),
                  "liaison": _token(env, "liaison", LEAD)}
        async with httpx.AsyncClient(base_url=stack.api, timeout=120) as http:
            routed = [asyncio.Event() for _ in range(CASES)]
            runs = [asyncio.create_task(_lifecycle(http, tokens, n, routed[n])) for n in range(CASES)]
            await asyncio.gather(*(r.wait() for r in routed[: CASES // 2]))
            workers[0].send_signal(signal.SIGKILL)  # under load: half the cases are mid-way
            workers[0].wait(10)
            case_ids = await asyncio.gather(*runs)
        assert len(set(case_ids)) == CASES
        assert workers[1].poll() is None and stack.proc is not None and stack.proc.poll() is None
        verified = subprocess.run([sys.executable, "-m", "entrypoints.cli", "audit", "verify"], env=env,
                                  capture_output=True, text=True, timeout=120)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
        if stack.proc is not None:
            stack.stop()
        temporal.stop()
        pg.stop()
