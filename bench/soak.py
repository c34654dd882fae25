"""Soak: a district's busiest hour, ten times over, for ten minutes, against a real `liandiao up`.

    .venv/bin/python bench/soak.py [--minutes 10] [--scale 10] [--seed 1] [--smoke]

One `liandiao up --demo` (embedded PostgreSQL and Temporal, the workbench and the API on one port, the
worker and the projector in the same process) on a temp data dir, with a policy whose deadlines run in
minutes (``calendar = "continuous"``), so that warnings and listings fall due while the load runs.

The busiest hour of a district centre (临江区, the demo organisation), per hour, before ``--scale``:

* 60 cases received at the window (统一受理) and routed to the suggested departments (统一分流);
* each department's liaison looks at the inbox on a phone about every 2 minutes, acknowledges most tasks
  (70 % per look) and replies to the acknowledged ones (50 % per look); the rest run past their deadlines;
* a mediator closes what has been replied (resolution), a supervisor verifies it, the mediator records the
  follow-up and archives;
* the people at their desks keep the workbench open (desk, inbox, board pages refresh on their own), and
  look at cases; a supervisor watches the board; an auditor verifies a case's chain now and then.

Every simulated person is an asyncio task with exponential think times (seeded); the API is called with
bearer tokens from ``liandiao token issue`` and the workbench with a signed-in session (its login form).
Each write carries an ``Idempotency-Key``. A 409 to an action is the engine refusing a move another
person made first (expected); every 5xx, transport error or other unexpected status counts as an error.

Rows (``bench/results/soak.json``):

* ``request_p99_ms[METHOD ROUTE]``: p99 latency of each route over the whole soak, against the same route's
  p99 in the first two minutes (ratio = whole / first two minutes: above 1 it slowed down as it ran), for
  the routes called at least ``MIN_FOR_P99`` times in those two minutes; ``request_p50_ms[METHOD ROUTE]``:
  the same with medians, for the routes called less often (the writes, the API's inbox and board), whose
  early p99 would be the slowest of a dozen requests;
* ``errors``: errors over all requests (target 0);
* ``rss_mib[up|temporal|postgres]``: resident memory (for PostgreSQL the private memory of its processes:
  the shared buffers are bounded by a setting) at the end, against the start (after two minutes of load,
  when caches and pools are warm); the target is growth under 10 %. The note also gives the
  idle figure before the load.

The context's ``windows`` give each route's requests, median and p99 per two minutes, and for the API's
inbox the median number of items an answer held: a district where tasks arrive faster than they are
answered has more to show as it runs, so a page's growth is read beside its data's."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench._common import Result, print_table, quiet_warnings, write_results

quiet_warnings()

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402

from domain.organisation import demo_organisation, suggest_route  # noqa: E402
from infra.embedded import free_port  # noqa: E402

POLICY = """calendar = "continuous"
timezone = "Asia/Shanghai"
[risk.low]
acknowledge_within = "4m"
reply_within = "10m"
[risk.medium]
acknowledge_within = "3m"
reply_within = "8m"
[risk.high]
acknowledge_within = "2m"
reply_within = "6m"
[risk.critical]
acknowledge_within = "90s"
reply_within = "5m"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "3m"
[notifications]
quiet_hours = []
"""

# What a district's centre sees in its busiest hour (before --scale): see the module docstring.
INTAKES_PER_HOUR = 60
LOOK_EVERY_S = 120  # a liaison's inbox; a desk page refreshes itself more often, counted as one look here
DESK_PEOPLE = 20  # people with a workbench page open (mediators, liaisons, supervisors) ...
REFRESH_S = 5  # ... which refreshes itself this often (the desk, inbox and board pages do)
SESSIONS = 9  # signed-in clients that make those requests between them (3 per role)
CASE_LOOKS_PER_HOUR = 240
BOARD_LOOKS_PER_HOUR = 60
AUDITS_PER_HOUR = 20
CLOSES_PER_HOUR = 240  # looks at cases that may be ready to close: as many close as arrive, in steady state

CASES = [  # (category, grid, risk): what the window receives, with its share of the hour
    ("wages", "grid-donghu-huayuan-1", "high"),
    ("leak", "grid-donghu-huayuan-2", "medium"),
    ("property_fee", "grid-donghu-huayuan-1", "low"),
    ("parking", "grid-donghu-huayuan-2", "medium"),
    ("neighbour", "grid-donghu-huayuan-1", "medium"),
    ("family", "grid-donghu-huayuan-2", "low"),
]
WARMUP_S = 120  # memory is compared from here on: the worker's and Temporal's caches fill first
EARLY_S = 120
SMOKE_MINUTES = 0.25  # every kind of person gets a turn; the rows of so short a run mean nothing
# A route's p99 is compared only where the first two minutes hold this many of its requests (their p99 is then
# a real 99th percentile); a route called less often is compared by its median.
MIN_FOR_P99 = 100
ACTION = re.compile(r"/(acknowledge|reply|resolution|verification|follow-up|archive|route)$")


# --------------------------------------------------------------------------------------------- the stack


class Up:
    """`liandiao up --demo` as a process of its own, stopped (and its data dir removed) on the way out."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.data = tmp / "data"
        self.port = free_port()
        policy = tmp / "soak-policy.toml"
        policy.write_text(POLICY, encoding="utf-8")
        self.log = open(tmp / "up.log", "w")  # closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "up", "--demo", "--data-dir", str(self.data), "--policy",
             str(policy), "--api-port", str(self.port), "--temporal-port", str(free_port()),
             "--ui-port", str(free_port())],
            cwd=Path(__file__).resolve().parent.parent, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "LIANDIAO_LOG_LEVEL": "WARNING"})

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def healthy(self, within_s: float = 180) -> None:
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient(timeout=3) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"liandiao up exited: {(self.tmp / 'up.log').read_text()[-2000:]}")
                try:
                    if (await http.get(f"{self.base}/api/v1/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
        raise SystemExit("liandiao up did not become healthy")

    def token(self, role: str, department: str | None = None) -> str:
        args = [sys.executable, "-m", "entrypoints.cli", "token", "issue", "--role", role, "--name", f"soak {role}",
                "--data-dir", str(self.data)]
        if department:
            args += ["--department", department]
        out = subprocess.run(args, capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent.parent)
        return out.stdout.strip().splitlines()[-1]

    def processes(self) -> dict[str, list[psutil.Process]]:
        root = psutil.Process(self.proc.pid)
        found: dict[str, list[psutil.Process]] = {"up": [root], "temporal": [], "postgres": []}
        for child in root.children(recursive=True):
            name = child.name()
            if "temporal" in name:
                found["temporal"].append(child)
            elif "postgres" in name:
                found["postgres"].append(child)
        return found

    def memory_mib(self, found: dict[str, list[psutil.Process]] | None = None) -> dict[str, float]:
        """RSS of `up` and Temporal; for PostgreSQL the private memory (USS) summed over its processes: their
        shared buffers are bounded by ``shared_buffers`` and counted once they are touched, which is not growth.
        ``found``: the processes, if the caller has them already."""
        out = {}
        for name, procs in (found or self.processes()).items():
            total = 0
            for p in procs:
                with _gone_ok():
                    total += p.memory_full_info().uss if name == "postgres" else p.memory_info().rss
            out[name] = total / 2**20
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


class _gone_ok:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        return isinstance(exc, psutil.NoSuchProcess | psutil.AccessDenied)


# ------------------------------------------------------------------------------------------- measuring


@dataclass
class Calls:
    start: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: list[str] = field(default_factory=list)
    refused: int = 0  # 409s to actions: another person moved first
    # How many items each inbox answer held, with when: an inbox grows as unanswered tasks pile up, so its
    # latency is read beside its size (see windows()).
    inbox_items: list[tuple[float, int]] = field(default_factory=list)

    def record(self, route: str, seconds: float, status: int) -> None:
        self.latencies[route].append((time.monotonic() - self.start, seconds * 1000))
        self.statuses[route][status] += 1

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)] if ordered else float("nan")


