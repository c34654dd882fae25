"""The district's figures at scale: the p99 of a month's scores (考核) against a plain count over the same
facts, and a ledger (台账) of 10,000 rows streamed as a workbook, on one embedded PostgreSQL.

    .venv/bin/python bench/reports.py [--cases N] [--rounds R] [--smoke]

The facts are written straight into the read models the reports read (``task_facts``, ``follow_up_facts``,
``case_summaries`` and the ``case_states`` fields the ledger reads), by COPY, as the projector would leave
them: no events, no workflows (bench/queries.py measures the projector). The default: 100,000 cases received
evenly over the past year (what some 1,000,000 events fold to), over 100 departments and the demo
organisation's grids; about 160,000 tasks and 74,000 follow-ups.

Rows:

* ``scores_p99_ms``: p99 of ``application.reports.district_scores`` for the last full month (every figure,
  ranked, named), against the p99 of a plain ``SELECT department, count(*) FROM task_facts WHERE reply_due_at
  in the month GROUP BY department`` in the same run, the two alternating; ratio = scores / plain, target
  <= 3.
* ``hotspots_p99_ms``: p99 of ``application.analysis.district_analysis`` for the same month by street (研判:
  the month's and the month before's tallies by grid and category, rolled up, the heat table, the repeat
  visitors), against the p99 of a bare ``SELECT grid_id, category, count(*) FROM case_summaries WHERE
  received_at in the month GROUP BY grid_id, category`` in the same run, alternating; target <= 3.
* ``ledger_xlsx_peak_rss_growth_mib``: the process's peak resident memory while ``application.ledger`` writes
  the workbook of the first 10,000 cases' days (read through the server-side cursor, streamed), above what it
  held before; against the 100 MiB target, ratio = growth / 100, target <= 1. The rows and the time taken are
  in the context, with the growth of the same rows fetched at once into a workbook built in memory (what the
  meter sees when nothing is streamed)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import gc
import io
import json
import random
import statistics
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

from bench._common import Result, Stopwatch, embedded_postgres, print_table, quiet_warnings, write_results

quiet_warnings()

import asyncpg  # noqa: E402

from application.analysis import district_analysis  # noqa: E402
from application.ledger import Format, ledger_rows, write_ledger  # noqa: E402
from application.reports import district_scores  # noqa: E402
from domain.analysis import HotspotBy  # noqa: E402
from domain.events import Actor  # noqa: E402
from domain.figures import SHANGHAI, Period  # noqa: E402
from domain.organisation import JurisdictionLevel, demo_organisation  # noqa: E402
from domain.policy import Scoring  # noqa: E402
from domain.vocabulary import Role  # noqa: E402
from infra.db import create_pool, migrate  # noqa: E402
from infra.logging import configure_logging  # noqa: E402

DEFAULT_CASES, SMOKE_CASES = 100_000, 3_000
LEDGER_ROWS = 10_000
DEFAULT_ROUNDS, WARMUP = 200, 10
DEPARTMENTS = [f"dept-bench-{n:03d}" for n in range(100)]
CATEGORIES = ["leak", "wages", "property_fee", "parking", "heating", "pet_noise", "family", "land_boundary"]
CHANNELS = ["walk_in", "hotline", "grid_report", "online"]
RISKS = ["low", "medium", "high", "critical"]
SATISFACTION = ["satisfied", "basically_satisfied", "dissatisfied"]
OUTCOMES = ["mediated", "partially_resolved", "referred_to_litigation", "withdrawn", "no_basis"]
ORG = demo_organisation()
GRIDS = [j.id for j in ORG.jurisdictions if j.level is JurisdictionLevel.grid]
SUPERVISOR = Actor(role=Role.supervisor, id="sup-bench", department="centre")
MEDIATOR = Actor(role=Role.mediator, id="med-bench", department="centre")
TARGET_RSS_MIB = 100.0
H, D = timedelta(hours=1), timedelta(days=1)
NOW = datetime.now(SHANGHAI).replace(microsecond=0)
START = NOW - 365 * D


# --------------------------------------------------------------------------------------------- the facts


def received_at(n: int, cases: int) -> datetime:
    """Case ``n`` of ``cases``, received evenly over the past year: a ledger's rows are a span of days."""
    return START + (n * 365 * D) / cases


