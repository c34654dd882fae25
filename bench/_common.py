"""Shared helpers for the benchmarks under bench/: the result row, a table printer, the JSON writer for
bench/results/NAME.json and a throwaway embedded PostgreSQL server.

A benchmark run as a script (``.venv/bin/python bench/NAME.py``) puts the repository root on ``sys.path``
first, then imports this module as ``bench._common``."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent
# A smoke run (the test suite's) writes elsewhere, so it never overwrites a recorded result.
RESULTS_DIR = Path(os.environ.get("LIANDIAO_BENCH_RESULTS") or REPO_ROOT / "bench" / "results")


def quiet_warnings() -> None:
    """platformdirs (pulled in by the eventsourcing/psycopg stack) warns about XDG_RUNTIME_DIR as root."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


quiet_warnings()


@dataclass(slots=True)
class Result:
    """One row: ``value`` of ``metric`` against ``baseline_value`` of ``baseline``; higher is better, so
    ``ratio = value / baseline_value``. ``target`` is the ratio we aim for, e.g. ``">= 4"``."""

    metric: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    target: str
    ratio: float = field(init=False)
    note: str | None = None

    def __post_init__(self) -> None:
        self.ratio = self.value / self.baseline_value if self.baseline_value else float("nan")

    @property
    def meets_target(self) -> bool | None:
        """Whether ``ratio`` satisfies ``target`` (``">= x"``, ``"> x"``, ``"<= x"``, ``"< x"``)."""
        text = self.target.strip()
        for op in (">=", "<=", ">", "<"):
            if text.startswith(op):
                bound = float(text[len(op):])
                return {
                    ">=": self.ratio >= bound, "<=": self.ratio <= bound,
                    ">": self.ratio > bound, "<": self.ratio < bound,
                }[op]
        return None

    def to_json(self) -> dict[str, object]:
        row = asdict(self)
        row["value"] = round(self.value, 2)
        row["baseline_value"] = round(self.baseline_value, 2)
        row["ratio"] = round(self.ratio, 3)
        row["meets_target"] = self.meets_target
        if row["note"] is None:
            del row["note"]
        return row


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def print_table(rows: Sequence[Result], *, file: TextIO | None = None) -> None:
    """Print the rows as an aligned table."""
    header = ("metric", "value", "unit", "baseline", "baseline_value", "ratio", "target", "ok")
    body = [
        (
            r.metric, _fmt(r.value), r.unit, r.baseline, _fmt(r.baseline_value), f"{r.ratio:.2f}", r.target,
            {True: "yes", False: "NO", None: "?"}[r.meets_target],
        )
        for r in rows
    ]
    numeric = {1, 4, 5}
    widths = [max(len(str(line[i])) for line in (header, *body)) for i in range(len(header))]
    out = file or sys.stdout

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(line(header), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for cells in body:
        print(line(cells), file=out)


def environment() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_results(name: str, rows: Sequence[Result], **extra: object) -> Path:
    """Write ``bench/results/NAME.json``: ``{"benchmark", "generated_at", "environment", "rows", ...}``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {
        "benchmark": name,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        **extra,
        "rows": [r.to_json() for r in rows],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def embedded_postgres() -> AsyncIterator[str]:
    """Start one embedded PostgreSQL in a fresh temp dir, yield its URL, stop it and delete the dir on the
    way out, error or not."""
    from infra.embedded import EmbeddedPostgres

    tmp = Path(tempfile.mkdtemp(prefix="liandiao-bench-"))
    server = EmbeddedPostgres(tmp)
    try:
        url = await server.start()
        yield url
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``; perf_counter based."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


class GcClock:
    """The thread CPU this process has spent in the cyclic garbage collector since ``install()``, so a
    benchmark can tell how much of its Python time the collector takes (a part of it, not in addition).
    One per process: the collector's callbacks are global."""

    seconds = 0.0
    _started = 0.0
    _installed = False

    @classmethod
    def install(cls) -> None:
        if not cls._installed:
            gc.callbacks.append(cls._callback)
            cls._installed = True

    @classmethod
    def _callback(cls, phase: str, info: dict[str, int]) -> None:
        # a collection runs to its end in the thread that started it, holding the GIL: no interleaving
        if phase == "start":
            cls._started = time.thread_time()
        else:
            cls.seconds += time.thread_time() - cls._started
