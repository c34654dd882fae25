"""Event store throughput against the ``eventsourcing`` library and raw asyncpg, on one embedded PostgreSQL.

    .venv/bin/python bench/event_store.py

Rows (events/s, higher is better; ratio = ours / baseline):

* ``append_single``: one event per ``EventStore.append`` (hash chain on), sequential, over many short case
  streams, against ``eventsourcing``'s ``PostgresApplicationRecorder.insert_events`` saving one event per
  call (the recorder that gives a global order, as ours does).
* ``append_single_vs_raw``: the same figure against raw asyncpg single-row INSERTs (autocommit, one
  statement per event) into a plain table with the same primary key: the floor the database allows.
* ``append_batch10``: ten events per append, against our own ``append_single`` figure.
* ``replay``: ``read_stream`` + fold of 20-event streams, against ``eventsourcing``'s ``repository.get`` of
  an aggregate with 20 events (no snapshots, no cache). The fold is ``domain.case.fold(events)`` when that
  exists, else a local count of events by type.

* ``append_single_with_log``: ``append_single`` again while the transparency log's integrator runs beside it
  (as ``liandiao up`` runs it, every second), against the same appends without it, in alternating rounds.
  Target >= 0.9.
* ``log_integrate``: leaves integrated per second (reading events in global order, hashing, storing leaves and
  subtrees) for a log of ``LOG_EVENTS`` events, against a plain read of the same events in global order.
* ``inclusion_proof_p99_ms``: one event's inclusion proof (leaf lookup + one query for the nodes) in a tree
  of ``LOG_EVENTS`` leaves, ``PROOFS`` random events; ratio = 20 ms / p99.
* ``audit_verify``: ``verify_log`` (every chain recomputed, every leaf checked, the whole tree recomputed and
  compared with the stored subtrees, every head) over ``LOG_EVENTS`` events, against a plain cursor read of
  the same rows. The events (10 per case) are generated with valid chains and COPYed in directly.

Both sides run in this process, one after the other, each with a short warm-up; the ``eventsourcing``
side (psycopg 3, synchronous) uses its own database in the same server. Inputs (domain events, stored
events, raw rows) are built before the clock starts."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncio
import hashlib
import importlib
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from bench._common import Result, embedded_postgres, print_table, quiet_warnings, write_results

quiet_warnings()

import asyncpg  # noqa: E402

from domain.chain import GENESIS_HASH, canonical_json, envelope_for_hash  # noqa: E402
from domain.events import (  # noqa: E402
    Actor,
    CaseReceived,
    CaseRouted,
    ClockPaused,
    ClockResumed,
    Party,
    PendingEvent,
    TaskAcknowledged,
    TaskAssigned,
    TaskReplied,
    payload_data,
)
from domain.policy import DEFAULT_POLICY, pin_policy  # noqa: E402
from domain.vocabulary import Channel, PartyRole, RiskLevel, Role, TaskRole  # noqa: E402
from infra.db import create_pool, migrate  # noqa: E402
from infra.event_store import EventStore  # noqa: E402

# Sizes: keep the whole run well under three minutes on two cores.
SINGLE_CASES, SINGLE_EVENTS = 300, 10  # append_single: 3,000 appends
BATCH_CASES, BATCH_CALLS, BATCH_SIZE = 300, 2, 10  # append_batch10: 600 appends, 6,000 events
REPLAY_CASES, REPLAY_EVENTS, REPLAY_PASSES = 300, 20, 4  # replay: 1,200 stream reads, 24,000 events
WARMUP_CASES = 20
ES_DBNAME = "es_bench"
LOG_DBNAME = "log_bench"
LOG_EVENTS = int(os.environ.get("LIANDIAO_BENCH_LOG_EVENTS", "1000000"))
LOG_EVENTS_PER_CASE = 10
PROOFS = 1000
LOG_ROUNDS = 6

ACTOR = Actor(role=Role.liaison, id="liaison-017", department="城管执法局")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------- inputs


TASKS = 3


# A real pinned policy (with its three years of calendar data), as every received case carries.
PINNED_POLICY = pin_policy(DEFAULT_POLICY, datetime(2026, 11, 21, tzinfo=UTC)).model_dump(mode="json")

def _payload(i: int) -> Any:
    """Event ``i`` of a plausible case: received, routed, three tasks assigned, then acknowledgements,
    pauses, resumptions and replies on those tasks, round and round."""
    if i == 0:
        return CaseReceived(
            title="小区夜间施工噪音扰民", description="某工地连续多日夜间施工，居民多次投诉未果。" * 3,
            category="environment.noise", channel=Channel.hotline, grid_id="G-0307",
            risk_level=RiskLevel.medium,
            parties=(Party(name="张某", role=PartyRole.applicant, phone="13800000000"),
                     Party(name="某建筑公司", role=PartyRole.respondent)),
            policy=PINNED_POLICY,
        )
    if i == 1:
        return CaseRouted(lead_department="城管执法局", co_departments=("生态环境局", "住建局"))
    if i < 2 + TASKS:
        return TaskAssigned(
            task_id=f"T-{i - 2}", department=("城管执法局", "生态环境局", "住建局")[i - 2],
            role=TaskRole.lead if i == 2 else TaskRole.co,
            acknowledge_due_at=T0 + timedelta(days=1), reply_due_at=T0 + timedelta(days=5),
        )
    task_id = f"T-{(i - 2 - TASKS) // 4 % TASKS}"
    match (i - 2 - TASKS) % 4:
        case 0:
            return TaskAcknowledged(task_id=task_id)
        case 1:
            return ClockPaused(reason="等待当事人补充材料 (awaiting the parties' documents)")
        case 2:
            return ClockResumed(reason="材料已补齐")
        case _:
            return TaskReplied(task_id=task_id, summary="已现场核查并答复当事人，问题已整改。")


def make_events(n: int) -> list[PendingEvent]:
    return [
        PendingEvent(
            event_id=uuid4(), occurred_at=T0 + timedelta(minutes=i), actor=ACTOR, payload=_payload(i)
        )
        for i in range(n)
    ]


Cases = list[tuple[str, list[PendingEvent]]]  # (case id, its events)


def make_cases(prefix: str, cases: int, events: int) -> Cases:
    return [(f"{prefix}-{c:05d}", make_events(events)) for c in range(cases)]


# --------------------------------------------------------------------------------------------- folds


def _count_by_type(events: Sequence[Any]) -> dict[str, int]:
    return dict(Counter(e.type for e in events))


Fold = Callable[[Sequence[Any]], Any]


def pick_fold() -> tuple[Fold, str]:
    """``domain.case.fold`` once it exists, else a trivial local fold."""
    try:
        module = importlib.import_module("domain.case")
    except ModuleNotFoundError as exc:
        if exc.name != "domain.case":
            raise
        return _count_by_type, "local count-by-type fold (domain.case not present)"
    fold = getattr(module, "fold", None)
    if fold is None:
        return _count_by_type, "local count-by-type fold (domain.case has no fold)"
    return fold, "domain.case.fold"


# --------------------------------------------------------------------------------------------- ours


async def ours_append_single(store: EventStore, cases: Cases) -> float:
    start = time.perf_counter()
    for case_id, events in cases:
        for version, event in enumerate(events):
            await store.append(case_id, version, [event])
    return time.perf_counter() - start


async def ours_append_batch(store: EventStore, cases: Cases, size: int) -> float:
    start = time.perf_counter()
    for case_id, events in cases:
        for version in range(0, len(events), size):
            await store.append(case_id, version, events[version:version + size])
    return time.perf_counter() - start


async def ours_replay(store: EventStore, case_ids: Sequence[str], fold: Fold) -> int:
    count = 0
    for case_id in case_ids:
        events = await store.read_stream(case_id)
        fold(events)
        count += len(events)
    return count


# --------------------------------------------------------------------------------------------- raw asyncpg


RAW_TABLE = """CREATE TABLE raw_events (
    case_id text NOT NULL, seq integer NOT NULL, event_id uuid NOT NULL, type text NOT NULL,
    data jsonb NOT NULL, occurred_at timestamptz NOT NULL, PRIMARY KEY (case_id, seq))"""
RAW_INSERT = (
    "INSERT INTO raw_events (case_id, seq, event_id, type, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)"
)


def raw_rows(cases: Cases) -> list[tuple[str, int, UUID, str, str, datetime]]:
    return [
        (case_id, seq, e.event_id, e.type, json.dumps(payload_data(e.payload), ensure_ascii=False),
         e.occurred_at)
        for case_id, events in cases
        for seq, e in enumerate(events, start=1)
    ]


async def raw_insert(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> float:
    start = time.perf_counter()
    for row in rows:
        await conn.execute(RAW_INSERT, *row)
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------------- eventsourcing


def es_stored_events(cases: Cases) -> list[Any]:
    from eventsourcing.persistence import StoredEvent

    out = []
    for _case_id, events in cases:
        originator = uuid4()
        for version, e in enumerate(events, start=1):
            state = json.dumps(payload_data(e.payload), ensure_ascii=False).encode()
            out.append(StoredEvent(originator_id=originator, originator_version=version,
                                   topic=f"bench:{e.type}", state=state))
    return out


def es_insert_single(recorder: Any, stored: list[Any]) -> float:
    start = time.perf_counter()
    for event in stored:
        recorder.insert_events([event])
    return time.perf_counter() - start


def es_env(port: int) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": ES_DBNAME,
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "IS_SNAPSHOTTING_ENABLED": "n",
        "AGGREGATE_CACHE_MAXSIZE": "",
    }


def es_replay_app(port: int) -> Any:
    """An eventsourcing Application with an aggregate mirroring the same 20 case events (created from the
    CaseReceived data, then one method per event type)."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    # Each event carries the payload's data as one dict, so it stores the same fields as ours whatever the
    # payload classes hold.
    class BenchCase(Aggregate):
        @event("CaseReceived")
        def __init__(self, data: dict[str, Any]) -> None:
            self.title, self.category, self.parties = data["title"], data["category"], data["parties"]
            self.stage = "triage"
            self.tasks: dict[str, dict[str, Any]] = {}
            self.paused = False

        @event("CaseRouted")
        def routed(self, data: dict[str, Any]) -> None:
            self.stage = "coordination"

        @event("TaskAssigned")
        def assigned(self, data: dict[str, Any]) -> None:
            self.tasks[data["task_id"]] = {**data, "status": "pending_ack"}

        @event("TaskAcknowledged")
        def acknowledged(self, data: dict[str, Any]) -> None:
            self.tasks[data["task_id"]]["status"] = "acknowledged"

        @event("ClockPaused")
        def paused_(self, data: dict[str, Any]) -> None:
            self.paused = True

        @event("ClockResumed")
        def resumed(self, data: dict[str, Any]) -> None:
            self.paused = False

        @event("TaskReplied")
        def replied(self, data: dict[str, Any]) -> None:
            self.tasks[data["task_id"]].update(status="replied", summary=data["summary"])

    methods = {
        "CaseRouted": "routed", "TaskAssigned": "assigned", "TaskAcknowledged": "acknowledged",
        "ClockPaused": "paused_", "ClockResumed": "resumed", "TaskReplied": "replied",
    }

    class BenchCases(Application[UUID]):
        is_snapshotting_enabled = False

        def create(self, n_events: int) -> UUID:
            case = BenchCase(payload_data(_payload(0)))
            for i in range(1, n_events):
                p = _payload(i)
                getattr(case, methods[p.type])(payload_data(p))
            self.save(case)
            return case.id

    app = BenchCases(env=es_env(port))
    assert app.snapshots is None, "snapshotting must be off for the replay baseline"
    return app


