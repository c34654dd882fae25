"""Benchmark: a burst of notifications falling due at one instant (the morning end of quiet hours), delivered to a
local webhook receiver by a real `liandiao worker` process, against a bare httpx loop posting the same messages.

Set-up: CASES cases, each routed to TASKS departments while quiet hours last, so each has TASKS assignment
notifications deferred to the same instant T (the end of the quiet hours, a whole minute). At T every case's
durable timer fires; each notification goes out as one activity (Apprise json://) and its outcome is appended to
the case's stream. Rows:

- delivery_p99_ms: from T to the receiver's arrival, 99th percentile (target <= 5,000 ms);
- deliveries_per_s: notifications over (last arrival - T), against a bare loop posting the same JSON with one
  httpx client (100 at a time) in the same run (target ratio >= 0.5);
- deliveries_per_s_vs_bare_temporal: the same rate against bare Temporal workflows (``BareNotifyWorkflow``, one
  per case, on a worker process of their own with the same worker options and payload codec) that sleep to an
  instant T2 on one durable timer and then send the same messages with one activity each (a shared httpx
  client posting the JSON), as the engine did before it sent a case's due notifications in one activity (target
  ratio >= 2). The bare side records nothing: no ledger, no outcome events;
- worker_peak_rss_mib: the worker process's peak RSS during the burst, against its RSS before it."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # not when a workflow sandbox re-imports this file
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
from temporalio import activity, workflow
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from application.case_client import CaseClient
from bench._common import Result, print_table, write_results
from domain.commands import RouteCase
from domain.organisation import _read_demo
from infra.codec import KEY_FILE_NAME
from infra.db import create_pool, migrate
from infra.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port
from infra.logging import configure_logging
from infra.settings import Settings
from infra.temporal import connect_temporal, load_codec
from tests.workflows.scenario import MEDIATOR, receive_command
from workers.case_worker import tuning
from workflows.dispute_case import DELIVERY_RETRY

CASES, TASKS = 500, 10
TZ = ZoneInfo("Asia/Shanghai")

# The receiver: its own process (uvicorn, a bare ASGI app), answering 200 to every POST and recording
# (path, arrival time); GET answers the arrivals so far.
RECEIVER = r"""
import json, sys, time
import uvicorn
arrivals = []
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = b""
    if scope["method"] == "POST":
        arrivals.append((scope["path"], time.time()))
    else:
        body = json.dumps(arrivals).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", backlog=4096, access_log=False)
"""


async def arrivals(receiver: str, prefix: str) -> list[float]:
    async with httpx.AsyncClient() as http:
        data = (await http.get(receiver, timeout=30)).json()
    return [t for path, t in data if path.startswith(prefix)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def check_alive(worker: subprocess.Popen[bytes], log: Path) -> None:
    """A worker that exited stops the run at once, with its last lines (not a wait for a burst that cannot come)."""
    if worker.poll() is not None:
        raise SystemExit(f"the worker exited with code {worker.returncode}; its last lines:\n{tail(log)}")


async def set_up(cases: CaseClient, count: int, departments: list[str], policy: str, in_flight: int,
                 alive: Any) -> None:
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with gate:
            alive()
            case_id = f"B-{uuid.uuid4().hex[:8]}-{i:05d}"
            await cases.receive(case_id, receive_command(policy, departments=tuple(departments)), MEDIATOR)
            await cases.act(case_id, RouteCase(lead_department=departments[0],
                                               co_departments=tuple(departments[1:])), MEDIATOR)

    await asyncio.gather(*(one(i) for i in range(count)))


async def bare_loop(url: str, bodies: list[dict[str, Any]], in_flight: int = 100) -> float:
    """Post every body with one httpx client, ``in_flight`` at a time; the seconds it took."""
    gate = asyncio.Semaphore(in_flight)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=in_flight)) as http:
        async def post(body: dict[str, Any]) -> None:
            async with gate:
                (await http.post(url, json=body, timeout=30)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(b) for b in bodies))
        return time.perf_counter() - started


BARE_QUEUE = "bench-bare-notify"


class BarePoster:
    def __init__(self) -> None:
        self.http = httpx.AsyncClient(limits=httpx.Limits(max_connections=100))

    @activity.defn(name="bare_post")
    async def post(self, url: str, title: str, text: str) -> None:
        body = {"version": "1.0", "title": title, "message": text, "attachments": [], "type": "info"}
        (await self.http.post(url, json=body, timeout=30)).raise_for_status()


@workflow.defn(name="BareNotify")
class BareNotifyWorkflow:
    """One case's messages on bare Temporal: one durable timer to the instant, then one activity per message."""

    @workflow.run
    async def run(self, due: str, urls: list[str], title: str, text: str) -> None:
        delay = (datetime.fromisoformat(due) - workflow.now()).total_seconds()
        if delay > 0:
            await workflow.sleep(delay)
        await asyncio.gather(*(workflow.execute_activity(
            "bare_post", args=[url, title, text], start_to_close_timeout=timedelta(seconds=20),
            retry_policy=DELIVERY_RETRY) for url in urls))