def make_case(n: int, cases: int) -> tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]],
                                           list[tuple[Any, ...]]]:
    """Case ``n``: its summary row, its state row, its task facts and its follow-up facts."""
    rng = random.Random(n)
    case_id = f"C-{n:07d}"
    received = received_at(n, cases)
    departments = rng.sample(DEPARTMENTS, 3)
    co = departments[1:1 + rng.choices((0, 1, 2), weights=(50, 40, 10))[0]]
    tasks: list[tuple[Any, ...]] = []
    replied_all = True
    for i, (department, role) in enumerate([(departments[0], "lead"), *((d, "co") for d in co)], start=1):
        assigned = received + H
        ack_due, reply_due = assigned + 24 * H, assigned + 7 * D + rng.choice((0, 0, 0, 3)) * D
        acknowledged = assigned + rng.uniform(0.5, 30) * H if rng.random() < 0.95 else None
        replied = assigned + rng.uniform(2, 9) * D if acknowledged and rng.random() < 0.85 else None
        if replied is not None and replied > NOW:
            replied = None
        if acknowledged is not None and acknowledged > NOW:
            acknowledged = None
        replied_all = replied_all and replied is not None
        lead = role == "lead"
        tasks.append((case_id, f"{case_id}-T{i}", department, role, assigned, ack_due, acknowledged, reply_due,
                      replied, rng.random() < 0.05, rng.random() < 0.02, lead and rng.random() < 0.05,
                      received + 10 * D if lead and rng.random() < 0.02 else None,
                      rng.randint(1, 4) if replied and rng.random() < 0.3 else None))
    follow_ups: list[tuple[Any, ...]] = []
    satisfaction = None
    closed = replied_all and rng.random() < 0.7 and received + 12 * D < NOW
    if closed:
        satisfaction = rng.choice(SATISFACTION)
        follow_ups = [(case_id, 1, t[2], received + 11 * D, satisfaction) for t in tasks if t[8] is not None]
    archived = received + 12 * D if closed and satisfaction != "dissatisfied" else None
    stage = "archived" if archived else "supervision" if closed else "coordination"
    outcome = rng.choice(OUTCOMES) if closed else None
    summary = (case_id, stage, "小区夜间施工噪音扰民", rng.choice(CATEGORIES), rng.choice(CHANNELS), rng.choice(GRIDS),
               rng.choice(RISKS), received, archived or received + D, 10, [departments[0], *co], departments[0], 0,
               None, outcome, satisfaction, 0, "resolved" if archived else None, None)
    state = {"case_id": case_id, "version": 10,
             "parties": [{"name": "张某某", "role": "applicant", "phone": f"138{rng.randrange(10**8):08d}"},
                         {"name": "某建筑公司", "role": "respondent"}],
             "documents": [{"number": f"（{received.year}）东湖人调字第{n + 1}号"}] if rng.random() < 0.4 else [],
             "archived_at": archived.isoformat() if archived else None}
    return summary, (case_id, 10, json.dumps(state, ensure_ascii=False)), tasks, follow_ups


_SUMMARY_COLUMNS = ("case_id", "stage", "title", "category", "channel", "grid_id", "risk_level", "received_at",
                    "updated_at", "version", "departments", "lead_department", "escalation_level", "overdue_since",
                    "outcome", "satisfaction", "reopen_count", "archive_reason", "party_fingerprint")
_TASK_COLUMNS = ("case_id", "task_id", "department", "role", "assigned_at", "acknowledge_due_at", "acknowledged_at",
                 "reply_due_at", "replied_at", "returned", "cancelled", "case_reopened", "listed_at", "grade_points")


