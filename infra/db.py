"""The asyncpg pool and the migrations: numbered SQL files, applied in order exactly once."""

from __future__ import annotations

import json
from importlib import resources

import asyncpg

from infra.locks import AdvisoryLock
from infra.logging import get_logger

log = get_logger(__name__)
_MIGRATION_LOCK = int(AdvisoryLock.MIGRATION)  # one migrator at a time


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=_dumps, decoder=json.loads, schema="pg_catalog")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Skip asyncpg's reset-on-release (UNLISTEN, RESET ALL, ...): one round trip per use, and this code keeps
    no session state between uses (settings and locks here are transaction-scoped)."""


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
    )
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await _init_connection(conn)
    return conn


def migration_files() -> list[tuple[int, str, str]]:
    files = resources.files("infra") / "migrations"
    found = []
    for entry in files.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction with its record."""
    applied: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY, name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for number, name, sql in migration_files():
            if number in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", number, name)
            applied.append(name)
            log.info("migration applied", migration=name)
    return applied


async def ping(pool: asyncpg.Pool) -> None:
    """One round trip; raises when the server does not answer."""
    await pool.fetchval("SELECT 1")