async def serve_bare(address: str, key_file: str) -> None:
    """The bare side's worker process: the engine's worker options and payload codec, no sandbox (as ours)."""
    import signal

    client = await connect_temporal(address, codec=load_codec(Path(key_file)))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue=BARE_QUEUE, workflows=[BareNotifyWorkflow], activities=[BarePoster().post],
                      workflow_runner=UnsandboxedWorkflowRunner(), **tuning(Settings())):  # type: ignore[arg-type]
        print("ready", flush=True)
        await stop.wait()


async def bare_temporal(client: Any, receiver: str, cases: int, tasks: int, text: str, lead_s: int,
                        wait_s: int, alive: Any) -> tuple[float, int]:
    """Start ``cases`` BareNotifyWorkflow due at one whole-second instant ``lead_s`` ahead; the seconds from that
    instant to the last arrival, and how many arrived."""
    due = datetime.fromtimestamp(math.ceil(time.time() + lead_s), tz=TZ)
    gate = asyncio.Semaphore(32)
    run = uuid.uuid4().hex[:6]

    async def start(i: int) -> None:
        async with gate:
            urls = [f"{receiver}bare-temporal/{i}/{t}" for t in range(tasks)]
            await client.start_workflow(BareNotifyWorkflow.run, args=[due.isoformat(), urls, "【联调·派单】", text],
                                        id=f"BN-{run}-{i:05d}", task_queue=BARE_QUEUE)

    await asyncio.gather(*(start(i) for i in range(cases)))
    if time.time() >= due.timestamp():
        raise SystemExit("the bare workflows' start ran past their instant: raise --setup-seconds")
    total = cases * tasks
    while True:
        alive()
        got = await arrivals(receiver, "/bare-temporal/")
        if len(got) >= total and time.time() > due.timestamp():
            return max(got) - due.timestamp(), len(got)
        if time.time() > due.timestamp() + wait_s:
            return max(got, default=due.timestamp()) - due.timestamp(), len(got)
        await asyncio.sleep(0.25)