async def seed(pool: asyncpg.Pool, cases: int) -> dict[str, int]:
    """COPY every case's rows, 10,000 cases at a time; the rows written per table."""
    written = {"case_summaries": 0, "case_states": 0, "task_facts": 0, "follow_up_facts": 0}
    for first in range(0, cases, 10_000):
        summaries, states, tasks, follow_ups = [], [], [], []
        for n in range(first, min(first + 10_000, cases)):
            summary, state, t, f = make_case(n, cases)
            summaries.append(summary)
            states.append(state)
            tasks += t
            follow_ups += f
        async with pool.acquire() as conn:
            await conn.copy_records_to_table("case_summaries", records=summaries, columns=_SUMMARY_COLUMNS)
            await conn.execute(
                "INSERT INTO case_states (case_id, version, state) "
                "SELECT * FROM unnest($1::text[], $2::int[], $3::text[]::jsonb[])",
                [s[0] for s in states], [s[1] for s in states], [s[2] for s in states])
            await conn.copy_records_to_table("task_facts", records=tasks, columns=_TASK_COLUMNS)
            await conn.copy_records_to_table("follow_up_facts", records=follow_ups,
                                             columns=("case_id", "n", "department", "at", "satisfaction"))
        for table, rows in (("case_summaries", summaries), ("case_states", states), ("task_facts", tasks),
                            ("follow_up_facts", follow_ups)):
            written[table] += len(rows)
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE")
    return written


# --------------------------------------------------------------------------------------------- measures

PLAIN = """SELECT department, count(*) FROM task_facts WHERE reply_due_at >= $1 AND reply_due_at < $2
            GROUP BY department"""


def last_full_month() -> Period:
    first_of_this = NOW.date().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return Period.parse(f"{last.year}-{last.month:02d}")


async def scores_against_plain(pool: asyncpg.Pool, month: Period, rounds: int) -> tuple[list[float], list[float]]:
    """The times in ms of ``rounds`` scores and as many plain counts, alternating, after a warm-up."""
    scoring = Scoring()

    async def scores() -> None:
        await district_scores(pool, ORG, scoring, NOW, SUPERVISOR, month)

    async def plain() -> None:
        async with pool.acquire() as conn:
            await conn.fetch(PLAIN, month.start, month.end)

    for _ in range(WARMUP):
        await scores()
        await plain()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for call, into in ((scores, times[0]), (plain, times[1])):
            start = time.perf_counter()
            await call()
            into.append((time.perf_counter() - start) * 1000)
    return times


BARE_TALLY = """SELECT grid_id, category, count(*) FROM case_summaries WHERE received_at >= $1 AND received_at < $2
                 GROUP BY grid_id, category"""


async def hotspots_against_bare(pool: asyncpg.Pool, month: Period, rounds: int) -> tuple[list[float], list[float]]:
    """The times in ms of ``rounds`` 研判 answers and as many bare GROUP BYs, alternating, after a warm-up."""

    async def answer() -> None:
        await district_analysis(pool, ORG, SUPERVISOR, month, HotspotBy.street, timedelta(days=90))

    async def bare() -> None:
        async with pool.acquire() as conn:
            await conn.fetch(BARE_TALLY, month.start, month.end)

    for _ in range(WARMUP):
        await answer()
        await bare()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for call, into in ((answer, times[0]), (bare, times[1])):
            start = time.perf_counter()
            await call()
            into.append((time.perf_counter() - start) * 1000)
    return times


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def _status(field: str) -> int:
    """A field of /proc/self/status (VmRSS, VmHWM) in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


class PeakRss:
    """The process's peak RSS over a block, in KiB: the kernel's high-water mark reset at the start where the
    kernel lets us (clear_refs), and a 5 ms sampler besides, so a peak the reset cannot see is still caught."""

    def __enter__(self) -> PeakRss:
        gc.collect()
        self.before = _status("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.hwm = True
        except OSError:
            self.hwm = False
        self.sampled = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.sampled = max(self.sampled, _status("VmRSS"))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.sampled, _status("VmHWM") if self.hwm else 0)

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.before) / 1024


def ledger_days(cases: int) -> tuple[date, date]:
    """From the first case's day to the day that holds the ``LEDGER_ROWS``-th (all the cases when fewer)."""
    last = received_at(min(LEDGER_ROWS, cases) - 1, cases)
    return received_at(0, cases).date(), last.date()


async def held_ledger(pool: asyncpg.Pool, period: Period) -> None:
    """The ledger written the way streaming avoids: every row fetched at once and the workbook built in memory
    (for scale: it shows what the meter sees when memory is not bounded)."""
    import xlsxwriter

    found = await ledger_rows(pool, ORG, NOW, MEDIATOR, period)
    rows = [row.cells() async for row in found]
    book = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()


