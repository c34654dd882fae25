"""The case workflow end to end on the real servers: lifecycle throughput and escalation punctuality.

    .venv/bin/python bench/lifecycle.py [--cases N] [--deadlines M] [--in-flight K] [--shape instant|overlap]
        [--ack-within 120s] [--max-cached-workflows C] [--workers W] [--scale-out S]

One embedded PostgreSQL and one embedded Temporal dev server (headless) in a temp dir, both stopped at the
end, error or not; the workers run in this process (plus ``--workers``/``--scale-out`` worker processes).
The default run (``make bench``) is the lifecycle and 2,000 deadlines due at one instant. Rows:

* ``cases_per_s``: N cases driven by scripted actors (K in flight, each case's actions in sequence) from
  intake to archive: receive (update-with-start) -> route (lead only) -> acknowledge -> reply -> resolution
  -> verify -> follow-up -> archive, then the workflow's result. Baseline: ``BareCaseWorkflow`` below, the
  same Temporal actions per case with no domain in them: the same update-with-start for the first action,
  then one update per action, each running one activity (a local one when ours appends in local
  activities, as read from a warm-up case's history) that does a single asyncpg INSERT into a scratch
  table (same pool, retry policy and timeout), the workflow closing after the last, after as many extra
  INSERT activities as ours runs once archived (the archive seal; local ones, as ours, when ours seals in a
  local activity).
  Ours also starts and cancels a durable timer while a task's clock runs (3 per case here); none fires
  (the policy gives hours), so the bare side has none. Same client, converter, concurrency, workflow runner
  and worker options.
  The two sides alternate in halves (bare, ours, ours, bare) after a warm-up of each, so neither gets the
  emptier Temporal database; ratio = ours / bare.
* ``escalation_lateness_p99_ms[_M][_cacheC][_workersW]``: M cases on a second-scale policy (continuous
  calendar, no reminders, warning at the deadline, flag after an hour), each routed to one department and
  never acknowledged. ``--shape instant`` (default): each case is received with "acknowledge within T -
  now" and routed at once, so all M fall due at one instant T after the intake (the note gives the real
  spread); ``overlap``: all received, then all routed, acknowledge within a quarter of the predicted intake
  time (or ``--ack-within``), so the first deadlines fall while intake continues. For every level-2
  TaskEscalated: ``recorded_at`` (set by PostgreSQL at insert: the append transaction's start) minus the
  task's acknowledge due time (``due_at`` in the payload). Value = p99 in ms; baseline = the target (1 s for
  2,000 at one instant, 2 s for 6,000 overlapping intake, 3 s with a 1,000-case cache), ratio = target / p99.
  Context: the lateness breakdown from Temporal histories (timer fired late, workflow task waiting for a
  worker, our code with the local append), intake and drain rates, CPU per server, peak RSS.
* ``escalation_lateness_p99_ms_vs_bare_timer`` (``--shape instant``, one worker process): Temporal's own floor
  for the same burst. After ours, as many ``BareTimerWorkflow`` as ours had cases, their due times spread
  exactly as ours were, on a worker with the same options in this process: a durable timer, one local
  activity INSERT in the workflow task it starts, the next timer. Nothing less can escalate a deadline that
  has its own durable timer. Value = ours' p99; baseline = the bare p99; ratio = bare / ours (1: ours is as
  punctual as any workflow can be on this machine and server).
* ``peak_rss_mib_at_open_cases`` (M >= 6,000): this process's peak RSS with M open cases.
* ``scale_out_{intake,warnings}_{2,3}_workers`` (``--scale-out 3``): the escalation run on 1, 2 and 3 worker
  processes, each on a fresh task queue; intake (cases/s) and warnings drained per second against 1 worker
  process in the same run; the note gives the per-worker speed-up.
  Updates whose RPC times out on an overloaded machine are repeated with the same update id (applied once).
  We wait for all M warnings (timeout: the deadline plus 10 minutes)."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # not when the workflow sandbox re-imports this file (as __temporal_main__)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

# The Temporal sandbox re-imports this file for every run of BareCaseWorkflow (as it does
# workflows/dispute_case.py for ours): everything else passes through, so that costs definitions only.
with workflow.unsafe.imports_passed_through():
    import argparse
    import contextlib
    import inspect
    import math
    import os
    import resource
    import shutil
    import statistics
    import tempfile
    import threading
    import time
    import uuid
    from collections import Counter
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
    from datetime import UTC, datetime
    from typing import Any

    from bench._common import GcClock, Result, print_table, quiet_warnings, write_results

    quiet_warnings()

    import asyncpg
    from temporalio.api.enums.v1 import EventType
    from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateRPCTimeoutOrCancelledError
    from temporalio.common import WorkflowIDConflictPolicy
    from temporalio.service import RPCError, RPCStatusCode
    from temporalio.worker import Worker

    from application.case_client import CaseClient
    from domain.commands import (
        AcknowledgeTask,
        ArchiveCase,
        ReceiveCase,
        RecordFollowUp,
        ReplyTask,
        RouteCase,
        SubmitResolution,
        VerifyResolution,
    )
    from domain.events import Actor, Party
    from domain.policy import parse_policy, pin_policy
    from domain.vocabulary import Channel, Outcome, PartyRole, RiskLevel, Role, Satisfaction
    from infra.db import create_pool, migrate
    from infra.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port
    from infra.logging import configure_logging
    from infra.settings import Settings
    from infra.temporal import connect_temporal
    from workers.case_worker import build_worker, tuning
    from workflows.dispute_case import APPEND_RETRY

# ------------------------------------------------------------------------------------------- defaults

CASES = 200  # lifecycle cases per side (8 actions each)
DEADLINES = 2_000  # escalation cases
IN_FLIGHT = 32  # cases driven at once (lifecycle and escalation start)
WARMUP = 16  # lifecycle cases per side before the clock starts
POOL_SIZE = 20
OURS_QUEUE, BARE_QUEUE = "bench-cases", "bench-bare"
ACTIONS = 8  # receive, route, acknowledge, reply, resolution, verify, follow-up, archive

MEDIATOR = Actor(role=Role.mediator, id="med-1", department="dept-donghu-zongzhi")
SUPERVISOR = Actor(role=Role.supervisor, id="sup-1", department="dept-donghu-zongzhi")
LEAD = "dept-donghu-huayuan-committee"
LIAISON = Actor(role=Role.liaison, id=f"liaison-{LEAD}", department=LEAD)

# Deadlines of hours: no timer fires during a lifecycle.
CALM = '[risk.medium]\nacknowledge_within = "1h"\nreply_within = "2h"\n[escalation]\nremind_at = [0.5]\n'


def escalation_policy(ack_within: str) -> str:
    return f"""calendar = "continuous"