async def run(args: argparse.Namespace) -> tuple[list[Result], dict[str, Any]]:
    # Under the checkout's .liandiao/ (ignored by git), not /tmp: nobody else's clean-up can remove it mid-run.
    scratch = Path(__file__).resolve().parent.parent / ".liandiao"  # noqa: ASYNC240
    scratch.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-notify-", dir=scratch))
    postgres, temporal = EmbeddedPostgres(tmp), EmbeddedTemporal(tmp, port=free_port(), ui=False)
    port = free_port()
    receiver_proc = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])  # noqa: ASYNC220
    receiver = f"http://127.0.0.1:{port}/"
    worker: subprocess.Popen[bytes] | None = None
    bare_worker: subprocess.Popen[bytes] | None = None
    context: dict[str, Any] = {"cases": args.cases, "tasks_per_case": args.tasks}
    try:
        url = await postgres.start()
        address = await temporal.start()
        pool = await create_pool(url, max_size=4)
        await migrate(pool)
        org = json.loads(_read_demo())
        # Departments from the organisation in force, not a list of ids kept here that can fall out of date.
        departments = [d["id"] for d in org["departments"]][:args.tasks]
        if len(departments) < args.tasks:
            raise SystemExit(f"the organisation has {len(departments)} departments; --tasks {args.tasks} needs more")
        for d in org["departments"]:
            d["notify"] = {"liaisons": [f"json://127.0.0.1:{port}/ours/{d['id']}"]}
        (tmp / "org.json").write_text(json.dumps(org, ensure_ascii=False), encoding="utf-8")
        queue = "bench-notify"
        env = {**os.environ, "LIANDIAO_DATABASE_URL": url, "LIANDIAO_TEMPORAL_ADDRESS": address,
               "LIANDIAO_TASK_QUEUE": queue, "LIANDIAO_ORGANISATION_FILE": str(tmp / "org.json"),
               "LIANDIAO_LOG_LEVEL": "WARNING", "LIANDIAO_DATA_DIR": str(tmp),
               "LIANDIAO_CODEC_KEY_FILE": str(tmp / KEY_FILE_NAME)}
        codec = load_codec(tmp / KEY_FILE_NAME, create=True)  # the worker's and this client's key ring
        log = tmp / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker"], env=env,  # noqa: ASYNC220
                                      stdout=out, stderr=subprocess.STDOUT)

        def alive() -> None:
            assert worker is not None
            check_alive(worker, log)

        client = await connect_temporal(address, codec=codec)
        cases = CaseClient(client, queue)

        # Quiet hours from an hour ago to T, a whole minute far enough ahead for the set-up to finish.
        now = datetime.now(TZ)
        due = (now + timedelta(seconds=args.setup_seconds + 60)).replace(second=0, microsecond=0)
        policy = (f'calendar = "continuous"\n[risk.medium]\nacknowledge_within = "2h"\nreply_within = "4h"\n'
                  f'[notifications]\nquiet_hours = ["{now - timedelta(hours=1):%H:%M}-{due:%H:%M}"]\n')
        started = time.perf_counter()
        await set_up(cases, args.cases, departments, policy, args.in_flight, alive)
        context["setup_seconds"] = round(time.perf_counter() - started, 1)
        t_due = due.timestamp()
        if time.time() >= t_due:
            raise SystemExit(f"set-up took {context['setup_seconds']} s and ran past the due instant: "
                             "raise --setup-seconds")
        proc = psutil.Process(worker.pid)
        rss_before = proc.memory_info().rss
        peak = rss_before
        total = args.cases * args.tasks
        context["seconds_waited_for_the_instant"] = round(t_due - time.time(), 1)
        while True:  # until every notification arrived (sampling the worker's memory meanwhile)
            alive()
            peak = max(peak, proc.memory_info().rss)
            if time.time() > t_due and len(await arrivals(receiver, "/ours/")) >= total:
                break
            if time.time() > t_due + args.timeout:
                raise SystemExit(f"{len(await arrivals(receiver, '/ours/'))} of {total} notifications arrived "
                                 f"within {args.timeout} s; the worker's last lines:\n{tail(log)}")
            await asyncio.sleep(0.25)
        got = await arrivals(receiver, "/ours/")
        recorded = await pool.fetchval("SELECT count(*) FROM events WHERE type = 'NotificationDelivered'")
        while recorded < total and time.time() < t_due + args.timeout:
            peak = max(peak, proc.memory_info().rss)
            await asyncio.sleep(0.5)
            recorded = await pool.fetchval("SELECT count(*) FROM events WHERE type = 'NotificationDelivered'")
        last_recorded = await pool.fetchval(
            "SELECT extract(epoch FROM max(occurred_at)) FROM events WHERE type = 'NotificationDelivered'")
        latencies = [(t - t_due) * 1000 for t in got]
        ours_span = max(got) - t_due
        context.update({
            "delivered": len(got), "recorded": recorded,
            "latency_ms": {"p50": round(percentile(latencies, 0.5)), "p99": round(percentile(latencies, 0.99)),
                           "max": round(max(latencies))},
            "all_recorded_after_s": round(float(last_recorded) - t_due, 1),
            "duplicates_at_receiver": len(got) - total,
        })

        # The baseline: the same messages, posted by a bare httpx loop to the same receiver.
        sample = {"version": "1.0", "title": "【联调·派单】案件 B-1", "message": "【联调·派单】" + "x" * 200,
                  "attachments": [], "type": "info"}
        bare_seconds = await bare_loop(f"{receiver}bare", [sample] * total)
        context["bare_seconds"] = round(bare_seconds, 2)

        # The peer: bare Temporal workflows, one activity per message, on a worker process of their own (ours is
        # stopped first, so that the two never share the cores).
        text = await pool.fetchval("SELECT data->>'text' FROM events WHERE type = 'NotificationIssued' LIMIT 1")
        await pool.close()
        worker.terminate()
        worker.wait(30)
        with log.open("ab") as out:
            bare_worker = subprocess.Popen(  # noqa: ASYNC220
                [sys.executable, __file__, "--serve-bare", address, str(tmp / KEY_FILE_NAME)],
                env=env, stdout=subprocess.PIPE, stderr=out)
        assert bare_worker.stdout is not None
        if bare_worker.stdout.readline().strip() != b"ready":
            raise SystemExit(f"the bare worker did not start:\n{tail(log)}")

        def bare_alive() -> None:
            assert bare_worker is not None
            check_alive(bare_worker, log)

        bare_span, bare_arrived = await bare_temporal(client, receiver, args.cases, args.tasks, text,
                                                      args.bare_lead_seconds, args.timeout, bare_alive)
        context["bare_temporal"] = {"seconds_after_instant": round(bare_span, 2), "arrived": bare_arrived}
        if bare_arrived < total:
            raise SystemExit(f"bare Temporal: {bare_arrived} of {total} arrived within {args.timeout} s")
        rows = [
            Result("delivery_p99_ms", percentile(latencies, 0.99), "ms", "target", 5000.0, "<= 1",
                   note=f"{total} notifications due at one instant, due -> received"),
            Result("deliveries_per_s", total / ours_span, "1/s", "bare httpx loop", total / bare_seconds, ">= 0.5"),
            Result("deliveries_per_s_vs_bare_temporal", total / ours_span, "1/s",
                   "bare Temporal workflows, one activity per message", total / bare_span, ">= 2",
                   note=f"{args.cases} workflows x {args.tasks} messages due at one instant"),
            Result("worker_peak_rss_mib", peak / 2**20, "MiB", "worker before the burst", rss_before / 2**20, "?"),
        ]
        return rows, context
    finally:
        for p in (worker, bare_worker, receiver_proc):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:  # a worker still finishing activities
                    p.kill()
                    p.wait(10)
        try:
            temporal.stop()
        finally:
            postgres.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    if sys.argv[1:2] == ["--serve-bare"]:
        configure_logging("WARNING")
        asyncio.run(serve_bare(sys.argv[2], sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--tasks", type=int, default=TASKS, help=f"tasks (notifications) per case, <= {TASKS}")
    parser.add_argument("--in-flight", type=int, default=32, help="cases set up at once")
    parser.add_argument("--setup-seconds", type=int, default=120, help="time allowed for the set-up")
    parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for the burst to arrive")
    parser.add_argument("--bare-lead-seconds", type=int, default=60,
                        help="time allowed to start the bare Temporal workflows before their instant")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that only shows the benchmark works")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.tasks, args.in_flight, args.setup_seconds, args.timeout = 2, 2, 2, 15, 120
        args.bare_lead_seconds = 10
    configure_logging("WARNING")
    rows, context = asyncio.run(run(args))
    print_table(rows)
    print(f"\nburst: {context['delivered']} received, {context['recorded']} recorded; "
          f"latency ms {context['latency_ms']}; all outcomes in the streams "
          f"{context['all_recorded_after_s']} s after the instant; set-up "
          f"{context['setup_seconds']} s; bare loop {context['bare_seconds']} s; bare Temporal "
          f"{context['bare_temporal']['seconds_after_instant']} s after its instant")
    print(f"wrote {write_results('notifications', rows, context=context)}")


if __name__ == "__main__":
    main()
