"""The store behind ``Idempotency-Key``: a write's key is claimed before it runs and its answer kept, so a
repeat answers what the first answered (per token). The claim's life cycle, not the HTTP, lives here."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import asyncpg

ABANDONED_AFTER_S = 30.0  # longer than any write takes while the servers are up


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status: int | None  # None: the first request is still running
    response: Any


class IdempotencyKeys:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def claim(self, token_hash: str, key: str, fingerprint: str) -> bool:
        """True when this request may run: the key was free, or abandoned by a request that died with the
        database. Running again is safe then: the key is the Temporal update id, so the case workflow answers
        a repeat with the first outcome instead of acting twice."""
        claimed = await self.pool.fetchval(
            """INSERT INTO idempotency_keys (token_hash, key, request_hash) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING true""", token_hash, key, fingerprint)
        if claimed:
            return True
        return bool(await self.pool.fetchval(
            """UPDATE idempotency_keys SET created_at = now()
               WHERE token_hash = $1 AND key = $2 AND request_hash = $3 AND status IS NULL
                 AND created_at < now() - make_interval(secs => $4) RETURNING true""",
            token_hash, key, fingerprint, ABANDONED_AFTER_S))

    async def stored(self, token_hash: str, key: str) -> StoredAnswer:
        row = await self.pool.fetchrow(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE token_hash = $1 AND key = $2",
            token_hash, key)
        return StoredAnswer(row["request_hash"], row["status"], row["response"])

    async def remember(self, token_hash: str, key: str, status: int, answer: Any) -> None:
        await self.pool.execute(
            "UPDATE idempotency_keys SET status = $3, response = $4 WHERE token_hash = $1 AND key = $2",
            token_hash, key, status, answer)

    async def let_go(self, token_hash: str, key: str) -> None:
        """Frees the key for a repeat (the request got no answer). With the database gone this cannot work
        either; the claim is then taken over later by ``claim``."""
        with contextlib.suppress(Exception):
            await self.pool.execute("DELETE FROM idempotency_keys WHERE token_hash = $1 AND key = $2",
                                    token_hash, key)