[risk.medium]
acknowledge_within = "{ack_within}"
reply_within = "1h"
[escalation]
remind_at = []
warn_after = "0s"
flag_after = "1h"
"""


def receive_command(policy_toml: str) -> ReceiveCase:
    pinned = pin_policy(parse_policy(policy_toml), datetime.now(UTC)).model_dump(mode="json")
    return ReceiveCase(
        title="楼上漏水", description="楼上卫生间漏水，天花板渗水三周", category="leak",
        channel=Channel.walk_in, grid_id="grid-donghu-huayuan-1", risk_level=RiskLevel.medium,
        parties=(Party(name="张三", role=PartyRole.applicant, phone="13800001234"),
                 Party(name="李四", role=PartyRole.respondent)),
        policy=pinned,
    )


# ------------------------------------------------------------------------------------- the bare side


class BareActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name="bare_insert")
    async def insert(self, case_id: str, seq: int) -> int:
        await self.pool.execute("INSERT INTO bench_scratch (case_id, seq) VALUES ($1, $2)", case_id, seq)
        return seq

    @activity.defn(name="bare_escalate")
    async def escalate(self, case_id: str, due: str) -> None:
        # recorded_at = now(): the transaction's start, as the event store's recorded_at.
        await self.pool.execute("INSERT INTO bench_bare_escalations (case_id, due) VALUES ($1, $2)",
                                case_id, datetime.fromisoformat(due))


@workflow.defn(name="BareCase")
class BareCaseWorkflow:
    """One update per action, one INSERT activity per update (a local one when ``local``, as ours), closing
    after the last: Temporal's floor. ``closing`` INSERT activities (``closing_local`` local ones first) run
    after the last update, as many as the case workflow runs once archived."""

    @workflow.init
    def __init__(self, case_id: str, closing: int, local: bool = False, closing_local: int = 0) -> None:
        self._lock = asyncio.Lock()
        self._seq = 0
        self._done = False
        self._local = local

    @workflow.run
    async def run(self, case_id: str, closing: int, local: bool = False, closing_local: int = 0) -> int:
        await workflow.wait_condition(lambda: self._done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        for _ in range(closing_local):
            self._seq += 1
            await workflow.execute_local_activity(
                "bare_insert", args=[case_id, self._seq], result_type=int,
                start_to_close_timeout=timedelta(seconds=30), retry_policy=APPEND_RETRY,
            )
        for _ in range(closing):
            self._seq += 1
            await workflow.execute_activity(
                "bare_insert", args=[case_id, self._seq], result_type=int,
                start_to_close_timeout=timedelta(seconds=30), retry_policy=APPEND_RETRY,
            )
        return self._seq

    @workflow.update
    async def act(self, case_id: str, last: bool) -> int:
        async with self._lock:
            run = workflow.execute_local_activity if self._local else workflow.execute_activity
            await run(
                "bare_insert", args=[case_id, self._seq + 1], result_type=int,
                start_to_close_timeout=timedelta(seconds=30), retry_policy=APPEND_RETRY,
            )
            self._seq += 1
            self._done = self._done or last
            return self._seq


@workflow.defn(name="BareTimer")
class BareTimerWorkflow:
    """Temporal's floor for one escalation: a durable timer to the due time, then, in the workflow task that
    timer starts, one local activity storing a row (as ours appends the warning in one) and the next timer
    (as ours waits for the flag an hour later). Nothing else: no domain, no state, no notifications."""

    @workflow.run
    async def run(self, case_id: str, due: str) -> None:
        delay = (datetime.fromisoformat(due) - workflow.now()).total_seconds()
        if delay > 0:
            await workflow.sleep(delay)
        await workflow.execute_local_activity("bare_escalate", args=[case_id, due],
                                              start_to_close_timeout=timedelta(seconds=30),
                                              retry_policy=APPEND_RETRY)
        await workflow.sleep(3600)


# ------------------------------------------------------------------------------------------- drivers


async def ours_lifecycle(cases: CaseClient, case_id: str, receive: ReceiveCase) -> None:
    t1 = f"{case_id}-T1"
    await cases.receive(case_id, receive, MEDIATOR)
    await cases.act(case_id, RouteCase(lead_department=LEAD), MEDIATOR)
    await cases.act(case_id, AcknowledgeTask(task_id=t1), LIAISON)
    await cases.act(case_id, ReplyTask(task_id=t1, summary="已联系楼上住户维修防水层"), LIAISON)
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="双方达成维修协议"), MEDIATOR)
    await cases.act(case_id, VerifyResolution(accepted=True, note="验收通过"), SUPERVISOR)
    await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
    result = await cases.act(case_id, ArchiveCase(), MEDIATOR)
    assert result.stage == "archived", result
    await cases.client.get_workflow_handle(case_id).result()


async def bare_lifecycle(client: Client, case_id: str, closing: int, local: bool, closing_local: int = 0) -> None:
    start = WithStartWorkflowOperation(
        BareCaseWorkflow.run, args=[case_id, closing, local, closing_local], id=case_id, task_queue=BARE_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        BareCaseWorkflow.act, args=[case_id, False], start_workflow_operation=start)
    handle = client.get_workflow_handle(case_id, result_type=int)
    for i in range(2, ACTIONS + 1):
        seq = await handle.execute_update(BareCaseWorkflow.act, args=[case_id, i == ACTIONS])
        assert seq == i, (case_id, seq, i)
    assert await handle.result() == ACTIONS + closing + closing_local


async def drive(ids: list[str], one: Callable[[str], Awaitable[None]], in_flight: int) -> float:
    """Run ``one(case_id)`` for every id, ``in_flight`` at a time; the wall time in seconds."""
    queue = iter(ids)

    async def actor() -> None:
        for case_id in queue:
            await one(case_id)

    start = time.perf_counter()
    await asyncio.gather(*(actor() for _ in range(min(in_flight, len(ids)))))
    return time.perf_counter() - start


async def persist(call: Callable[[str], Awaitable[Any]], request_id: str, context: dict[str, Any]) -> Any:
    """An update whose RPC timed out on an overloaded machine is sent again with the same id: the workflow
    applies an update id once, so the repeat only waits for the first one's result."""
    for _ in range(30):
        try:
            return await call(request_id)
        except (WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
            if isinstance(exc, RPCError) and exc.status is not RPCStatusCode.DEADLINE_EXCEEDED:
                raise
            context["update_rpc_timeouts_repeated"] = context.get("update_rpc_timeouts_repeated", 0) + 1
    raise RuntimeError(f"update {request_id} timed out 30 times")


def case_ids(prefix: str, n: int) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"{prefix}-{run}-{i:05d}" for i in range(n)]


