"""Seals: a Merkle root over every case's chain head at a moment, each seal chained to the one before.

A per-case hash chain shows that a stream is consistent with itself; it cannot show that someone with
database rights did not rewrite a whole stream (recomputing every hash) or cut its tail off. A seal records
each head, and its copy outside the database (the seal file) fixes those heads in time.

The form, which ``infra/audit/verify_dossier.py`` repeats without importing it:

- leaf = hex(sha256(utf8(case_id + ":" + str(version) + ":" + head_hash))), one per case, ordered by case_id
  (code point order);
- parent = hex(sha256(bytes(left) + bytes(right))) over the raw 32-byte digests, level by level; an odd node
  at the end of a level is carried up unchanged; the root of no leaves is hex(sha256(b""));
- a proof is a list of (side, sibling hash) from the leaf up: side "left" means the sibling is the left
  operand, "right" that it is the right one;
- seal_hash = hex(sha256(utf8(canonical_json({sealed_at, cases, events, merkle_root, prev_seal_hash}))))
  with sealed_at in the chain's time format; the first seal's prev_seal_hash is 64 zeros."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict

from domain.chain import GENESIS_HASH, canonical_json, format_time
from infra.locks import AdvisoryLock

Head = tuple[str, int, str]  # (case_id, version, head_hash)
Side = Literal["left", "right"]
_SEAL_LOCK = int(AdvisoryLock.SEALER)  # one sealer at a time, so the seals form one chain
_COLUMNS = "id, sealed_at, cases, events, merkle_root, heads, prev_seal_hash, seal_hash"


class Seal(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    sealed_at: datetime
    cases: int
    events: int
    merkle_root: str
    heads: tuple[Head, ...]
    prev_seal_hash: str
    seal_hash: str

    def head_of(self, case_id: str) -> Head | None:
        return next((h for h in self.heads if h[0] == case_id), None)

    def summary(self) -> dict[str, Any]:
        """The seal without its heads: what a dossier carries next to one case's proof."""
        return {
            "id": self.id, "sealed_at": format_time(self.sealed_at), "cases": self.cases, "events": self.events,
            "merkle_root": self.merkle_root, "prev_seal_hash": self.prev_seal_hash, "seal_hash": self.seal_hash,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.summary(), "heads": [list(h) for h in self.heads]}


class SealProblem(BaseModel):
    seal_id: int
    problem: str
    case_id: str | None = None


def leaf_hash(case_id: str, version: int, head_hash: str) -> str:
    return hashlib.sha256(f"{case_id}:{version}:{head_hash}".encode()).hexdigest()