def template(path: str) -> str:
    """`/api/v1/cases/C-1/tasks/T-2/reply` -> `/api/v1/cases/{id}/tasks/{id}/reply`."""
    path = path.split("?", 1)[0]
    return re.sub(r"/(cases|tasks|departments)/[^/]+", r"/\1/{id}", path)


class Person:
    """One simulated person: an HTTP client with a bearer token or a workbench session."""

    def __init__(self, up: Up, calls: Calls, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=up.base, headers=headers, timeout=60)
        self.calls = calls

    async def call(self, method: str, path: str, body: Any = None,
                   expect: tuple[int, ...] = ()) -> httpx.Response | None:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" and path.startswith("/api") else {}
        route = f"{method} {template(path)}"
        began = time.monotonic()
        try:
            response = await self.http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            self.calls.errors.append(f"{route}: {type(exc).__name__}")
            return None
        self.calls.record(route, time.monotonic() - began, response.status_code)
        if response.status_code < 400 or response.status_code in expect:
            if response.status_code == 409:
                self.calls.refused += 1
            return response
        self.calls.errors.append(f"{route}: {response.status_code} {response.text[:200]}")
        return None

    async def sign_in(self, login: str, password: str) -> None:
        page = await self.http.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "the login page has no CSRF field"
        response = await self.http.post("/login", data={"login": login, "password": password,
                                                        "csrf_token": csrf.group(1), "next": ""})
        assert response.status_code in (302, 303), (response.status_code, response.text[:300])

    async def close(self) -> None:
        await self.http.aclose()