async def history_counts(client: Client, workflow_id: str) -> dict[str, int]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    counts = Counter(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events)
    counts["LOCAL_ACTIVITY_MARKERS"] = sum(e.marker_recorded_event_attributes.marker_name == "core_local_activity"
                                           for e in history.events)
    return {"HISTORY_EVENTS": len(history.events), **dict(sorted(counts.items()))}


class CpuMeter:
    """CPU seconds (user + system) of this process (workers, drivers, client) and of each server with all its
    live descendants (PostgreSQL's backends count), read from /proc. Parts of this process's figure:
    ``python_gc``, what its garbage collector took; by thread, ``python_loop`` (the event loop: activities,
    the SDK's Python side, the codec, the drivers), ``python_workflows`` (the SDK's workflow threads: the
    workflows' own code, sandboxed or not), ``python_native`` (threads Python did not start: the SDK's Rust
    core, its gRPC) and ``python_threads`` (other threads Python started). The four need not sum to
    ``python``: a thread that ends loses its CPU after it was last seen (``watch_threads``)."""

    THREAD_KINDS = ("python_loop", "python_workflows", "python_native", "python_threads")
    SHARES = frozenset({"python_gc", *THREAD_KINDS})  # parts of another figure, not a process of their own

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.tick = os.sysconf("SC_CLK_TCK")
        self.seen: dict[int, tuple[str, str, float]] = {}  # thread id -> kind, name, CPU seconds when last seen
        GcClock.install()

    def snapshot(self) -> dict[str, float]:
        own = os.times()
        parent: dict[int, int] = {}
        used: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, ...
            except OSError:
                continue
            pid = int(entry.name)
            parent[pid] = int(fields[1])
            used[pid] = (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
        by_root = {pid: name for name, pid in self.roots.items()}
        totals = {"python": own.user + own.system, "python_gc": GcClock.seconds, **self.threads(),
                  **dict.fromkeys(self.roots, 0.0)}
        for pid, seconds in used.items():
            node, hops = pid, 0
            while node not in by_root and node > 1 and hops < 64:
                node, hops = parent.get(node, 0), hops + 1
            if node in by_root:
                totals[by_root[node]] += seconds
        return totals

    def threads(self) -> dict[str, float]:
        """This process's CPU by kind of thread. Each thread seen counts with its CPU when last seen, so a thread
        that ends between two snapshots keeps what it had (its last moments are lost, never subtracted)."""
        named = {t.native_id: t.name for t in threading.enumerate()}
        main = threading.main_thread().native_id
        for entry in os.scandir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{entry.name}/stat") as f:
                    comm, rest = f.read().split("(", 1)[1].rsplit(")", 1)
            except OSError:
                continue  # ended between the listing and the read
            tid, fields = int(entry.name), rest.split()
            kind = ("python_loop" if tid == main else "python_native" if tid not in named
                    else "python_workflows" if named[tid].startswith("temporal_workflow_") else "python_threads")
            self.seen[tid] = (kind, named.get(tid, comm), (int(fields[11]) + int(fields[12])) / self.tick)
        parts = dict.fromkeys(self.THREAD_KINDS, 0.0)
        for kind, _, seconds in self.seen.values():
            parts[kind] += seconds
        return parts

    def by_thread_name(self) -> dict[str, float]:
        """CPU seconds so far by thread name (numbered names folded), for a run's context."""
        self.threads()
        totals: dict[str, float] = {}
        for _, name, seconds in self.seen.values():
            key = name.rstrip("0123456789_-")
            totals[key] = totals.get(key, 0.0) + seconds
        return {name: round(seconds, 1) for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1])}

    async def watch_threads(self, every_s: float = 0.5) -> None:
        """Look at the threads between snapshots too, so that one that ends loses half a second at most."""
        while True:
            self.threads()
            await asyncio.sleep(every_s)

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: after[k] - before[k] for k in after}

    @classmethod
    def busy(cls, spent: Mapping[str, float]) -> float:
        """The CPU seconds of all the processes in ``spent`` (a delta), each counted once."""
        return sum(v for k, v in spent.items() if k not in cls.SHARES)


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------------------------- phases