async def run(cases: int, rounds: int) -> tuple[list[Result], dict[str, Any]]:
    context: dict[str, Any] = {"cases": cases, "rounds": rounds}
    async with embedded_postgres() as url:
        pool = await create_pool(url, max_size=4)
        try:
            await migrate(pool)
            with Stopwatch() as sw:
                context["rows"] = await seed(pool, cases)
            context["seed_seconds"] = round(sw.seconds, 1)
            print(f"seeded {cases:,} cases in {sw.seconds:.1f} s: {context['rows']}", flush=True)

            month = last_full_month()
            async with pool.acquire() as conn:
                context["month"] = {"period": month.label, "tasks_due": await conn.fetchval(
                    "SELECT count(*) FROM task_facts WHERE reply_due_at >= $1 AND reply_due_at < $2",
                    month.start, month.end)}
            scores_ms, plain_ms = await scores_against_plain(pool, month, rounds)
            context["median_ms"] = {"scores": round(statistics.median(scores_ms), 2),
                                    "plain": round(statistics.median(plain_ms), 2)}
            print(f"scores p99 {p99(scores_ms):.1f} ms, plain p99 {p99(plain_ms):.1f} ms", flush=True)
            hot_ms, bare_ms = await hotspots_against_bare(pool, month, rounds)
            context["median_ms"].update(hotspots=round(statistics.median(hot_ms), 2),
                                        bare_group_by=round(statistics.median(bare_ms), 2))
            print(f"hotspots p99 {p99(hot_ms):.1f} ms, bare GROUP BY p99 {p99(bare_ms):.1f} ms", flush=True)

            first, last = ledger_days(cases)
            period = Period.parse(first=first, last=last)
            with tempfile.TemporaryFile() as out, PeakRss() as rss, Stopwatch() as sw:
                rows = await write_ledger(pool, ORG, NOW, MEDIATOR, period, None, Format.xlsx, out)
                size = out.tell()
            context["ledger"] = {"from": first.isoformat(), "to": last.isoformat(), "rows": rows,
                                 "seconds": round(sw.seconds, 2), "rows_per_s": round(rows / sw.seconds),
                                 "xlsx_bytes": size, "rss_before_mib": round(rss.before / 1024, 1),
                                 "peak_rss_mib": round(rss.peak / 1024, 1), "kernel_high_water_mark": rss.hwm}
            print(f"ledger: {rows:,} rows in {sw.seconds:.1f} s, peak RSS +{rss.growth_mib:.1f} MiB", flush=True)
            with PeakRss() as held:
                await held_ledger(pool, period)
            context["ledger"]["held_peak_rss_growth_mib"] = round(held.growth_mib, 1)
            print(f"the same rows held in memory: peak RSS +{held.growth_mib:.1f} MiB", flush=True)
        finally:
            await pool.close()

    rss_row = Result("ledger_xlsx_peak_rss_growth_mib", rss.growth_mib, "MiB", "target", TARGET_RSS_MIB, "<= 1",
                     note=f"{rows:,} rows streamed as xlsx; ratio = growth / 100 MiB")
    rows_out = [
        Result("scores_p99_ms", p99(scores_ms), "ms", "plain GROUP BY department over reply_due_at, p99",
               p99(plain_ms), "<= 3",
               note=f"district_scores for {month.label}, {rounds} rounds alternating; ratio = scores / plain"),
        Result("hotspots_p99_ms", p99(hot_ms), "ms", "bare GROUP BY grid_id, category over received_at, p99",
               p99(bare_ms), "<= 3",
               note=f"研判 by street for {month.label}, {rounds} rounds alternating; ratio = hotspots / bare"),
        rss_row,
    ]
    return rows_out, context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help="cases to write")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="timed calls of each side")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that only shows the benchmark works")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.rounds = SMOKE_CASES, 20
    configure_logging("WARNING")
    started = time.perf_counter()
    rows, context = asyncio.run(run(args.cases, args.rounds))
    print_table(rows)
    context["wall_seconds"] = round(time.perf_counter() - started, 1)
    path = write_results("reports", rows, context=context)
    print(f"\n{context}")
    print(f"wrote {path} in {context['wall_seconds']} s")


if __name__ == "__main__":
    main()
