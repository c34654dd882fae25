"""Activities: sign a tree head over every event, and the earlier Merkle seal over the chain
heads (kept for workflows started before the change). Each new head is also appended to a file outside the
database and written to the log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from infra.audit.keys import KEY_FILE, MissingKey, load_key
from infra.audit.log import TREE_HEAD_FILE, TreeHead, append_tree_head, sign_tree_head
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
        self.data_dir = seal_file.parent

    @activity.defn(name="seal_chain_heads")
    async def seal_chain_heads(self) -> SealSummary:
        seal = await create_seal(self.pool, datetime.now(UTC))
        append_seal_file(seal, self.seal_file)
        # The log line is a second copy outside the database, for whoever collects the logs.
        log.info("seal", seal_id=seal.id, sealed_at=seal.sealed_at.isoformat(), cases=seal.cases,
                 events=seal.events, merkle_root=seal.merkle_root, seal_hash=seal.seal_hash)
        return SealSummary(seal_id=seal.id, sealed_at=seal.sealed_at, cases=seal.cases, events=seal.events,
                           merkle_root=seal.merkle_root, seal_hash=seal.seal_hash)

    @activity.defn(name="sign_tree_head")
    async def sign_tree_head(self) -> TreeHead:
        try:
            key = load_key(self.data_dir / KEY_FILE)
        except MissingKey as exc:
            raise ApplicationError(str(exc), non_retryable=True) from None
        head = await sign_tree_head(self.pool, key, datetime.now(UTC))
        append_tree_head(head, self.data_dir / TREE_HEAD_FILE)
        log.info("tree head", **head.model_dump())
        return head