def _parent(left: str, right: str) -> str:
    return hashlib.sha256(bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


def _next_level(level: Sequence[str]) -> list[str]:
    paired = [_parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    return [*paired, level[-1]] if len(level) % 2 else paired


def merkle_root(leaves: Sequence[str]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = list(leaves)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def merkle_proof(heads: Sequence[Head], case_id: str) -> list[tuple[Side, str]]:
    """The path from ``case_id``'s leaf to the root of ``heads`` (in the order given)."""
    index = next((i for i, h in enumerate(heads) if h[0] == case_id), None)
    if index is None:
        raise KeyError(f"case {case_id} is not among the sealed heads")
    level = [leaf_hash(*h) for h in heads]
    proof: list[tuple[Side, str]] = []
    while len(level) > 1:
        if index % 2:
            proof.append(("left", level[index - 1]))
        elif index + 1 < len(level):
            proof.append(("right", level[index + 1]))
        level = _next_level(level)
        index //= 2
    return proof


def verify_proof(leaf: str, proof: Sequence[tuple[str, str]], root: str) -> bool:
    node = leaf
    for side, sibling in proof:
        if side == "left":
            node = _parent(sibling, node)
        elif side == "right":
            node = _parent(node, sibling)
        else:
            return False
    return node == root


def seal_hash(sealed_at: datetime, cases: int, events: int, merkle_root: str, prev_seal_hash: str) -> str:
    body = {
        "sealed_at": format_time(sealed_at), "cases": cases, "events": events, "merkle_root": merkle_root,
        "prev_seal_hash": prev_seal_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def check_seal(seal: Seal, previous: Seal | None) -> list[str]:
    """What is wrong with ``seal`` on its own and as the successor of ``previous`` (pure)."""
    problems = []
    if seal.seal_hash != seal_hash(seal.sealed_at, seal.cases, seal.events, seal.merkle_root, seal.prev_seal_hash):
        problems.append("seal_hash does not match the seal's content")
    expected_prev = previous.seal_hash if previous is not None else GENESIS_HASH
    if seal.prev_seal_hash != expected_prev:
        problems.append("prev_seal_hash does not match the previous seal")
    if previous is not None and seal.sealed_at < previous.sealed_at:
        problems.append("sealed_at is earlier than the previous seal's")
    case_ids = [h[0] for h in seal.heads]
    if case_ids != sorted(set(case_ids)):
        problems.append("heads are not ordered by case_id, or a case appears twice")
    if seal.merkle_root != merkle_root([leaf_hash(*h) for h in seal.heads]):
        problems.append("merkle_root does not match the recorded heads")
    if (seal.cases, seal.events) != (len(seal.heads), sum(h[1] for h in seal.heads)):
        problems.append("cases or events count does not match the recorded heads")
    return problems


def _seal(row: Any) -> Seal:
    return Seal(
        id=row["id"], sealed_at=row["sealed_at"], cases=row["cases"], events=row["events"],
        merkle_root=row["merkle_root"], heads=tuple((c, int(v), h) for c, v, h in row["heads"]),
        prev_seal_hash=row["prev_seal_hash"], seal_hash=row["seal_hash"],
    )


@asynccontextmanager
async def _connection(db: asyncpg.Pool | asyncpg.Connection) -> AsyncIterator[Any]:
    """A pool lends a connection; a connection (e.g. inside a caller's transaction) is used as it is."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            yield conn
    else:
        yield db


async def create_seal(pool: asyncpg.Pool, now: datetime) -> Seal:
    """Seal the current head of every case, chained to the latest seal."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEAL_LOCK)
        prev = await conn.fetchval("SELECT seal_hash FROM seals ORDER BY id DESC LIMIT 1") or GENESIS_HASH
        rows = await conn.fetch(
            "SELECT DISTINCT ON (case_id) case_id, seq, hash FROM events ORDER BY case_id, seq DESC"
        )
        heads = sorted((r["case_id"], r["seq"], r["hash"]) for r in rows)
        root = merkle_root([leaf_hash(*h) for h in heads])
        cases, events = len(heads), sum(h[1] for h in heads)
        digest = seal_hash(now, cases, events, root, prev)
        seal_id = await conn.fetchval(
            """INSERT INTO seals (sealed_at, cases, events, merkle_root, heads, prev_seal_hash, seal_hash)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
            now, cases, events, root, [list(h) for h in heads], prev, digest,
        )
    return Seal(id=seal_id, sealed_at=now, cases=cases, events=events, merkle_root=root, heads=tuple(heads),
                prev_seal_hash=prev, seal_hash=digest)


async def latest_seal_covering(db: asyncpg.Pool | asyncpg.Connection, case_id: str) -> Seal | None:
    async with _connection(db) as conn:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM seals WHERE heads @> jsonb_build_array(jsonb_build_array($1::text))"
            " ORDER BY id DESC LIMIT 1",
            case_id,
        )
    return _seal(row) if row is not None else None


async def all_seals(db: asyncpg.Pool | asyncpg.Connection) -> list[Seal]:
    async with _connection(db) as conn:
        rows = await conn.fetch(f"SELECT {_COLUMNS} FROM seals ORDER BY id")
    return [_seal(r) for r in rows]


def append_seal_file(seal: Seal, path: Path) -> None:
    """Append ``seal`` (with its heads) as one JSON line: the copy an auditor keeps outside the database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(canonical_json(seal.to_json()) + "\n")


def read_seal_file(path: Path) -> list[Seal]:
    seals = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            seals.append(Seal.model_validate({**data, "heads": [tuple(h) for h in data["heads"]]}))
    return seals


async def verify_seals(db: asyncpg.Pool | asyncpg.Connection) -> list[SealProblem]:
    """Every stored seal: its hash, its link to the previous seal, its root over its heads, and that every
    head it recorded is still in the events table at that version with that hash."""
    async with _connection(db) as conn:
        seals = await all_seals(conn)
        problems = [
            SealProblem(seal_id=s.id, problem=p)
            for previous, s in zip([None, *seals], seals, strict=False)
            for p in check_seal(s, previous)
        ]
        wanted = sorted({(h[0], h[1]) for s in seals for h in s.heads})
        rows = await conn.fetch(
            """SELECT w.case_id, w.seq, e.hash FROM unnest($1::text[], $2::int[]) AS w(case_id, seq)
               LEFT JOIN events e ON e.case_id = w.case_id AND e.seq = w.seq""",
            [w[0] for w in wanted], [w[1] for w in wanted],
        )
    stored = {(r["case_id"], r["seq"]): r["hash"] for r in rows}
    for s in seals:
        for case_id, version, head in s.heads:
            found = stored.get((case_id, version))
            if found is None:
                problems.append(SealProblem(seal_id=s.id, case_id=case_id, problem=(
                    f"event {version} of case {case_id} is gone: the stream was cut short or renumbered "
                    "after sealing")))
            elif found != head:
                problems.append(SealProblem(seal_id=s.id, case_id=case_id, problem=(
                    f"event {version} of case {case_id} no longer has the sealed hash: the stream was "
                    "rewritten after sealing")))
    return problems


async def verify_seal_file(db: asyncpg.Pool | asyncpg.Connection, path: Path) -> list[SealProblem]:
    """The seal file against itself and against the database: a seals table rewritten wholesale (hashes and
    all) still differs from the copy kept outside."""
    kept = read_seal_file(path)
    stored = {s.id: s for s in await all_seals(db)}
    problems = []
    previous: Seal | None = None
    for seal in kept:
        # The file may start after the first seal: link only within the file.
        for p in check_seal(seal, previous):
            if previous is not None or not p.startswith("prev_seal_hash"):
                problems.append(SealProblem(seal_id=seal.id, problem=f"seal file: {p}"))
        if seal.id not in stored:
            problems.append(SealProblem(seal_id=seal.id, problem="the seal in the file is missing from the database"))
        elif stored[seal.id] != seal:
            problems.append(SealProblem(seal_id=seal.id, problem="the stored seal differs from the seal file"))
        previous = seal
    return problems


async def verify_archive_seals(db: asyncpg.Pool | asyncpg.Connection) -> list[SealProblem]:
    """Every archived case's sealed final head (一案一档) must still be its head: nothing appended after
    archiving, nothing cut from the end."""
    async with _connection(db) as conn:
        rows = await conn.fetch(
            """SELECT s.case_id, s.version, s.head_hash, h.seq, h.hash
                 FROM case_archive_seals s
                 LEFT JOIN LATERAL (SELECT seq, hash FROM events e WHERE e.case_id = s.case_id
                                    ORDER BY seq DESC LIMIT 1) h ON true""")
    return [
        SealProblem(seal_id=0, case_id=r["case_id"], problem=(
            f"archived case {r['case_id']} was sealed at event {r['version']} but its stream now ends at "
            f"event {r['seq']} with another hash"))
        for r in rows
        if (r["seq"], r["hash"]) != (r["version"], r["head_hash"])
    ]
