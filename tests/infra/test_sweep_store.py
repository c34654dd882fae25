"""The sweeps' event streams on the real PostgreSQL: appended with the case chain's rule (checked here with another
JCS implementation, the ``rfc8785`` package), verified, a forged row caught, a racing writer told to decide again,
and the table append-only."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
import rfc8785

from domain.chain import GENESIS_HASH
from domain.events import Actor, SweepGridReported, SweepStarted
from domain.policy import parse_policy, pin_policy
from domain.vocabulary import Role
from infra.sweeps import StaleSweep, append_sweep_events, sweep_events, verify_sweep

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = """calendar = "continuous"
timezone = "Asia/Shanghai"
[risk.medium]
acknowledge_within = "1h"
reply_within = "2h"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "1h"
[follow_up]
within = "1d"
"""
MEDIATOR = Actor(role=Role.mediator, id="u-m", name="王敏")
WORKER = Actor(role=Role.grid_worker, id="u-g", jurisdiction="grid-donghu-huayuan-1")


async def _two_events(pool: asyncpg.Pool) -> str:
    sweep_id = f"SW-T-{uuid.uuid4().hex[:8]}"
    started = SweepStarted(sweep_id=sweep_id, jurisdiction="cm-donghu-huayuan", grids=("grid-donghu-huayuan-1",),
                           started_at=AT, due="4h", due_at=AT.replace(hour=13),
                           policy=pin_policy(parse_policy(POLICY), AT))
    await append_sweep_events(pool, sweep_id, "cm-donghu-huayuan", 0, [started], MEDIATOR, AT)
    reported = SweepGridReported(grid_id="grid-donghu-huayuan-1", reported_at=AT, cases=())
    await append_sweep_events(pool, sweep_id, "cm-donghu-huayuan", 1, [reported], WORKER, AT)
    return sweep_id


async def test_a_sweeps_chain_follows_the_case_chain_rule_and_verifies(pool: asyncpg.Pool) -> None:
    sweep_id = await _two_events(pool)
    assert [e.type for e in await sweep_events(pool, sweep_id)] == ["SweepStarted", "SweepGridReported"]
    rows = await pool.fetch("SELECT seq, event_id, type, payload::text AS payload, actor::text AS actor, prev_hash,"
                            " hash FROM sweep_events WHERE sweep_id = $1 ORDER BY seq", sweep_id)
    prev = GENESIS_HASH
    for row in rows:
        envelope = {"case_id": sweep_id, "seq": row["seq"], "event_id": str(row["event_id"]), "type": row["type"],
                    "schema_version": 1, "occurred_at": "2026-03-02T09:00:00.000000Z",
                    "actor": json.loads(row["actor"]), "data": json.loads(row["payload"])}
        assert row["prev_hash"] == prev
        assert row["hash"] == hashlib.sha256(prev.encode() + rfc8785.dumps(envelope)).hexdigest()
        prev = row["hash"]
    chain = await verify_sweep(pool, sweep_id)
    assert chain.valid and chain.events == 2 and chain.head_hash == prev


async def test_a_forged_row_is_caught_and_a_racing_writer_decides_again(pool: asyncpg.Pool) -> None:
    sweep_id = await _two_events(pool)
    late = SweepGridReported(grid_id="grid-donghu-huayuan-1", reported_at=AT, cases=("C-1",))
    with pytest.raises(StaleSweep):  # it read the stream at one event, but there are two
        await append_sweep_events(pool, sweep_id, "cm-donghu-huayuan", 1, [late], WORKER, AT)
    head = await pool.fetchval("SELECT hash FROM sweep_events WHERE sweep_id = $1 AND seq = 2", sweep_id)
    await pool.execute(
        "INSERT INTO sweep_events (sweep_id, seq, event_id, type, payload, actor, occurred_at, jurisdiction,"
        " prev_hash, hash) VALUES ($1, 3, $2, 'SweepGridReported', $3, $4, $5, 'cm-donghu-huayuan', $6, $7)",
        sweep_id, uuid.uuid4(), late.model_dump(mode="json"), WORKER.model_dump(mode="json"), AT, head, "f" * 64)
    chain = await verify_sweep(pool, sweep_id)
    assert not chain.valid and chain.first_bad_seq == 3
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("UPDATE sweep_events SET type = 'x' WHERE sweep_id = $1", sweep_id)