# ---------------------------------------------------------------------------------------------- people


@dataclass
class District:
    """What the simulated people share: the cases received so far."""

    cases: list[str] = field(default_factory=list)
    leads: dict[str, str] = field(default_factory=dict)  # case -> lead department


async def every(mean_s: float, until: float, rng: random.Random, step: Callable[[], Awaitable[None]]) -> None:
    """Run ``step`` at exponentially spaced moments (mean ``mean_s``) until the monotonic time ``until``; the
    moments are planned ahead, so a slow step does not lower the rate (the next one starts late instead)."""
    at = time.monotonic()
    while True:
        at += rng.expovariate(1 / mean_s)
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        if time.monotonic() >= until:
            return
        await step()


def intake_body(rng: random.Random, n: int) -> tuple[dict[str, Any], str]:
    category, grid, risk = rng.choice(CASES)
    unique = f"{n:04d}{rng.randrange(10**4):04d}"
    return {
        "title": "居民反映纠纷", "description": "居民到综治中心反映纠纷，请相关部门协调处理。", "category": category,
        "channel": "walk_in", "grid_id": grid, "risk_level": risk,
        "parties": [{"name": "张三", "role": "applicant", "phone": f"139{unique}"},
                    {"name": "李四", "role": "respondent"}],
    }, grid


async def mediator_intake(person: Person, district: District, mean_s: float, until: float,
                          rng: random.Random) -> None:
    org = demo_organisation()

    async def step() -> None:
        body, grid = intake_body(rng, len(district.cases))
        received = await person.call("POST", "/api/v1/cases", body)
        if received is None:
            return
        case_id = received.json()["case_id"]
        route = suggest_route(org, body["category"], grid)
        routed = await person.call("POST", f"/api/v1/cases/{case_id}/route",
                                   {"lead_department": route.lead, "co_departments": list(route.co)}, expect=(409,))
        if routed is not None and routed.status_code < 300:
            district.cases.append(case_id)
            district.leads[case_id] = route.lead

    await every(mean_s, until, rng, step)


async def liaison(person: Person, department: str, mean_s: float, until: float, rng: random.Random) -> None:
    async def step() -> None:
        inbox = await person.call("GET", f"/api/v1/departments/{department}/inbox")
        if inbox is None:
            return
        items = inbox.json()["items"]
        person.calls.inbox_items.append((time.monotonic() - person.calls.start, len(items)))
        for item in items[:10]:
            case_id, task_id = item["case_id"], item["task_id"]
            if item["status"] == "pending_ack" and rng.random() < 0.7:
                await person.call("POST", f"/api/v1/cases/{case_id}/tasks/{task_id}/acknowledge", {},
                                  expect=(409,))
            elif item["status"] == "acknowledged" and rng.random() < 0.5:
                await person.call("POST", f"/api/v1/cases/{case_id}/tasks/{task_id}/reply",
                                  {"summary": "已约谈双方，达成初步处理意见。"}, expect=(409,))

    await every(mean_s, until, rng, step)


async def closer(mediator: Person, supervisor: Person, district: District, mean_s: float, until: float,
                 rng: random.Random) -> None:
    """The rest of a case's life once its tasks are replied: resolution, verification, follow-up, archive."""

    async def step() -> None:
        for case_id in rng.sample(district.cases, min(5, len(district.cases))):  # the first that can move on
            case = await mediator.call("GET", f"/api/v1/cases/{case_id}")
            if case is None:
                return
            data = case.json()
            if data["stage"] == "supervision" or (data["stage"] == "coordination" and data["tasks"] and all(
                    t["status"] in ("replied", "cancelled") for t in data["tasks"])):
                await close(case_id, data)
                return

    async def close(case_id: str, data: dict[str, Any]) -> None:
        base = f"/api/v1/cases/{case_id}"
        if data["stage"] == "coordination":
            await mediator.call("POST", f"{base}/resolution", {"outcome": "mediated", "summary": "双方达成调解协议。"},
                                expect=(409,))
            await supervisor.call("POST", f"{base}/verification", {"accepted": True}, expect=(409,))
        else:
            await supervisor.call("POST", f"{base}/verification", {"accepted": True}, expect=(409,))
            await mediator.call("POST", f"{base}/follow-up", {"satisfaction": "satisfied"}, expect=(409,))
            archived = await mediator.call("POST", f"{base}/archive", {}, expect=(409,))
            if archived is not None and archived.status_code < 300 and case_id in district.cases:
                district.cases.remove(case_id)

    await every(mean_s, until, rng, step)


