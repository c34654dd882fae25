"""Fixtures of the adapter tests beside the session's (tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from infra.db import create_pool, migrate


@pytest.fixture
async def own_pool(pool: asyncpg.Pool, pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A database of its own on the session's server, migrated, for tests that compare whole tables (the
    session's read models are shared with every other test that appends events)."""
    name = f"own_{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE DATABASE {name}")
    own = await create_pool(f"{pg_url.rsplit('/', 1)[0]}/{name}", max_size=6)
    try:
        await migrate(own)
        yield own
    finally:
        await own.close()
        async with pool.acquire() as conn:
            await conn.execute(f"DROP DATABASE {name}")
