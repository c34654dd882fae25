"""Activity: seal every case's chain head under one Merkle root, and write the seal outside the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from infra.audit.seals import append_seal_file, create_seal
from infra.logging import get_logger

log = get_logger(__name__)


class SealSummary(BaseModel):
    seal_id: int
    sealed_at: datetime
    cases: int
    events: int
    merkle_root: str
    seal_hash: str


class SealActivities:
    def __init__(self, pool: asyncpg.Pool, seal_file: Path) -> None:
        self.pool = pool
        self.seal_file = seal_file

    @activity.defn(name="seal_chain_heads")
    async def seal_chain_heads(self) -> SealSummary:
        seal = await create_seal(self.pool, datetime.now(UTC))
        append_seal_file(seal, self.seal_file)
        # The log line is a second copy outside the database, for whoever collects the logs.
        log.info("seal", seal_id=seal.id, sealed_at=seal.sealed_at.isoformat(), cases=seal.cases,
                 events=seal.events, merkle_root=seal.merkle_root, seal_hash=seal.seal_hash)
        return SealSummary(seal_id=seal.id, sealed_at=seal.sealed_at, cases=seal.cases, events=seal.events,
                           merkle_root=seal.merkle_root, seal_hash=seal.seal_hash)