async def watcher(person: Person, district: District, paths: list[str], mean_s: float, until: float,
                  rng: random.Random, case_path: str | None = None) -> None:
    """Someone with pages open: a page, now and then a case."""

    async def step() -> None:
        if case_path and district.cases and rng.random() < 0.5:
            await person.call("GET", case_path.format(id=rng.choice(district.cases)))
        else:
            await person.call("GET", rng.choice(paths))

    await every(mean_s, until, rng, step)


# ------------------------------------------------------------------------------------------------ the run


async def soak(minutes: float, scale: float, seed: int) -> tuple[list[Result], dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="liandiao-bench-soak-"))
    up = Up(tmp)
    context: dict[str, Any] = {"minutes": minutes, "scale": scale, "seed": seed}
    people: list[Person] = []
    try:
        await up.healthy()
        idle = up.memory_mib()
        org = demo_organisation()
        departments = sorted({d for c, g, _ in CASES for r in [suggest_route(org, c, g)] for d in (r.lead, *r.co)})
        calls = Calls()
        mediator = Person(up, calls, up.token("mediator"))
        supervisor = Person(up, calls, up.token("supervisor"))
        auditor = Person(up, calls, up.token("auditor"))
        liaisons = {d: Person(up, calls, up.token("liaison", d)) for d in departments}
        desks: list[tuple[str, Person]] = []
        for i in range(SESSIONS):  # the demo's people, signed in to the workbench
            login = ("mediator", "supervisor", "liaison")[i % 3]
            desk = Person(up, calls)
            await desk.sign_in(login, f"demo-{login}")
            desks.append((login, desk))
        people = [mediator, supervisor, auditor, *liaisons.values(), *(p for _, p in desks)]
        district = District()
        rng = random.Random(seed)
        calls.start = time.monotonic()
        until = calls.start + minutes * 60
        hour = 3600 / scale  # seconds per "busiest hour" of events at this scale
        pages = {"mediator": ["/desk", "/board", "/notifications"], "supervisor": ["/board", "/notifications"],
                 "liaison": ["/inbox", "/notifications"]}  # each role's own pages; mediators and supervisors
        # open cases from them too. Between them the sessions make DESK_PEOPLE x scale refreshes per REFRESH_S.
        desk_mean_s = REFRESH_S * SESSIONS / (DESK_PEOPLE * scale)
        tasks = [
            mediator_intake(mediator, district, hour / INTAKES_PER_HOUR, until, random.Random(rng.random())),
            closer(mediator, supervisor, district, hour / CLOSES_PER_HOUR, until, random.Random(rng.random())),
            watcher(supervisor, district, ["/api/v1/supervision/board"], hour / BOARD_LOOKS_PER_HOUR, until,
                    random.Random(rng.random())),
            watcher(auditor, district, ["/api/v1/supervision/board"], hour / AUDITS_PER_HOUR, until,
                    random.Random(rng.random()), case_path="/api/v1/cases/{id}/verify"),
            watcher(mediator, district, ["/api/v1/cases?limit=50"], hour / CASE_LOOKS_PER_HOUR, until,
                    random.Random(rng.random()), case_path="/api/v1/cases/{id}"),
            *(liaison(p, d, LOOK_EVERY_S / scale * len(departments) / 2, until, random.Random(rng.random()))
              for d, p in liaisons.items()),
            *(watcher(p, district, pages[role], desk_mean_s, until, random.Random(rng.random()),
                      case_path=None if role == "liaison" else "/cases/{id}") for role, p in desks),
        ]
        memory: list[tuple[float, dict[str, float]]] = []

        async def sample_memory() -> None:
            while time.monotonic() < until:
                await asyncio.sleep(min(30.0, max(1.0, until - time.monotonic())))
                # with PostgreSQL's process count: a backend (a pool connection opened, autovacuum) adds its
                # private memory as a step
                found = up.processes()
                memory.append((round(time.monotonic() - calls.start),
                               {**up.memory_mib(found), "postgres_processes": len(found["postgres"])}))

        async def warm() -> dict[str, float]:
            await asyncio.sleep(min(WARMUP_S, minutes * 60 / 4))
            return up.memory_mib()

        warm_task = asyncio.create_task(warm())
        await asyncio.gather(*tasks, sample_memory())
        start_mem, end_mem = await warm_task, up.memory_mib()
        context.update(await district_state(up, calls, district))
        context["memory_mib"] = {"idle": _round(idle), "start": _round(start_mem), "end": _round(end_mem),
                                 "series": [(t, _round(m)) for t, m in memory]}
        return rows(calls, start_mem, end_mem, idle), context
    finally:
        for p in people:
            await p.close()
        up.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _round(m: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in m.items()}


