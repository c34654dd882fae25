"""The transparency log against the real PostgreSQL: leaves in global order, signed tree heads, proofs, and
tampering caught at the right place. Each test gets its own database, so tampering harms no other test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.events import Actor, ClockPaused, PendingEvent, TaskReminded
from domain.merkle import leaf_hash, mth, verify_consistency
from domain.vocabulary import Clock, Role
from infra.audit.keys import key_id, load_key, load_or_create_key, raw_public_key
from infra.audit.log import (
    consistency_proof,
    inclusion_proof,
    inclusion_proofs,
    integrate,
    read_tree_heads,
    sign_tree_head,
    signature_valid,
    tree_heads,
    verify_event_inclusion,
    verify_log,
    write_tree_heads,
)
from infra.db import create_pool, migrate
from infra.event_store import EventStore

ACTOR = Actor(role=Role.mediator, id="m-1", department="zongzhi")
NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    name = f"log_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    base, _, _ = pg_url.rpartition("/")
    pool = await create_pool(f"{base}/{name}", max_size=4)
    await migrate(pool)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def events(*reasons: str) -> list[PendingEvent]:
    return [PendingEvent(event_id=uuid.uuid4(), occurred_at=NOW, actor=ACTOR, payload=ClockPaused(reason=r))
            for r in reasons]


async def three_cases(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("A", 0, events("甲一", "甲二"))
    await store.append("B", 0, events("乙一"))
    await store.append("A", 2, [PendingEvent(event_id=uuid.uuid4(), occurred_at=NOW, actor=ACTOR, payload=TaskReminded(
        task_id="T1", clock=Clock.reply, fraction=0.75, due_at=NOW + timedelta(days=1)))])
    await store.append("C", 0, events("丙一", "丙二", "丙三"))


async def tamper(pool: asyncpg.Pool, sql: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")  # what an intruder does first
        await conn.execute(sql)


async def test_leaves_are_every_event_in_global_order(db: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
    await three_cases(db)
    head = await sign_tree_head(db, key, NOW)
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT case_id, seq, hash FROM events ORDER BY tx_id, position")
        leaves = await conn.fetch("SELECT case_id, seq FROM log_leaves ORDER BY leaf_index")
    assert [(r["case_id"], r["seq"]) for r in rows] == [(r["case_id"], r["seq"]) for r in leaves]
    assert [(r["case_id"], r["seq"]) for r in rows][:3] == [("A", 1), ("A", 2), ("B", 1)]
    assert head.tree_size == 7
    assert head.root_hash == mth([leaf_hash(bytes.fromhex(r["hash"])) for r in rows]).hex()
    assert signature_valid(head, raw_public_key(key))
    assert head.key_id == key_id(raw_public_key(key))
    assert await verify_log(db) == []


async def test_inclusion_proof_of_every_event_and_consistency_of_every_pair_of_heads(
        db: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
    heads = []
    store = EventStore(db)
    for n in range(1, 12):
        case = f"K{n % 4}"
        await store.append(case, await store.version(case), events(*[f"第{n}批{i}" for i in range(n % 3 + 1)]))
        heads.append(await sign_tree_head(db, key, NOW + timedelta(minutes=n)))
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT case_id, seq, hash FROM events")
        hashes = {(r["case_id"], r["seq"]): r["hash"] for r in rows}
        for head in heads:
            for (case_id, seq), chain_hash in hashes.items():
                try:
                    proof = await inclusion_proof(conn, case_id, seq, head.tree_size)
                except LookupError:
                    continue
                assert verify_event_inclusion(chain_hash, proof, head.root_hash)
            for earlier in heads:
                if earlier.tree_size <= head.tree_size:
                    path = await consistency_proof(conn, earlier.tree_size, head.tree_size)
                    assert verify_consistency(earlier.tree_size, head.tree_size, bytes.fromhex(earlier.root_hash),
                                              bytes.fromhex(head.root_hash), path)
        bulk = await inclusion_proofs(conn, "K1", heads[-1].tree_size)
        assert [p.leaf_index for p in bulk] == [(await inclusion_proof(conn, "K1", s, heads[-1].tree_size)).leaf_index
                                                for s in range(1, len(bulk) + 1)]
    assert await verify_log(db) == []


async def test_a_changed_event_is_named(db: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
    await three_cases(db)
    await sign_tree_head(db, key, NOW)
    await tamper(db, "UPDATE events SET data = jsonb_set(data, '{reason}', '\"改过\"') WHERE case_id = 'C' AND seq = 2")
    problems = await verify_log(db)
    assert (problems[0].case_id, problems[0].seq) == ("C", 2)
    assert "hash does not match" in problems[0].problem


async def test_an_event_rewritten_with_its_hashes_and_leaf_is_caught_by_the_signed_head(
        db: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
    """Someone with the database recomputes the chain and the leaf: only the signed root tells."""
    from domain.chain import chain_hash, envelope_for_hash

    await three_cases(db)
    await sign_tree_head(db, key, NOW)
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM events WHERE case_id = 'B' AND seq = 1")
    data = {**row["data"], "reason": "改过"}
    new_hash = chain_hash(row["prev_hash"], envelope_for_hash(
        case_id="B", seq=1, event_id=str(row["event_id"]), type=row["type"], schema_version=row["schema_version"],
        occurred_at=row["occurred_at"], actor=row["actor"], data=data))
    new_leaf = leaf_hash(bytes.fromhex(new_hash)).hex()
    await tamper(db, f"""UPDATE events SET data = jsonb_set(data, '{{reason}}', '"改过"'), hash = '{new_hash}'
                         WHERE case_id = 'B' AND seq = 1;
                         UPDATE log_leaves SET leaf_hash = '\\x{new_leaf}' WHERE case_id = 'B' AND seq = 1""")
    problems = await verify_log(db)
    assert any("tree head 1 (tree_size 7" in p.problem and "not consistent" in p.problem for p in problems), problems


async def test_cutting_a_case_tail_is_caught(db: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
    await three_cases(db)
    await sign_tree_head(db, key, NOW)
    await tamper(db, "DELETE FROM events WHERE case_id = 'C' AND seq = 3")
    problems = await verify_log(db)
    assert any(p.case_id == "C" and p.seq == 3 and "deleted" in p.problem for p in problems), problems
    await tamper(db, "DELETE FROM log_leaves WHERE case_id = 'C' AND seq = 3")
    problems = await verify_log(db)
    assert any("only 6 events" in p.problem for p in problems), problems


async def test_a_forged_head_is_refused(db: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
    await three_cases(db)
    head = await sign_tree_head(db, key, NOW)
    forged = head.model_copy(update={"tree_size": 6})
    assert not signature_valid(forged, raw_public_key(key))
    problems = await verify_log(db, {"witnessed head": [forged]})
    assert any("witnessed head 1" in p.problem and "signature" in p.problem for p in problems)


async def test_witnessed_heads_prove_consistency_and_name_the_first_head_that_fails(
        db: asyncpg.Pool, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    await three_cases(db)
    await sign_tree_head(db, key, NOW)
    await EventStore(db).append("D", 0, events("丁一"))
    await sign_tree_head(db, key, NOW + timedelta(hours=1))
    async with db.acquire() as conn:
        write_tree_heads(await tree_heads(conn), tmp_path / "heads.jsonl")
    witnessed = read_tree_heads(tmp_path / "heads.jsonl")
    assert [h.tree_size for h in witnessed] == [7, 8]
    await EventStore(db).append("D", 1, events("丁二"))
    assert await verify_log(db, {"witnessed head": witnessed}) == []
    # The operator rebuilds the log after cutting case D's first event: the stored heads can be re-signed,
    # the witness's copy cannot.
    await tamper(db, "DELETE FROM events WHERE case_id = 'D'; DELETE FROM log_leaves WHERE case_id = 'D'; "
                     "DELETE FROM log_nodes; DELETE FROM log_leaves; DELETE FROM tree_heads")
    await sign_tree_head(db, key, NOW + timedelta(hours=2))
    problems = await verify_log(db, {"witnessed head": witnessed})
    assert [p.problem.split(":")[0] for p in problems] == ["witnessed head 2 (tree_size 8, root "
                                                           f"{witnessed[1].root_hash[:16]}…)"]


async def test_integration_is_idempotent_and_the_log_tables_are_append_only(db: asyncpg.Pool) -> None:
    await three_cases(db)
    assert await integrate(db) == 7
    assert await integrate(db) == 0
    async with db.acquire() as conn:
        for sql in ("UPDATE log_leaves SET seq = 9", "DELETE FROM log_nodes", "TRUNCATE tree_heads"):
            with pytest.raises(asyncpg.RaiseError):
                await conn.execute(sql)


def test_the_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "log_key.pem"
    key = load_or_create_key(path)
    assert path.stat().st_mode & 0o077 == 0
    assert raw_public_key(load_or_create_key(path)) == raw_public_key(key) == raw_public_key(load_key(path))
    assert (tmp_path / "log_key.pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