def es_replay(app: Any, ids: Sequence[UUID]) -> int:
    count = 0
    for aggregate_id in ids:
        count += app.repository.get(aggregate_id).version
    return count


# --------------------------------------------------------------------------------------------- the run


async def run() -> tuple[list[Result], dict[str, Any]]:
    fold, fold_name = pick_fold()
    rows: list[Result] = []
    context: dict[str, Any] = {"fold": fold_name}
    async with embedded_postgres() as url:
        port = urlsplit(url).port
        assert port is not None
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f"CREATE DATABASE {ES_DBNAME}")
            context["server"] = {
                name: await admin.fetchval(f"SHOW {name}")
                for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method")
            }
        finally:
            await admin.close()

        pool = await create_pool(url)
        try:
            await migrate(pool)
            store = EventStore(pool)

            # ---- append_single: ours
            await ours_append_single(store, make_cases("warm-single", WARMUP_CASES, 5))
            single_cases = make_cases("single", SINGLE_CASES, SINGLE_EVENTS)
            n_single = SINGLE_CASES * SINGLE_EVENTS
            ours_single = n_single / await ours_append_single(store, single_cases)

            # ---- append_single: eventsourcing recorder, one event per insert_events
            from eventsourcing.postgres import (
                PostgresAggregateRecorder,
                PostgresApplicationRecorder,
                PostgresDatastore,
            )

            datastore = PostgresDatastore(
                dbname=ES_DBNAME, host="127.0.0.1", port=port, user="postgres", password="",
            )
            try:
                recorder = PostgresApplicationRecorder(datastore, events_table_name="recorder_events")
                recorder.create_table()
                es_insert_single(recorder, es_stored_events(make_cases("w", WARMUP_CASES, 5)))
                stored = es_stored_events(make_cases("es", SINGLE_CASES, SINGLE_EVENTS))
                es_single = len(stored) / es_insert_single(recorder, stored)

                # Context only: the recorder without a global order (no table lock, no notification id).
                agg_recorder = PostgresAggregateRecorder(datastore, events_table_name="aggregate_events")
                agg_recorder.create_table()
                es_insert_single(agg_recorder, es_stored_events(make_cases("w", WARMUP_CASES, 5)))
                stored = es_stored_events(make_cases("es", SINGLE_CASES, SINGLE_EVENTS))
                context["eventsourcing_aggregate_recorder_single_events_per_s"] = round(
                    len(stored) / es_insert_single(agg_recorder, stored), 1
                )
            finally:
                datastore.close()

            rows.append(Result(
                "append_single", ours_single, "events/s",
                "eventsourcing PostgresApplicationRecorder, 1 event/insert_events", es_single, ">= 4",
            ))

            # ---- append_single_vs_raw: raw asyncpg single-row inserts, autocommit
            raw = await asyncpg.connect(url)
            try:
                await raw.execute(RAW_TABLE)
                await raw_insert(raw, raw_rows(make_cases("warm-raw", WARMUP_CASES, 5)))
                rows_raw = raw_rows(make_cases("raw", SINGLE_CASES, SINGLE_EVENTS))
                raw_single = len(rows_raw) / await raw_insert(raw, rows_raw)
            finally:
                await raw.close()
            rows.append(Result(
                "append_single_vs_raw", ours_single, "events/s",
                "raw asyncpg INSERT, 1 row/statement, autocommit", raw_single, ">= 0.8",
            ))

            # ---- append_single_with_log: the same appends with the transparency log integrating beside them
            rows.append(await append_with_and_without_log(pool, store))

            # ---- append_batch10: ours, ten events per call, against our own single figure
            await ours_append_batch(store, make_cases("warm-batch", WARMUP_CASES, BATCH_SIZE), BATCH_SIZE)
            batch_cases = make_cases("batch", BATCH_CASES, BATCH_CALLS * BATCH_SIZE)
            n_batch = BATCH_CASES * BATCH_CALLS * BATCH_SIZE
            ours_batch = n_batch / await ours_append_batch(store, batch_cases, BATCH_SIZE)
            rows.append(Result(
                "append_batch10", ours_batch, "events/s", "our append_single", ours_single, ">= 5",
            ))

            # ---- replay: ours, read_stream + fold of 20-event streams
            replay_cases = make_cases("replay", REPLAY_CASES, REPLAY_EVENTS)
            await ours_append_batch(store, replay_cases, REPLAY_EVENTS)
            replay_ids = [case_id for case_id, _ in replay_cases]
            await ours_replay(store, replay_ids[:WARMUP_CASES], fold)
            start = time.perf_counter()
            replayed = 0
            for _ in range(REPLAY_PASSES):
                replayed += await ours_replay(store, replay_ids, fold)
            ours_replay_rate = replayed / (time.perf_counter() - start)
            assert replayed == REPLAY_CASES * REPLAY_EVENTS * REPLAY_PASSES, replayed
        finally:
            await pool.close()

        # ---- replay: eventsourcing repository.get of a 20-event aggregate
        app = es_replay_app(port)
        try:
            es_ids = [app.create(REPLAY_EVENTS) for _ in range(REPLAY_CASES)]
            es_replay(app, es_ids[:WARMUP_CASES])
            start = time.perf_counter()
            es_replayed = 0
            for _ in range(REPLAY_PASSES):
                es_replayed += es_replay(app, es_ids)
            es_replay_rate = es_replayed / (time.perf_counter() - start)
            assert es_replayed == REPLAY_CASES * REPLAY_EVENTS * REPLAY_PASSES, es_replayed
        finally:
            app.close()
        rows.append(Result(
            "replay", ours_replay_rate, "events/s",
            "eventsourcing Application repository.get, 20-event aggregate", es_replay_rate, ">= 3",
            note=fold_name,
        ))

        log_results, context["log"] = await log_rows(url)
        rows += log_results

    context["sizes"] = {
        "append_single": f"{SINGLE_CASES} cases x {SINGLE_EVENTS} events",
        "append_batch10": f"{BATCH_CASES} cases x {BATCH_CALLS} appends x {BATCH_SIZE} events",
        "replay": f"{REPLAY_CASES} streams x {REPLAY_EVENTS} events x {REPLAY_PASSES} passes",
    }
    return rows, context