async def lifecycle_phase(
    client: Client, cases: CaseClient, n: int, in_flight: int, cpu: CpuMeter, context: dict[str, Any]
) -> Result:
    receive = receive_command(CALM)

    async def ours(case_id: str) -> None:
        await ours_lifecycle(cases, case_id, receive)

    warm = case_ids("W-ours", WARMUP)
    await drive(warm, ours, in_flight)
    # Whether ours appends in local activities (one marker per action), and the activities it runs after its
    # last update (e.g. sealing the archived case): the bare side does the same.
    counts = await history_counts(client, warm[-1])
    local = counts.get("LOCAL_ACTIVITY_MARKERS", 0) >= ACTIONS
    closing = counts.get("ACTIVITY_TASK_SCHEDULED", 0) - (0 if local else ACTIONS)
    closing_local = counts.get("LOCAL_ACTIVITY_MARKERS", 0) - ACTIONS if local else 0
    context["bare_closing_activities"] = closing
    context["bare_closing_local_activities"] = closing_local
    context["appends_in_local_activities"] = local

    async def bare(case_id: str) -> None:
        await bare_lifecycle(client, case_id, closing, local, closing_local)

    await drive(case_ids("W-bare", WARMUP), bare, in_flight)
    half = n // 2
    times = {"bare": 0.0, "ours": 0.0}
    done = {"bare": 0, "ours": 0}
    spent: dict[str, Counter[str]] = {"bare": Counter(), "ours": Counter()}
    for side, size in (("bare", half), ("ours", half), ("ours", n - half), ("bare", n - half)):
        one = bare if side == "bare" else ours
        ids = case_ids(f"L-{side}", size)
        before = cpu.snapshot()
        times[side] += await drive(ids, one, in_flight)
        spent[side].update(CpuMeter.delta(before, cpu.snapshot()))
        done[side] += size
        context.setdefault("last_case", {})[side] = ids[-1]
    ours_rate, bare_rate = done["ours"] / times["ours"], done["bare"] / times["bare"]
    context["lifecycle"] = {
        "cases_per_side": n, "in_flight": in_flight, "actions_per_case": ACTIONS,
        "ours_seconds": round(times["ours"], 2), "bare_seconds": round(times["bare"], 2),
        "ours_actions_per_s": round(ours_rate * ACTIONS, 1), "bare_actions_per_s": round(bare_rate * ACTIONS, 1),
        "cpu_ms_per_case": {side: {k: round(v * 1000 / done[side], 1) for k, v in spent[side].items()}
                            for side in spent},
        "cpu_utilisation": {side: round(CpuMeter.busy(spent[side]) / times[side] / (os.cpu_count() or 1), 2)
                            for side in spent},
    }
    context["history_per_case"] = {
        "ours": await history_counts(client, context["last_case"]["ours"]),
        "bare": await history_counts(client, context["last_case"]["bare"]),
    }
    context["max_rss_mib_after_lifecycle"] = round(max_rss_mib(), 1)
    return Result(
        "cases_per_s", ours_rate, "cases/s",
        f"bare workflow, same {ACTIONS} updates x 1 INSERT activity"
        + (f" + {closing + closing_local} at close" if closing + closing_local else ""), bare_rate, ">= 0.9",
        note=f"{n} cases/side, {in_flight} in flight, full lifecycle incl. workflow close",
    )


def cpu_rows(per_case: dict[str, dict[str, float]]) -> list[Result]:
    """CPU per lifecycle, ours against the bare workflow's (ratio ours / bare: lower is better), for the
    worker's Python (this process) and for the Temporal server."""
    return [Result(f"cpu_ms_per_lifecycle[{part}]", per_case["ours"][part], "ms", "the bare workflow's",
                   per_case["bare"][part], "<= 1.15", note="ratio = ours / bare")
            for part in ("python", "temporal") if per_case["bare"].get(part)]


