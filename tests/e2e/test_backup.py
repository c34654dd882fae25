"""`liandiao backup` of a running stack and `liandiao restore` onto an empty data dir: after the restore the
chains verify, the read models rebuild equal, and an open case's timers still fire."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from infra.db import create_pool
from tests.e2e.api_client import case_body
from tests.e2e.stack import RunningStack

# The acknowledgement deadline falls after the backup: warn at 30s and flag at 31s after routing.
POLICY = """calendar = "continuous"
timezone = "Asia/Shanghai"
[risk.low]
acknowledge_within = "30s"
reply_within = "1h"
[risk.medium]
acknowledge_within = "30s"
reply_within = "1h"
[risk.high]
acknowledge_within = "30s"
reply_within = "1h"
[risk.critical]
acknowledge_within = "30s"
reply_within = "1h"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "1s"
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], capture_output=True, text=True,
                            timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _mediator(stack: RunningStack) -> dict[str, str]:
    token = cli("token", "issue", "--role", "mediator", "--data-dir", str(stack.data_dir)).stdout.strip()
    return {"Authorization": f"Bearer {token}"}


async def _events(url: str, case_id: str) -> list[dict[str, Any]]:
    pool = await create_pool(url)
    try:
        rows = await pool.fetch("SELECT seq, type, data FROM events WHERE case_id = $1 ORDER BY seq", case_id)
        return [dict(r) for r in rows]
    finally:
        await pool.close()


async def _dump(url: str) -> dict[str, Any]:
    from tests.infra.test_projections import dump

    pool = await create_pool(url)
    try:
        return await dump(pool)
    finally:
        await pool.close()


def test_backup_of_a_running_stack_restores_onto_an_empty_data_dir(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    first = RunningStack(tmp_path / "first", "--policy", str(policy)).start()
    try:
        headers = _mediator(first)
        case_id = httpx.post(f"{first.api}/cases", json=case_body(), headers=headers, timeout=60).json()["case_id"]
        routed = httpx.post(f"{first.api}/cases/{case_id}/route", json={"lead_department": "dept-donghu-labour"},
                            headers=headers, timeout=60)
        assert routed.status_code == 200, routed.text
        done = cli("backup", str(tmp_path / "backup"), "--data-dir", str(first.data_dir))
        assert done.returncode == 0, done.stderr
        assert "backup of" in done.stdout
        again = cli("backup", str(tmp_path / "backup"), "--data-dir", str(first.data_dir))
        assert again.returncode == 1 and again.stderr.strip().endswith("into an empty directory")
    finally:
        assert first.stop() == 0
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {"postgres.dump", "temporal.db", "temporal-keys.json", "visitor-key"} <= set(manifest["files"])

    restored = cli("restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "second"))
    assert restored.returncode == 0, restored.stderr
    assert (tmp_path / "second" / "visitor-key").read_bytes() == (first.data_dir / "visitor-key").read_bytes()
    refused = cli("restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "second"))
    assert refused.returncode == 1 and "not empty" in refused.stderr

    second = RunningStack(tmp_path / "second", "--policy", str(policy)).start()
    try:
        url = second.stack_file()["database_url"]
        deadline = time.monotonic() + 180
        while True:  # the open case's timers fire on the restored stack: the whole ladder, each rung once
            events = asyncio.run(_events(url, case_id))
            levels = [e["data"].get("level") for e in events if e["type"] == "TaskEscalated"]
            if levels == [2, 3] or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert levels == [2, 3], [e["type"] for e in events]
        assert [e["type"] for e in events].count("TaskReminded") == 1
        assert len(events) > 0 and manifest["events"] < asyncio.run(_count_all(url))
        verified = cli("audit", "verify", "--data-dir", str(second.data_dir))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        while asyncio.run(_projected(url)) < asyncio.run(_count_all(url)):  # the live projector catches up
            time.sleep(0.3)
        before = asyncio.run(_dump(url))
        rebuilt = cli("projections", "rebuild", "--data-dir", str(second.data_dir))
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert asyncio.run(_dump(url)) == before
    finally:
        assert second.stop() == 0


async def _count_all(url: str) -> int:
    pool = await create_pool(url)
    try:
        return int(await pool.fetchval("SELECT count(*) FROM events"))
    finally:
        await pool.close()


async def _projected(url: str) -> int:
    pool = await create_pool(url)
    try:
        return int(await pool.fetchval("SELECT coalesce(sum(version), 0) FROM case_states"))
    finally:
        await pool.close()
