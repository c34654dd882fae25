"""Every benchmark runs once at a tiny size (``--smoke``), so none can rot unnoticed: it must complete and write
its rows. Nothing about speed is asserted (the figures of a smoke run mean nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = {  # script -> the results file its smoke run writes
    "notifications": "notifications.json",
    "lifecycle": "lifecycle-2-instant-cache*-workers1.json",
    "queries": "queries.json",
    "event_store": "event_store.json",
    "reports": "reports.json",
    "analysis": "analysis.json",
    "soak": "soak.json",
}


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_a_benchmark_completes_at_a_tiny_size_and_writes_its_rows(name: str, tmp_path: Path) -> None:
    env = {**os.environ, "LIANDIAO_BENCH_RESULTS": str(tmp_path)}
    done = subprocess.run([sys.executable, str(REPO / "bench" / f"{name}.py"), "--smoke"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}"
    written = list(tmp_path.glob(BENCHMARKS[name]))
    assert len(written) == 1, sorted(p.name for p in tmp_path.iterdir())
    rows = json.loads(written[0].read_text(encoding="utf-8"))["rows"]
    assert rows and all("ratio" in row for row in rows)