# --------------------------------------------------------------------------------------------- the log


async def append_with_and_without_log(pool: asyncpg.Pool, store: EventStore) -> Result:
    """Alternate rounds without and with the integrator running beside the appends (as ``liandiao up`` runs it,
    every second), so a machine busy with other work slows both sides alike; events/s over all rounds."""
    from infra.audit.log import integrate, run_integrator

    seconds = {False: 0.0, True: 0.0}
    per_round = SINGLE_CASES // LOG_ROUNDS
    for n in range(LOG_ROUNDS):
        for with_log in (False, True):
            await integrate(pool)  # each round starts from an integrated log, as a running stack is
            stop = asyncio.Event()
            integrator = asyncio.create_task(run_integrator(pool, stop, interval=1.0)) if with_log else None
            try:
                seconds[with_log] += await ours_append_single(
                    store, make_cases(f"log{int(with_log)}-{n}", per_round, SINGLE_EVENTS))
            finally:
                stop.set()
                if integrator is not None:
                    await integrator
    appends = LOG_ROUNDS * per_round * SINGLE_EVENTS
    return Result("append_single_with_log", appends / seconds[True], "events/s",
                  f"append_single without the log, alternating {LOG_ROUNDS} rounds with it", appends / seconds[False],
                  ">= 0.9", note=f"{appends} appends each side")


