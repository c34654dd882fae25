"""Attachment contents, stored once per SHA-256 (the event that adds an attachment fixes its hash)."""

from __future__ import annotations

import asyncpg


async def store_blob(pool: asyncpg.Pool, sha256: str, content: bytes) -> None:
    await pool.execute(
        "INSERT INTO attachment_blobs (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        sha256, len(content), content)


async def read_blob(pool: asyncpg.Pool, sha256: str) -> bytes | None:
    content = await pool.fetchval("SELECT content FROM attachment_blobs WHERE sha256 = $1", sha256)
    return None if content is None else bytes(content)
