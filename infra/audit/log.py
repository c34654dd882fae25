"""The transparency log over every event (RFC 6962 / RFC 9162 style) and its signed tree heads.

- **Leaves** are the events in the event store's global order (tx_id, position). Leaf bytes are the event's chain
  hash as 32 raw bytes (it commits to the event's canonical envelope and, through prev_hash, to its whole case
  before it); leaf hash = SHA-256(0x00 || leaf bytes). Interior nodes and proofs: ``domain/merkle.py``.
- **Integration** runs after commit, off the append path: :func:`integrate` reads events below the snapshot's
  xmin (so none can commit behind it, see infra/event_store.py) and appends their leaves and every subtree they
  complete. Appends pay nothing for the log; a tree head integrates everything first.
- **A signed tree head** (STH) is (tree_size, root_hash, timestamp, key_id, signature): Ed25519 over RFC 6962
  §3.5's TreeHeadSignature, the 50 bytes ``0x00 (v1) || 0x01 (tree_hash) || uint64 timestamp_ms || uint64
  tree_size || root_hash``, big-endian. ``key_id`` = hex(SHA-256(DER SubjectPublicKeyInfo)).
- **Verification** (:func:`verify_log`) recomputes every chain, every leaf from its event, the whole tree from
  the leaves, every head's root and signature, and each head's consistency proof from the one before."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel

from domain.chain import GENESIS_HASH, chain_hash_matches, envelope_for_hash
from domain.merkle import (
    EMPTY_ROOT,
    Node,
    consistency_ranges,
    fold_range,
    hashes_for,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    nodes_for,
    range_nodes,
    verify_consistency,
    verify_inclusion,
)
from infra.audit.keys import key_id, raw_public_key
from infra.locks import AdvisoryLock
from infra.logging import get_logger

log = get_logger(__name__)

LOG_LOCK = int(AdvisoryLock.TRANSPARENCY_LOG)
TREE_HEAD_FILE = "tree_heads.jsonl"  # under the data dir: each new head, a copy outside the database
BATCH = 5000


class TreeHead(BaseModel):
    """A signed tree head exactly as witnesses keep it (one JSON line each in `liandiao audit seals export`)."""

    tree_size: int
    root_hash: str  # lowercase hex
    timestamp: int  # milliseconds since the epoch, UTC
    key_id: str  # lowercase hex
    signature: str  # lowercase hex, 64 bytes

    def signed_bytes(self) -> bytes:
        return tree_head_signature_input(self.tree_size, bytes.fromhex(self.root_hash), self.timestamp)

    def line(self) -> str:
        return json.dumps(self.model_dump(), separators=(",", ":"))

    @property
    def sealed_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)


class LogProblem(BaseModel):
    problem: str
    case_id: str | None = None
    seq: int | None = None


def tree_head_signature_input(tree_size: int, root: bytes, timestamp_ms: int) -> bytes:
    return struct.pack(">BBQQ", 0, 1, timestamp_ms, tree_size) + root


def signature_valid(head: TreeHead, raw_public: bytes) -> bool:
    try:
        if key_id(raw_public) != head.key_id:
            return False
        Ed25519PublicKey.from_public_bytes(raw_public).verify(bytes.fromhex(head.signature), head.signed_bytes())
        return True
    except (InvalidSignature, ValueError):
        return False


def event_leaf_hash(chain_hash_hex: str) -> bytes:
    return leaf_hash(bytes.fromhex(chain_hash_hex))


# --- integration -------------------------------------------------------------------------------------------


async def fetch_nodes(conn: Any, nodes: Iterable[Node]) -> dict[Node, bytes]:
    wanted = set(nodes)
    leaves = [i for level, i in wanted if level == 0]
    inner = [(level, i) for level, i in wanted if level > 0]
    rows = await conn.fetch(
        """SELECT 0 AS level, leaf_index AS idx, leaf_hash AS hash FROM log_leaves WHERE leaf_index = ANY($1::bigint[])
           UNION ALL
           SELECT n.level, n.idx, n.hash FROM log_nodes n
             JOIN unnest($2::smallint[], $3::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx""",
        leaves, [n[0] for n in inner], [n[1] for n in inner],
    )
    found = {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}
    if len(found) != len(wanted):
        raise LookupError(f"the log lacks nodes {sorted(wanted - set(found))[:3]}: it is not integrated that far")
    return found


async def log_size(conn: Any) -> int:
    value = await conn.fetchval("SELECT max(leaf_index) FROM log_leaves")
    return 0 if value is None else int(value) + 1


async def integrate_batch(conn: Any, limit: int = BATCH) -> int:
    """Append the next ``limit`` finished events as leaves (one transaction); returns how many."""
    async with conn.transaction():
        # Leaves are derived from the events: a batch lost in a crash is integrated again, identically, so it
        # need not wait for its own fsync. A tree head's commit (synchronous) flushes the WAL before it anyway.
        await conn.execute(f"SET LOCAL synchronous_commit = off; SELECT pg_advisory_xact_lock({LOG_LOCK})")
        last = await conn.fetchrow(
            "SELECT leaf_index, tx_id, position FROM log_leaves ORDER BY leaf_index DESC LIMIT 1")
        size = 0 if last is None else last["leaf_index"] + 1
        after = (0, 0) if last is None else (last["tx_id"], last["position"])
        rows = await conn.fetch(
            """SELECT tx_id::text::bigint AS tx, position, case_id, seq, hash FROM events
                WHERE (tx_id, position) > ($1::text::xid8, $2)
                  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY tx_id, position LIMIT $3""",
            str(after[0]), after[1], limit,
        )
        if not rows:
            return 0
        frontier_nodes = range_nodes(0, size)
        known = await fetch_nodes(conn, frontier_nodes) if size else {}
        stack = [(level, idx, known[(level, idx)]) for level, idx in frontier_nodes]
        new_nodes: list[tuple[int, int, bytes]] = []
        hashes = []
        for i, row in enumerate(rows, start=size):
            h = event_leaf_hash(row["hash"])
            hashes.append(h)
            stack.append((0, i, h))
            while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
                level, right_idx, right = stack.pop()
                _, _, left = stack.pop()
                merged = (level + 1, right_idx >> 1, node_hash(left, right))
                stack.append(merged)
                new_nodes.append(merged)
        await conn.copy_records_to_table(
            "log_leaves", columns=["leaf_index", "tx_id", "position", "case_id", "seq", "leaf_hash"],
            records=[(size + i, r["tx"], r["position"], r["case_id"], r["seq"], hashes[i]) for i, r in enumerate(rows)],
        )
        if new_nodes:
            await conn.copy_records_to_table("log_nodes", columns=["level", "idx", "hash"], records=new_nodes)
        return len(rows)


async def integrate(pool: asyncpg.Pool, limit: int = BATCH) -> int:
    """Integrate every event finished by now; returns how many leaves were added. It stops at the first batch
    that is not full: under a steady stream of appends, going on would chase each new commit one by one."""
    total = 0
    async with pool.acquire() as conn:
        while True:
            added = await integrate_batch(conn, limit)
            total += added
            if added < limit:
                return total


async def run_integrator(pool: asyncpg.Pool, stop: asyncio.Event, interval: float = 1.0) -> None:
    """Integrate every ``interval`` seconds until ``stop``; a failure is logged and retried."""
    while not stop.is_set():
        try:
            await integrate(pool)
        except Exception as exc:  # the loop outlives a database restart
            log.warning("log integration failed; will retry", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


# --- roots and proofs --------------------------------------------------------------------------------------


async def root_at(conn: Any, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    nodes = await fetch_nodes(conn, range_nodes(0, size))
    return fold_range([nodes[n] for n in range_nodes(0, size)])


@dataclass(frozen=True, slots=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {"leaf_index": self.leaf_index, "tree_size": self.tree_size, "leaf_hash": self.leaf_hash.hex(),
                "path": [p.hex() for p in self.path]}


async def inclusion_proofs(conn: Any, case_id: str, tree_size: int, upto: int | None = None) -> list[InclusionProof]:
    """The audit path of each of ``case_id``'s events in the tree of ``tree_size`` (events beyond it skipped)."""
    rows = await conn.fetch(
        """SELECT leaf_index, leaf_hash FROM log_leaves
            WHERE case_id = $1 AND leaf_index < $2 AND seq <= $3 ORDER BY seq""",
        case_id, tree_size, upto if upto is not None else 2**31 - 1,
    )
    ranges = {r["leaf_index"]: inclusion_ranges(r["leaf_index"], tree_size) for r in rows}
    nodes = await fetch_nodes(conn, nodes_for([x for rs in ranges.values() for x in rs]))
    return [
        InclusionProof(r["leaf_index"], tree_size, bytes(r["leaf_hash"]), hashes_for(ranges[r["leaf_index"]], nodes))
        for r in rows
    ]


async def inclusion_proof(conn: Any, case_id: str, seq: int, tree_size: int) -> InclusionProof:
    index = await conn.fetchval("SELECT leaf_index FROM log_leaves WHERE case_id = $1 AND seq = $2", case_id, seq)
    if index is None or index >= tree_size:
        raise LookupError(f"event {seq} of case {case_id} is not in the tree of size {tree_size}")
    ranges = inclusion_ranges(index, tree_size)
    nodes = await fetch_nodes(conn, {*nodes_for(ranges), (0, index)})
    return InclusionProof(index, tree_size, nodes[(0, index)], hashes_for(ranges, nodes))


async def consistency_proof(conn: Any, old_size: int, new_size: int) -> list[bytes]:
    if old_size == 0 or old_size == new_size:
        return []
    ranges = consistency_ranges(old_size, new_size)
    return hashes_for(ranges, await fetch_nodes(conn, nodes_for(ranges)))


# --- signed tree heads -------------------------------------------------------------------------------------


async def sign_tree_head(pool: asyncpg.Pool, key: Ed25519PrivateKey, now: datetime) -> TreeHead:
    """Integrate every finished event, then sign the tree head and store it."""
    await integrate(pool)
    raw = raw_public_key(key)
    kid = key_id(raw)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", LOG_LOCK)
        await conn.execute("INSERT INTO log_keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT DO NOTHING", kid, raw)
        size = await log_size(conn)
        root = await root_at(conn, size)
        previous = await conn.fetchval("SELECT max(timestamp) FROM tree_heads")
        timestamp = max(int(now.timestamp() * 1000), previous or 0)  # heads never go back in time
        signature = key.sign(tree_head_signature_input(size, root, timestamp))
        head = TreeHead(tree_size=size, root_hash=root.hex(), timestamp=timestamp, key_id=kid,
                        signature=signature.hex())
        await conn.execute(
            "INSERT INTO tree_heads (tree_size, root_hash, timestamp, key_id, signature) VALUES ($1, $2, $3, $4, $5)",
            head.tree_size, head.root_hash, head.timestamp, head.key_id, head.signature,
        )
    return head


async def tree_heads(conn: Any) -> list[TreeHead]:
    rows = await conn.fetch("SELECT tree_size, root_hash, timestamp, key_id, signature FROM tree_heads ORDER BY id")
    return [TreeHead(**dict(r)) for r in rows]


async def latest_tree_head(conn: Any) -> TreeHead | None:
    row = await conn.fetchrow(
        "SELECT tree_size, root_hash, timestamp, key_id, signature FROM tree_heads ORDER BY id DESC LIMIT 1")
    return TreeHead(**dict(row)) if row is not None else None


async def public_keys(conn: Any) -> dict[str, bytes]:
    return {r["key_id"]: bytes(r["public_key"]) for r in await conn.fetch("SELECT key_id, public_key FROM log_keys")}


def write_tree_heads(heads: Sequence[TreeHead], path: Path) -> None:
    path.write_text("".join(h.line() + "\n" for h in heads), encoding="utf-8")


def append_tree_head(head: TreeHead, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(head.line() + "\n")


def read_tree_heads(path: Path) -> list[TreeHead]:
    """Witnessed heads, one JSON object a line; ValueError names the bad line."""
    heads = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                heads.append(TreeHead.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}: line {number} is not a tree head: {exc.__class__.__name__}") from None
    return heads


# --- verification ------------------------------------------------------------------------------------------


class _Levels:
    """The whole tree recomputed from the leaf hashes, each level one bytes string (32 bytes a node)."""

    def __init__(self, leaves: bytes) -> None:
        self.levels = [leaves]
        level = leaves
        while len(level) >= 64:
            sha = hashlib.sha256
            level = b"".join(sha(b"\x01" + level[i:i + 64]).digest() for i in range(0, len(level) - 63, 64))
            self.levels.append(level)

    @property
    def size(self) -> int:
        return len(self.levels[0]) // 32

    def node(self, node: Node) -> bytes:
        level, idx = node
        return self.levels[level][idx * 32:(idx + 1) * 32]

    def root(self, size: int) -> bytes:
        return hashes_for([(0, size)], self.node)[0] if size else EMPTY_ROOT


async def _check_chains_and_leaves(conn: Any, problems: list[LogProblem]) -> bytearray:
    """Every chain from the raw columns and every event's leaf; returns the leaf hashes by leaf index."""
    total = await conn.fetchval("SELECT count(*) FROM log_leaves")
    leaves = bytearray(32 * total)
    seen = 0
    case, prev, expected, broken = None, GENESIS_HASH, 1, False
    async with conn.transaction():
        async for r in conn.cursor(
            """SELECT e.case_id, e.seq, e.event_id, e.type, e.schema_version, e.occurred_at, e.actor, e.data,
                      e.prev_hash, e.hash, l.leaf_index, l.leaf_hash
                 FROM events e LEFT JOIN log_leaves l USING (case_id, seq) ORDER BY e.case_id, e.seq""",
            prefetch=2000,
        ):
            if r["case_id"] != case:
                case, prev, expected, broken = r["case_id"], GENESIS_HASH, 1, False
            if not broken:
                problem = None
                if r["seq"] != expected:
                    problem = f"sequence {expected} is missing or out of place"
                elif r["prev_hash"] != prev:
                    problem = "prev_hash does not match the previous event's hash"
                elif not chain_hash_matches(prev, envelope_for_hash(
                        case_id=r["case_id"], seq=r["seq"], event_id=str(r["event_id"]), type=r["type"],
                        schema_version=r["schema_version"], occurred_at=r["occurred_at"], actor=r["actor"],
                        data=r["data"]), r["hash"]):
                    problem = "hash does not match the event's content"
                if problem:
                    broken = True
                    problems.append(LogProblem(case_id=case, seq=expected, problem=problem))
            expected, prev = r["seq"] + 1, r["hash"]
            index = r["leaf_index"]
            if index is None:
                continue  # integrated before verification: only an event inserted meanwhile lacks a leaf
            if bytes(r["leaf_hash"]) != event_leaf_hash(r["hash"]):
                problems.append(LogProblem(case_id=case, seq=r["seq"], problem=(
                    f"leaf {index} does not hash this event: the event or its leaf was changed")))
            if index < total:
                leaves[index * 32:(index + 1) * 32] = bytes(r["leaf_hash"])
                seen += 1
    if seen != total:
        orphans = await conn.fetch(
            """SELECT l.leaf_index, l.case_id, l.seq FROM log_leaves l
                 LEFT JOIN events e USING (case_id, seq) WHERE e.case_id IS NULL ORDER BY l.leaf_index LIMIT 5""")
        for o in orphans:
            problems.append(LogProblem(case_id=o["case_id"], seq=o["seq"], problem=(
                f"leaf {o['leaf_index']} logs event {o['seq']} of case {o['case_id']}, which is gone: "
                "the event was deleted")))
        if not orphans:
            problems.append(LogProblem(problem="the leaf indices are not 0, 1, 2, ...: leaves were removed"))
    return leaves


async def _check_stored_nodes(conn: Any, tree: _Levels, problems: list[LogProblem]) -> None:
    expected = sum(tree.size >> level for level in range(1, len(tree.levels)))
    stored = 0
    async with conn.transaction():
        async for r in conn.cursor("SELECT level, idx, hash FROM log_nodes ORDER BY level, idx", prefetch=5000):
            stored += 1
            if r["level"] >= len(tree.levels) or r["idx"] >= tree.size >> r["level"] or \
                    tree.node((r["level"], r["idx"])) != bytes(r["hash"]):
                problems.append(LogProblem(problem=(
                    f"stored subtree ({r['level']}, {r['idx']}) is not the hash of its leaves: proofs from it "
                    "would be wrong")))
                return
    if stored != expected:
        problems.append(LogProblem(problem=f"{stored} subtrees are stored, {expected} expected"))


def check_heads(heads: Sequence[TreeHead], keys: dict[str, bytes], tree: _Levels, source: str,
                problems: list[LogProblem]) -> None:
    """Each head's signature, its root against the recomputed tree, and its consistency with the head before,
    by an RFC 9162 consistency proof built from the recomputed tree."""
    previous: TreeHead | None = None
    for number, head in enumerate(heads, start=1):
        name = f"{source} {number} (tree_size {head.tree_size}, root {head.root_hash[:16]}…)"
        raw = keys.get(head.key_id)
        if raw is None:
            problems.append(LogProblem(problem=f"{name}: signed by unknown key {head.key_id}"))
        elif not signature_valid(head, raw):
            problems.append(LogProblem(problem=f"{name}: the signature does not verify"))
        if head.tree_size > tree.size:
            problems.append(LogProblem(problem=(
                f"{name}: the log now holds only {tree.size} events: events were removed")))
            return
        if tree.root(head.tree_size).hex() != head.root_hash:
            problems.append(LogProblem(problem=(
                f"{name}: today's log is not consistent with it: an event it covered was changed, removed or "
                "reordered")))
            return
        if previous is not None:
            if head.tree_size < previous.tree_size or head.timestamp < previous.timestamp:
                problems.append(LogProblem(problem=f"{name}: smaller or older than the head before it"))
                return
            proof = (hashes_for(consistency_ranges(previous.tree_size, head.tree_size), tree.node)
                     if 0 < previous.tree_size < head.tree_size else [])
            if not verify_consistency(previous.tree_size, head.tree_size, bytes.fromhex(previous.root_hash),
                                      bytes.fromhex(head.root_hash), proof):
                problems.append(LogProblem(problem=f"{name}: not consistent with the head before it"))
                return
        previous = head


async def verify_log(pool: asyncpg.Pool, witnesses: Mapping[str, Sequence[TreeHead]] | None = None) -> list[LogProblem]:
    """Everything the log promises (module doc). ``witnesses``: heads kept outside the database, by the name to
    report them under (e.g. "witnessed head"), checked the same way as the stored ones."""
    await integrate(pool)
    problems: list[LogProblem] = []
    async with pool.acquire() as conn:
        leaves = await _check_chains_and_leaves(conn, problems)
        tree = _Levels(bytes(leaves))
        await _check_stored_nodes(conn, tree, problems)
        keys = await public_keys(conn)
        check_heads(await tree_heads(conn), keys, tree, "tree head", problems)
        for name, heads in (witnesses or {}).items():
            check_heads(heads, keys, tree, name, problems)
    return problems


def verify_event_inclusion(chain_hash_hex: str, proof: InclusionProof, root_hex: str) -> bool:
    return proof.leaf_hash == event_leaf_hash(chain_hash_hex) and verify_inclusion(
        proof.leaf_index, proof.tree_size, proof.leaf_hash, proof.path, bytes.fromhex(root_hex))