def generated_events(n: int) -> list[tuple[Any, ...]]:
    """``n`` events, ten per case, with valid chains: the rows COPY writes into ``events``."""
    rows = []
    actor = ACTOR.model_dump(mode="json")
    rng = random.Random(12)
    prev = GENESIS_HASH
    for i in range(n):
        case, seq = f"L-{i // LOG_EVENTS_PER_CASE:07d}", i % LOG_EVENTS_PER_CASE + 1
        if seq == 1:
            prev = GENESIS_HASH
        event_id = UUID(int=rng.getrandbits(128), version=4)
        at = T0 + timedelta(seconds=i)
        data = {"reason": f"等待鉴定结果 第{seq}次", "task_id": f"T{seq}"}
        envelope = envelope_for_hash(case_id=case, seq=seq, event_id=str(event_id), type="ClockPaused",
                                     schema_version=1, occurred_at=at, actor=actor, data=data)
        digest = hashlib.sha256((prev + canonical_json(envelope)).encode()).hexdigest()
        rows.append((case, seq, event_id, "ClockPaused", 1, at, actor, data, prev, digest))
        prev = digest
    return rows


async def log_rows(url: str) -> tuple[list[Result], dict[str, Any]]:
    """The log at ``LOG_EVENTS`` events, in its own database of the same server."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from infra.audit.log import inclusion_proof, integrate, sign_tree_head, verify_log

    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE DATABASE {LOG_DBNAME}")
    finally:
        await admin.close()
    pool = await create_pool(url.rsplit("/", 1)[0] + f"/{LOG_DBNAME}", max_size=4)
    rows: list[Result] = []
    context: dict[str, Any] = {}
    try:
        await migrate(pool)
        start = time.perf_counter()
        generated = generated_events(LOG_EVENTS)
        context["generate_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        async with pool.acquire() as conn:
            for i in range(0, len(generated), 20_000):
                chunk = generated[i:i + 20_000]
                columns = list(zip(*chunk, strict=True))
                async with conn.transaction():  # one transaction a chunk, as many appends would be
                    await conn.execute(
                        """INSERT INTO events (case_id, seq, event_id, type, schema_version, occurred_at, actor,
                                               data, prev_hash, hash)
                           SELECT c, s, e, t, v, o, a::jsonb, d::jsonb, p, h FROM unnest($1::text[], $2::int[],
                                  $3::uuid[], $4::text[], $5::int[], $6::timestamptz[], $7::text[], $8::text[],
                                  $9::text[], $10::text[]) AS u(c, s, e, t, v, o, a, d, p, h)""",
                        *columns[:6], [json.dumps(a, ensure_ascii=False) for a in columns[6]],
                        [json.dumps(d, ensure_ascii=False) for d in columns[7]], columns[8], columns[9])
            await conn.execute("ANALYZE events")
        context["copy_s"] = round(time.perf_counter() - start, 1)
        del generated

        # Plain read in global order: the baseline for integration and verification.
        start = time.perf_counter()
        read = 0
        async with pool.acquire() as conn, conn.transaction():
            async for _ in conn.cursor("SELECT * FROM events ORDER BY tx_id, position", prefetch=2000):
                read += 1
        scan_rate = read / (time.perf_counter() - start)

        start = time.perf_counter()
        integrated = await integrate(pool)
        integrate_rate = integrated / (time.perf_counter() - start)
        assert integrated == LOG_EVENTS, integrated
        rows.append(Result("log_integrate", integrate_rate, "events/s",
                           "cursor read of the same events in global order", scan_rate, "",
                           note=f"{LOG_EVENTS:,} events"))

        rng = random.Random(3)
        samples = [(f"L-{c:07d}", rng.randrange(1, LOG_EVENTS_PER_CASE + 1))
                   for c in (rng.randrange(LOG_EVENTS // LOG_EVENTS_PER_CASE) for _ in range(PROOFS))]
        timings = []
        select1 = []
        async with pool.acquire() as conn:
            for case, seq in samples[:50]:
                await inclusion_proof(conn, case, seq, LOG_EVENTS)  # warm-up
            for case, seq in samples:
                t = time.perf_counter()
                proof = await inclusion_proof(conn, case, seq, LOG_EVENTS)
                timings.append((time.perf_counter() - t) * 1000)
                assert proof.path and proof.leaf_index < LOG_EVENTS
                t = time.perf_counter()
                await conn.fetchval("SELECT 1")
                select1.append((time.perf_counter() - t) * 1000)
        timings.sort()
        select1.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        row = Result("inclusion_proof_p99_ms", p99, "ms", "SELECT 1 round trip p99, same connection (context)",
                     select1[int(len(select1) * 0.99) - 1], ">= 1",
                     note=f"tree of {LOG_EVENTS:,} leaves, {PROOFS} random events; ratio = 20 ms / p99; "
                          f"median {timings[len(timings) // 2]:.2f} ms")
        row.ratio = 20 / p99
        rows.append(row)

        await sign_tree_head(pool, Ed25519PrivateKey.generate(), datetime.now(UTC))
        start = time.perf_counter()
        problems = await verify_log(pool)
        verify_rate = LOG_EVENTS / (time.perf_counter() - start)
        assert problems == [], problems[:3]
        rows.append(Result("audit_verify", verify_rate, "events/s", "cursor read of the same events", scan_rate, "",
                           note=f"verify_log over {LOG_EVENTS:,} events: chains, leaves, tree, heads"))
    finally:
        await pool.close()
    return rows, context


def smoke() -> None:
    """Sizes for a run that only shows the benchmark works (the test suite's): every phase, a few events each."""
    global SINGLE_CASES, SINGLE_EVENTS, BATCH_CASES, REPLAY_CASES, REPLAY_PASSES, WARMUP_CASES, LOG_EVENTS, PROOFS
    SINGLE_CASES, SINGLE_EVENTS, BATCH_CASES, REPLAY_CASES, REPLAY_PASSES = 12, 2, 6, 6, 1
    WARMUP_CASES, LOG_EVENTS, PROOFS = 2, 200, 5


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run that only shows the benchmark works")
    if parser.parse_args().smoke:
        smoke()
    started = time.perf_counter()
    rows, context = asyncio.run(run())
    print_table(rows)
    context["wall_seconds"] = round(time.perf_counter() - started, 1)
    path = write_results("event_store", rows, context=context)
    print(f"\nfold: {context.get('fold')}; server: {context.get('server')}")
    print(f"eventsourcing aggregate recorder (context): "
          f"{context.get('eventsourcing_aggregate_recorder_single_events_per_s')} events/s")
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path} "
          f"in {context['wall_seconds']} s")


if __name__ == "__main__":
    main()
