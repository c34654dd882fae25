"""The OpenAPI tells the truth: schemathesis (every check, bounded examples, the stateful phase on) against the
real API finds no server error and no answer the schema does not declare, for the mediator and, with fewer
examples, for every other role that calls the API (so each role's 403 and 404 answers are checked too)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest


async def _schemathesis(api: str, token: str, examples: str, report_dir: Path) -> None:
    config = Path(__file__).parent / "schemathesis.toml"
    args = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
            f"{api}/openapi.json",
            "--checks", "all", "--max-examples", examples,
            # deterministic: the same cases every run, and no example database carried between runs
            "--phases", "examples,coverage,fuzzing,stateful", "--generation-deterministic",
            "-H", f"Authorization: Bearer {token}", "--request-timeout", "60",
            "--report", "junit", "--report-dir", str(report_dir), "--no-color"]
    proc = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    (report_dir / "schemathesis.txt").write_text(text)
    assert proc.returncode == 0, text[-6000:]


async def test_schemathesis_finds_nothing(api: str, tokens: dict[str, str], tmp_path: Path) -> None:
    await _schemathesis(api, tokens["mediator"], os.environ.get("LIANDIAO_SCHEMATHESIS_EXAMPLES", "8"), tmp_path)


# The mediator's run covers the most routes with 2xx answers; the others mostly meet refusals, which the
# coverage phase (not bounded by --max-examples) already walks, so a few examples each are enough.
@pytest.mark.parametrize("role", ["supervisor", "liaison_lead", "auditor"])
async def test_schemathesis_finds_nothing_for_every_role(api: str, tokens: dict[str, str], tmp_path: Path,
                                                         role: str) -> None:
    await _schemathesis(api, tokens[role], os.environ.get("LIANDIAO_SCHEMATHESIS_ROLE_EXAMPLES", "3"), tmp_path)