async def district_state(up: Up, calls: Calls, district: District) -> dict[str, Any]:
    stack = json.loads((up.data / "stack.json").read_text())
    conn = await asyncpg.connect(stack["database_url"])
    try:
        counts = dict(await conn.fetch("SELECT type, count(*) FROM events GROUP BY type ORDER BY 2 DESC"))
    finally:
        await conn.close()
    return {"requests": calls.total, "refused_409": calls.refused, "errors": calls.errors[:20],
            "events_by_type": counts, "open_cases_in_play": len(district.cases),
            "windows": windows(calls),
            "statuses": {r: dict(s) for r, s in sorted(calls.statuses.items())}}


def windows(calls: Calls, width_s: float = EARLY_S) -> dict[str, list[dict[str, float]]]:
    """Each route's latency per window of the soak (the first is the rows' baseline), and for the inbox API the
    median number of items an answer held: whether a route slowed down, or had more to answer."""
    out: dict[str, list[dict[str, float]]] = {}
    for route, samples in sorted(calls.latencies.items()):
        by: dict[int, list[float]] = defaultdict(list)
        for at, ms in samples:
            by[int(at // width_s)].append(ms)
        out[route] = [{"from_s": w * width_s, "requests": len(v), "p50_ms": round(median(v), 1),
                       "p99_ms": round(p99(v), 1)} for w, v in sorted(by.items())]
    inbox = "GET /api/v1/departments/{id}/inbox"
    if inbox in out:
        sizes: dict[int, list[float]] = defaultdict(list)
        for at, n in calls.inbox_items:
            sizes[int(at // width_s)].append(n)
        for window in out[inbox]:
            window["median_items"] = median(sizes.get(int(window["from_s"] // width_s), [0]))
    return out


def rows(calls: Calls, start: dict[str, float], end: dict[str, float], idle: dict[str, float]) -> list[Result]:
    out = []
    for route, samples in sorted(calls.latencies.items()):
        whole = [ms for _, ms in samples]
        early = [ms for at, ms in samples if at <= EARLY_S] or whole
        if len(whole) < 20:
            continue  # too few to compare
        note = f"{len(whole)} requests, {len(early)} in the first two minutes"
        if len(early) >= MIN_FOR_P99:
            out.append(Result(f"request_p99_ms[{route}]", p99(whole), "ms", "same route, first two minutes",
                              p99(early), "<= 1.5", note=note))
        else:  # the p99 of a dozen requests is their slowest: one hiccup, not the route's speed
            out.append(Result(f"request_p50_ms[{route}]", median(whole), "ms", "same route, first two minutes",
                              median(early), "<= 1.5", note=note))
    errors = len(calls.errors)
    out.append(Result("errors", errors, "requests", "all requests", calls.total or 1, "<= 0",
                      note=f"{calls.refused} refusals (409: moved first by another person) are not errors"))
    for name in ("up", "temporal", "postgres"):
        out.append(Result(f"rss_mib[{name}]", end[name], "MiB", "after the first two minutes of load", start[name],
                          "<= 1.10", note=f"idle before the load: {idle[name]:.0f} MiB"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs")
    parser.add_argument("--scale", type=float, default=10.0, help="times the district's busiest hour")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run (15 s of load): it completes and writes its rows")
    args = parser.parse_args()
    if args.smoke:
        args.minutes = SMOKE_MINUTES
    began = time.monotonic()
    results, context = asyncio.run(soak(args.minutes, args.scale, args.seed))
    print_table(results)
    print(f"\nrequests {context['requests']}, refusals (409) {context['refused_409']}, "
          f"events by type {context['events_by_type']}")
    print(f"memory MiB: idle {context['memory_mib']['idle']}, start {context['memory_mib']['start']}, "
          f"end {context['memory_mib']['end']}")
    if context["errors"]:
        print("first errors:", *context["errors"][:10], sep="\n  ")
    path = write_results("soak", results, context=context)
    print(f"wrote {path} in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