async def wait_for_rows(pool: asyncpg.Pool, count_sql: str, prefix: str, n: int, timeout_s: float) -> None:
    """Poll ``count_sql`` (one ``LIKE $1`` on the run's case prefix) once a second until it counts ``n`` rows
    or ``timeout_s`` has passed; the caller reports however many arrived."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await pool.fetchval(count_sql, prefix + "%") >= n:
            return
        await asyncio.sleep(1)


def percentiles(values: list[float]) -> list[float]:
    """The 99 cut points p1..p99 of ``values`` (one value: itself 99 times)."""
    return statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99


def deciles(rows: list[asyncpg.Record]) -> list[dict[str, float]]:
    """p50/p99/max lateness of each tenth of the warnings, in deadline order: does lateness build up?"""
    out = []
    for k in range(10):
        part = sorted(float(r["late_ms"]) for r in rows[k * len(rows) // 10:(k + 1) * len(rows) // 10])
        if part:
            out.append({"p50": round(part[len(part) // 2], 1), "p99": round(part[min(len(part) - 1,
                        int(len(part) * 0.99))], 1), "max": round(part[-1], 1)})
    return out


async def breakdown(client: Client, rows: list[asyncpg.Record], sample: int = 20) -> dict[str, Any]:
    """Where the lateness of a warning goes, from the Temporal histories of the ``sample`` latest warnings
    and of ``sample`` around the median: timer fired - due (server timer), workflow task started - timer
    fired (waiting for a worker slot / sticky cache), activity scheduled - workflow task started (workflow
    code), activity started - scheduled (activity queue), recorded_at - activity started (the append)."""
    by_late = sorted(rows, key=lambda r: float(r["late_ms"]))
    mid = len(by_late) // 2
    groups = {"latest": by_late[-sample:], "median": by_late[max(0, mid - sample // 2):mid + sample // 2]}
    result: dict[str, Any] = {}
    for name, group in groups.items():
        parts: dict[str, list[float]] = {}
        replays = timed_out = 0
        for r in group:
            history = await client.get_workflow_handle(r["case_id"]).fetch_history()
            events = list(history.events)
            fired = max(i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED)
            after = events[fired:]

            def first(kind: int, after: list[Any] = after) -> datetime:
                found: datetime = next(e for e in after if e.event_type == kind).event_time.ToDatetime(tzinfo=UTC)
                return found

            scheduled = next(e for e in after if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
            replays += scheduled.workflow_task_scheduled_event_attributes.task_queue.kind != 2  # 2 = sticky
            # A task that waited on the worker's sticky queue past its schedule-to-start timeout goes back to the
            # normal queue with the whole history (the worker replays it): count those.
            timed_out += sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT for e in after)
            t_fired = first(EventType.EVENT_TYPE_TIMER_FIRED)
            t_wft = first(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
            spans = {"timer_fired_minus_due": (r["due"], t_fired), "workflow_task_wait": (t_fired, t_wft)}
            if any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in after):
                t_sched = first(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
                t_started = first(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
                spans |= {"workflow_code": (t_wft, t_sched), "activity_queue_wait": (t_sched, t_started),
                          "append": (t_started, r["recorded_at"])}
            else:  # a local activity: the workflow code and the append inside the one workflow task
                spans |= {"workflow_code_and_local_append": (t_wft, r["recorded_at"])}
            for key, (a, b) in spans.items():
                parts.setdefault(key, []).append((b - a).total_seconds() * 1000)
        result[name] = {k: round(statistics.median(v), 1) for k, v in parts.items()}
        result[name]["lateness"] = round(statistics.median(float(r["late_ms"]) for r in group), 1)
        result[name]["not_on_sticky_queue"] = f"{replays}/{len(group)}"
        result[name]["workflow_task_timeouts"] = timed_out
    return result


async def escalation_phase(
    cases: CaseClient, pool: asyncpg.Pool, m: int, in_flight: int, shape: str, actions_per_s: float,
    cpu: CpuMeter, context: dict[str, Any], key: str = "escalation", ack: str | None = None,
) -> Result:
    ids = case_ids("E", m)
    prefix = ids[0].rsplit("-", 1)[0] + "-"
    # The expected time to receive and route all M, from the lifecycle's measured update rate.
    intake_s = 2 * m / actions_per_s
    if shape == "instant":
        # Every deadline at one instant T: each case is received with "acknowledge within T - now" (whole
        # seconds) and routed at once, so due times differ only by one route's latency and the rounding.
        # A case routed after T (intake slower than the lifecycle predicted) gets 1 s: the note's "due within"
        # shows how instant the burst really was.
        instant = datetime.now(UTC) + timedelta(seconds=2 * intake_s + 10)
        ack_within = f"until {instant.isoformat(timespec='seconds')}"

        async def receive_one(case_id: str) -> None:
            left = max(1, math.ceil((instant - datetime.now(UTC)).total_seconds()))
            receive = receive_command(escalation_policy(f"{left}s"))
            await persist(lambda rid: cases.receive(case_id, receive, MEDIATOR, request_id=rid),
                          f"{case_id}-receive", context)
            await persist(lambda rid: cases.act(case_id, RouteCase(lead_department=LEAD), MEDIATOR, request_id=rid),
                          f"{case_id}-route", context)

        async def route_one(case_id: str) -> None:
            return None
    else:
        # "overlap": all M received, then all routed, the first deadlines falling while the later cases are
        # still being routed (intake continues): a task's clock starts at routing.
        ack_within = ack or f"{max(10, math.ceil(0.25 * intake_s))}s"
        receive = receive_command(escalation_policy(ack_within))

        async def receive_one(case_id: str) -> None:
            await persist(lambda rid: cases.receive(case_id, receive, MEDIATOR, request_id=rid),
                          f"{case_id}-receive", context)

        async def route_one(case_id: str) -> None:
            await persist(lambda rid: cases.act(case_id, RouteCase(lead_department=LEAD), MEDIATOR, request_id=rid),
                          f"{case_id}-route", context)

    before = cpu.snapshot()
    receive_seconds = await drive(ids, receive_one, in_flight)
    route_seconds = await drive(ids, route_one, in_flight)
    all_started = datetime.now(UTC)
    start_cpu = CpuMeter.delta(before, cpu.snapshot())
    before = cpu.snapshot()
    first_due = await pool.fetchval(
        "SELECT min((data->>'acknowledge_due_at')::timestamptz) FROM events "
        "WHERE type = 'TaskAssigned' AND case_id LIKE $1", prefix + "%")

    count_sql = ("SELECT count(*) FROM events WHERE type = 'TaskEscalated' AND case_id LIKE $1 "
                 "AND (data->>'level')::int = 2")
    await wait_for_rows(pool, count_sql, prefix, m,
                        max(0.0, (first_due - all_started).total_seconds()) + route_seconds + 600)
    wait_cpu = CpuMeter.delta(before, cpu.snapshot())
    rows = await pool.fetch(
        """SELECT extract(epoch FROM recorded_at - (data->>'due_at')::timestamptz) * 1000 AS late_ms,
                  (data->>'due_at')::timestamptz AS due, recorded_at, case_id
             FROM events WHERE type = 'TaskEscalated' AND case_id LIKE $1 AND (data->>'level')::int = 2
            ORDER BY due""", prefix + "%")
    late = sorted(float(r["late_ms"]) for r in rows)
    if not late:
        raise RuntimeError("no level-2 escalation arrived")
    flagged = await pool.fetchval(
        "SELECT count(*) FROM events WHERE type = 'TaskEscalated' AND case_id LIKE $1 "
        "AND (data->>'level')::int = 3", prefix + "%")
    pct = percentiles(late)
    p50, p90, p99, worst = pct[49], pct[89], pct[98], late[-1]
    spread = (rows[-1]["due"] - rows[0]["due"]).total_seconds()
    intake_seconds = receive_seconds + route_seconds
    drained = (max(r["recorded_at"] for r in rows) - rows[0]["due"]).total_seconds()  # first due -> last stored
    context[key] = {
        "cases": m, "shape": shape, "case_prefix": prefix, "arrived": len(late), "level3": flagged,
        "in_flight_at_start": in_flight,
        "acknowledge_within": ack_within, "receive_seconds": round(receive_seconds, 1),
        "route_seconds": round(route_seconds, 1), "routed_per_s": round(m / intake_seconds, 1),
        "warnings_per_s": round(len(rows) / drained, 1) if drained > 0 else None,
        "all_routed_before_first_deadline": all_started <= first_due,
        "first_deadline_after_last_route_s": round((first_due - all_started).total_seconds(), 1),
        "deadline_spread_s": round(spread, 1),
        "deadlines_per_s": round(len(rows) / spread, 1) if spread > 0 else None,
        "lateness_by_deadline_decile_ms": deciles(rows),
        "breakdown_ms": await breakdown(cases.client, rows),
        "max_rss_mib_self": round(max_rss_mib(), 1),
        "cpu_s_starting": {k: round(v, 1) for k, v in start_cpu.items()},
        "cpu_s_waiting_for_warnings": {k: round(v, 1) for k, v in wait_cpu.items()},
        "cpu_ms_per_escalation": {k: round(v * 1000 / len(late), 1) for k, v in wait_cpu.items()},
        "lateness_ms": {"min": round(late[0], 1), "p50": round(p50, 1), "p90": round(p90, 1),
                        "p99": round(p99, 1), "max": round(worst, 1)},
    }
    context["max_rss_mib_after_escalation"] = round(max_rss_mib(), 1)
    if len(late) < m:
        context[key]["timed_out"] = True
    return lateness_row(p99, m, shape, f"p50 {p50:.0f} ms, max {worst:.0f} ms over {len(late)}/{m} level-2 warnings, "
                        f"due within {spread:.1f} s")


async def bare_escalation_phase(
    client: Client, pool: asyncpg.Pool, in_flight: int, cpu: CpuMeter, context: dict[str, Any],
    worker_options: dict[str, Any],
) -> Result:
    """The baseline of the escalation rows: as many ``BareTimerWorkflow`` as ours had cases, their due times
    spread exactly as ours were (same offsets from the first), on a worker with the same options in this
    process. Value = ours' p99; baseline = the bare p99; ratio = bare / ours (1: ours escalates as punctually
    as Temporal lets any workflow wake up on this machine)."""
    ours = context["escalation"]
    dues = [r["due"] for r in await pool.fetch(
        "SELECT (data->>'due_at')::timestamptz AS due FROM events WHERE type = 'TaskEscalated' AND case_id LIKE $1 "
        "AND (data->>'level')::int = 2 ORDER BY due", ours["case_prefix"] + "%")]
    ids = case_ids("B", len(dues))
    prefix = ids[0].rsplit("-", 1)[0] + "-"
    # Ours took receive + route per case; a bare start is one call: the same lead time leaves room to spare.
    first = datetime.now(UTC) + timedelta(seconds=ours["receive_seconds"] + ours["route_seconds"] + 10)
    due_of = {case_id: first + (due - dues[0]) for case_id, due in zip(ids, dues, strict=True)}
    queue = "bench-bare-escalation"

    async def start_one(case_id: str) -> None:
        await client.start_workflow(BareTimerWorkflow.run, args=[case_id, due_of[case_id].isoformat()],
                                    id=case_id, task_queue=queue)

    async with Worker(client, task_queue=queue, workflows=[BareTimerWorkflow],
                      activities=[BareActivities(pool).escalate], **worker_options):
        start_seconds = await drive(ids, start_one, in_flight)
        started = datetime.now(UTC)
        # A start returns before the workflow's first task (which starts its timer) has run: let those finish
        # so that the CPU measured is the burst's alone, as ours (whose intake waits for its updates) is.
        await asyncio.sleep(max(0.0, (first - started).total_seconds() - 1))
        before = cpu.snapshot()
        await wait_for_rows(pool, "SELECT count(*) FROM bench_bare_escalations WHERE case_id LIKE $1", prefix,
                            len(ids), 600)
        wait_cpu = CpuMeter.delta(before, cpu.snapshot())
    rows = await pool.fetch(
        "SELECT extract(epoch FROM recorded_at - due) * 1000 AS late_ms, due, recorded_at FROM bench_bare_escalations "
        "WHERE case_id LIKE $1 ORDER BY due", prefix + "%")
    late = sorted(float(r["late_ms"]) for r in rows)
    pct = percentiles(late)
    drained = (max(r["recorded_at"] for r in rows) - rows[0]["due"]).total_seconds()
    context["bare_escalation"] = {
        "cases": len(ids), "arrived": len(rows), "start_seconds": round(start_seconds, 1),
        "all_started_before_first_deadline": started <= first,
        "warnings_per_s": round(len(rows) / drained, 1) if drained > 0 else None,
        "cpu_ms_per_escalation": {k: round(v * 1000 / max(1, len(rows)), 1) for k, v in wait_cpu.items()},
        "lateness_ms": {"min": round(late[0], 1), "p50": round(pct[49], 1), "p90": round(pct[89], 1),
                        "p99": round(pct[98], 1), "max": round(late[-1], 1)},
    }
    ours_p99, bare_p99 = ours["lateness_ms"]["p99"], pct[98]
    bare = context["bare_escalation"]
    row = Result("escalation_lateness_p99_ms_vs_bare_timer", ours_p99, "ms",
                 "bare timer workflow (timer, 1 local INSERT, next timer), same due times and worker options",
                 bare_p99, ">= 0.9", note=f"bare: p50 {pct[49]:.0f} ms, drained {bare['warnings_per_s']}/s; CPU ms "
                 f"per escalation ours {ours['cpu_ms_per_escalation']}, bare {bare['cpu_ms_per_escalation']}")
    row.ratio = bare_p99 / ours_p99 if ours_p99 > 0 else float("inf")  # lower lateness is better
    return row


def lateness_row(p99: float, m: int, shape: str, note: str, suffix: str = "") -> Result:
    """``escalation_lateness_p99_ms`` (2,000 due at one instant: <= 1 s), ``..._6000`` (6,000 while intake
    continues: <= 2 s); ``suffix`` names another configuration (e.g. ``_cache1000``: <= 3 s)."""
    name = "escalation_lateness_p99_ms" + ("" if (m, shape) == (DEADLINES, "instant") else f"_{m}") + suffix
    target_ms = 3000.0 if "cache" in suffix else 2000.0 if m > DEADLINES else 1000.0
    row = Result(name, p99, "ms", f"the {target_ms:.0f} ms target (ratio = target / p99, higher is better)",
                 target_ms, ">= 1", note=note)
    row.ratio = target_ms / p99 if p99 > 0 else float("inf")
    return row


# -------------------------------------------------------------------------------------------- the run


@contextlib.asynccontextmanager
async def stack() -> AsyncIterator[tuple[str, str, Path, CpuMeter]]:
    """One embedded PostgreSQL and one headless Temporal dev server in one temp dir; both stopped and the
    dir removed on the way out, error or not."""
    tmp = Path(tempfile.mkdtemp(prefix="liandiao-bench-lifecycle-"))
    postgres = EmbeddedPostgres(tmp)
    temporal = EmbeddedTemporal(tmp, port=free_port(), ui=False)
    try:
        url = await postgres.start()
        address = await temporal.start()
        cpu = CpuMeter({"temporal": temporal.proc.pid, "postgres": postgres.proc.pid})  # type: ignore[union-attr]
        watching = asyncio.create_task(cpu.watch_threads())
        try:
            yield url, address, tmp, cpu
        finally:
            watching.cancel()
    finally:
        try:
            temporal.stop()
        finally:
            try:
                postgres.stop()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


async def run(args: argparse.Namespace) -> tuple[list[Result], dict[str, Any]]:
    context: dict[str, Any] = {}
    async with stack() as (url, address, tmp, cpu):
        pool = await create_pool(url, max_size=POOL_SIZE)
        try:
            await migrate(pool)
            await pool.execute(
                "CREATE TABLE bench_scratch (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                "case_id text NOT NULL, seq integer NOT NULL, at timestamptz NOT NULL DEFAULT now())")
            await pool.execute(
                "CREATE TABLE bench_bare_escalations (case_id text PRIMARY KEY, due timestamptz NOT NULL, "
                "recorded_at timestamptz NOT NULL DEFAULT now())")
            client = await connect_temporal(address)
            cases = CaseClient(client, OURS_QUEUE)
            # The engine's worker options on both sides, as `liandiao up` sets them (settings): cache size, task
            # slots, sticky timeout and workflow runner; the SDK's defaults for the rest.
            settings = Settings()
            options: dict[str, Any] = tuning(settings, args.max_cached_workflows)
            context["worker_options"] = {**options, "workers": args.workers,
                                         "sticky_queue_schedule_to_start_timeout": settings.sticky_queue_timeout_s}
            extra: dict[str, Any] = dict(options)
            if "seal_file" in inspect.signature(build_worker).parameters:
                extra["seal_file"] = Path(tmp) / "seals.jsonl"  # not the repo's .liandiao/
            ours_worker = build_worker(client, pool, OURS_QUEUE, **extra)
            bare_worker = Worker(client, task_queue=BARE_QUEUE, workflows=[BareCaseWorkflow],
                                 activities=[BareActivities(pool).insert],
                                 workflow_runner=ours_worker.config()["workflow_runner"], **options)
            async with ours_worker, bare_worker:
                rows = [await lifecycle_phase(client, cases, args.cases, args.in_flight, cpu, context)]
            rows += cpu_rows(context["lifecycle"]["cpu_ms_per_case"])
            actions_per_s = context["lifecycle"]["ours_actions_per_s"]
            suffix = "" if args.max_cached_workflows == Settings().max_cached_workflows \
                else f"_cache{args.max_cached_workflows}"
            if args.deadlines and not args.scale_out:
                # The escalation cases on their own queue, served by this process and --workers - 1 more.
                queue = "bench-escalation"
                async with build_worker(client, pool, queue, **extra), \
                        worker_processes(args.workers - 1, address, url, queue, args.max_cached_workflows) as procs:
                    row = await escalation_phase(CaseClient(client, queue), pool, args.deadlines, args.in_flight,
                                                 args.shape, actions_per_s, cpu, context, ack=args.ack_within)
                    context["escalation"]["worker_processes_peak_rss_mib"] = [peak_rss_mib(p) for p in procs]
                rows.append(lateness_row(row.value, args.deadlines, args.shape, row.note or "", suffix
                                         + (f"_workers{args.workers}" if args.workers > 1 else "")))
                if args.shape == "instant" and args.workers == 1:
                    rows.append(await bare_escalation_phase(client, pool, args.in_flight, cpu, context, {
                        **options, "workflow_runner": ours_worker.config()["workflow_runner"]}))
                if args.deadlines >= 6000:
                    rows.append(Result("peak_rss_mib_at_open_cases", context["escalation"]["max_rss_mib_self"],
                                       "MiB", "none (reported)", 1.0, "?",
                                       note=f"{args.deadlines} open cases, cache {args.max_cached_workflows}: "
                                            "this process (worker, drivers, client)"))
            if args.scale_out:
                rows += await scale_out_phase(client, pool, address, url, args, actions_per_s, cpu, context)
            context["server"] = await pool.fetchval("SHOW server_version")
            context["cpu_s_by_thread"] = cpu.by_thread_name()  # the whole run, this process's threads
        finally:
            await pool.close()
    context["max_rss_mib"] = round(max_rss_mib(), 1)
    return rows, context


async def scale_out_phase(
    client: Client, pool: asyncpg.Pool, address: str, url: str, args: argparse.Namespace, actions_per_s: float,
    cpu: CpuMeter, context: dict[str, Any],
) -> list[Result]:
    """The same escalation load on 1, 2, ... N worker processes (each on its own fresh task queue, this process
    only driving): intake rate and how fast the warnings drain, against 1 worker in the same run."""
    results: dict[int, dict[str, Any]] = {}
    for n in range(1, args.scale_out + 1):
        queue = f"bench-scale-{n}"
        async with worker_processes(n, address, url, queue, args.max_cached_workflows) as procs:
            key = f"scale_out_{n}"
            await escalation_phase(CaseClient(client, queue), pool, args.deadlines, args.in_flight, args.shape,
                                   actions_per_s, cpu, context, key=key, ack=args.ack_within)
            context[key]["worker_processes_peak_rss_mib"] = [peak_rss_mib(p) for p in procs]
            results[n] = context[key]
    rows = []
    for n in range(2, args.scale_out + 1):
        for metric, field, unit in (("intake", "routed_per_s", "cases/s"),
                                    ("warnings", "warnings_per_s", "warnings/s")):
            ours, one = results[n][field] or 0.0, results[1][field] or 1.0
            rows.append(Result(
                f"scale_out_{metric}_{n}_workers", ours, unit, "1 worker process, same run", one, ">= 1",
                note=f"per-worker speed-up {ours / one / n:.2f}; p99 lateness "
                     f"{results[n]['lateness_ms']['p99']:.0f} ms vs {results[1]['lateness_ms']['p99']:.0f} ms"))
    return rows


@contextlib.asynccontextmanager
async def worker_processes(n: int, address: str, url: str, queue: str, cached: int) -> AsyncIterator[list[int]]:
    """``n`` case worker processes (this file with --serve-worker) on ``queue``; stopped (SIGTERM) on the way out."""
    procs = []
    try:
        for _ in range(n):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--serve-worker", address, url, queue, str(cached),
                stdout=asyncio.subprocess.PIPE)
            procs.append(proc)
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if line.strip() != b"ready":
                raise RuntimeError(f"a worker process did not start: {line!r}")
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 30)


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM:"))
    return round(int(hwm.split()[1]) / 1024, 1)


async def serve_worker(address: str, url: str, queue: str, cached: int) -> None:
    import signal

    pool = await create_pool(url, max_size=POOL_SIZE)
    client = await connect_temporal(address)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with build_worker(client, pool, queue, max_cached_workflows=cached):
        print("ready", flush=True)
        await stop.wait()
    await pool.close()


def main() -> None:
    if sys.argv[1:2] == ["--serve-worker"]:  # a worker process of --workers / --scale-out
        configure_logging("WARNING")
        address, url, queue, cached = sys.argv[2:6]
        asyncio.run(serve_worker(address, url, queue, int(cached)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=CASES, help="lifecycle cases per side")
    parser.add_argument("--deadlines", type=int, default=DEADLINES, help="escalation cases (0: skip)")
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help="cases driven at once")
    parser.add_argument("--shape", choices=("instant", "overlap"), default="instant",
                        help="instant (default): every deadline falls due at one instant after all cases are routed; "
                             "overlap: the first deadlines fall while the later cases are still being routed")
    parser.add_argument("--ack-within", default=None,
                        help='overlap shape: the acknowledge deadline, e.g. "120s" (default: a quarter of the '
                             "intake time the lifecycle rate predicts)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes serving the escalation cases (this one and N - 1 more)")
    parser.add_argument("--scale-out", type=int, default=0, metavar="N",
                        help="run the escalation on 1..N worker processes (fresh queue each) and report speed-ups")
    parser.add_argument("--max-cached-workflows", type=int, default=Settings().max_cached_workflows,
                        help="worker option for both sides (default: the engine's setting)")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that only shows the benchmark works")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.deadlines, args.in_flight = 2, 2, 2
    configure_logging("WARNING")  # as the tests: the activity's per-notification INFO lines off
    started = time.perf_counter()
    rows, context = asyncio.run(run(args))
    context["wall_seconds"] = round(time.perf_counter() - started, 1)
    print_table(rows)
    print()
    for side, counts in context["history_per_case"].items():
        interesting = {k: v for k, v in counts.items() if k.startswith((
            "HISTORY", "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED", "TIMER",
            "WORKFLOW_EXECUTION_UPDATE_COMPLETED", "UPSERT", "MARKER", "LOCAL"))}
        print(f"temporal history per case, {side}: "
              + ", ".join(f"{k.lower()}={v}" for k, v in interesting.items()))
    lc = context["lifecycle"]
    print(f"lifecycle: ours {lc['ours_actions_per_s']} actions/s, bare {lc['bare_actions_per_s']} actions/s; "
          f"CPU ms per case {lc['cpu_ms_per_case']}; CPU utilisation {lc['cpu_utilisation']}")
    for key in [k for k in context if k == "escalation" or k.startswith("scale_out_")]:
        esc = context[key]
        print(f"{key}: {esc['arrived']}/{esc['cases']} warnings ({esc['shape']}, acknowledge within "
              f"{esc['acknowledge_within']}), lateness ms {esc['lateness_ms']}; intake {esc['routed_per_s']} cases/s, "
              f"warnings drained at {esc['warnings_per_s']}/s; first deadline "
              f"{esc['first_deadline_after_last_route_s']} s after the last route, due within "
              f"{esc['deadline_spread_s']} s; worker processes' peak RSS "
              f"{esc.get('worker_processes_peak_rss_mib')} MiB")
        print(f"  lateness by deadline decile (p99 ms): {[d['p99'] for d in esc['lateness_by_deadline_decile_ms']]}")
        for group, parts in esc["breakdown_ms"].items():
            print(f"  breakdown, median of the {group} warnings (ms): {parts}")
    if "bare_escalation" in context:
        bare = context["bare_escalation"]
        print(f"bare timer workflows: {bare['arrived']}/{bare['cases']}, lateness ms {bare['lateness_ms']}, drained at "
              f"{bare['warnings_per_s']}/s; CPU ms per escalation: bare {bare['cpu_ms_per_escalation']}, ours "
              f"{context['escalation']['cpu_ms_per_escalation']}")
    print(f"peak RSS of this process (workers + drivers + client, in-process): {context['max_rss_mib']} MiB "
          f"(after lifecycle: {context['max_rss_mib_after_lifecycle']} MiB)")
    default = not args.smoke and (
        args.deadlines, args.shape, args.workers, args.scale_out, args.max_cached_workflows,
    ) == (DEADLINES, "instant", 1, 0, Settings().max_cached_workflows)
    name = "lifecycle" if default else (
        f"lifecycle-{args.deadlines}-{args.shape}-cache{args.max_cached_workflows}"
        + (f"-scale-out{args.scale_out}" if args.scale_out else f"-workers{args.workers}"))
    context["args"] = vars(args)
    path = write_results(name, rows, context=context)
    print(f"wrote {path} in {context['wall_seconds']} s")


if __name__ == "__main__":
    main()
