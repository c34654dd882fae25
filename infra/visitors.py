"""Repeat visits (重复来访) in the database: keyed hashes of each visitor's ID number and phone, per case.

The key is 32 random bytes in ``DATA_DIR/visitor-key`` (mode 0600), made on first use like the payload codec's
key file (infra/codec.py). An HMAC rather than a plain hash: an ID number has few enough possible values that a
plain sha256 could be reversed by trying them all; without the key, the hashes say nothing. Matching and
counting compare hashes only (domain/analysis.py defines both)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg

from domain.analysis import normal_id_number, normal_phone, visitors
from domain.events import Party

VISITOR_KEY_FILE = "visitor-key"


class VisitorKeyError(Exception):
    """A visitor key file that cannot be used."""


def load_visitor_key(path: Path, *, create: bool = True) -> bytes:
    """The key in ``path``; a new one is written there first when there is none (and ``create``)."""
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
                out.flush()
                os.fsync(out.fileno())
    try:
        key = base64.b64decode(path.read_text().strip(), validate=True)
    except FileNotFoundError:
        raise VisitorKeyError(f"no visitor key at {path}") from None
    except (OSError, ValueError) as exc:
        raise VisitorKeyError(f"cannot read the visitor key {path}: {exc}") from exc
    if len(key) != 32:
        raise VisitorKeyError(f"the visitor key {path} must hold 32 bytes, not {len(key)}")
    return key


@dataclass(frozen=True)
class Mark:
    id_digest: bytes | None
    phone_digest: bytes | None


def _digest(key: bytes, kind: str, value: str | None) -> bytes | None:
    # The kind is hashed in so that an ID number and a phone with the same digits never match.
    return None if value is None else hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()


def marks(key: bytes, parties: Iterable[Party]) -> list[Mark]:
    """One mark per visitor with an ID number or a phone (a visitor with neither cannot be found again)."""
    out = []
    for p in visitors(parties):
        mark = Mark(_digest(key, "id", normal_id_number(p.id_number)), _digest(key, "phone", normal_phone(p.phone)))
        if mark.id_digest is not None or mark.phone_digest is not None:
            out.append(mark)
    return out


async def record_visit(pool: asyncpg.Pool, case_id: str, received_at: datetime, found: list[Mark]) -> None:
    """The case's marks; writing them again (a retried intake) changes nothing."""
    async with pool.acquire() as conn:
        await conn.executemany(
            """INSERT INTO visitor_marks (case_id, n, received_at, id_digest, phone_digest)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            [(case_id, n, received_at, m.id_digest, m.phone_digest) for n, m in enumerate(found, start=1)])


# A visitor of the new case (the arrays, one entry per mark) matches an earlier mark by domain/analysis.py's
# rule: both ID numbers given and equal, or one missing and the phones equal.
_EARLIER = """
SELECT e.case_id, max(e.received_at) AS received_at
  FROM unnest($1::bytea[], $2::bytea[]) AS n(id_digest, phone_digest)
  JOIN visitor_marks e
    ON (n.id_digest IS NOT NULL AND e.id_digest = n.id_digest)
    OR ((n.id_digest IS NULL OR e.id_digest IS NULL) AND e.phone_digest = n.phone_digest)
 WHERE e.received_at >= $3 AND e.received_at < $4 AND e.case_id IS DISTINCT FROM $5
 GROUP BY e.case_id
 ORDER BY max(e.received_at) DESC, e.case_id DESC"""


async def earlier_visits(pool: asyncpg.Pool, found: list[Mark], at: datetime, *, exclude: str | None = None,
                         window: timedelta) -> list[str]:
    """The cases received in ``window`` before ``at`` that a visitor of ``found`` came with, latest first."""
    if not found:
        return []
    async with pool.acquire() as conn:
        rows = await conn.fetch(_EARLIER, [m.id_digest for m in found], [m.phone_digest for m in found],
                                at - window, at, exclude)
    return [r["case_id"] for r in rows]
