"""The auditor's use cases that need only the database: replay a case into its timeline, verify every chain
and seal. The CLI calls these on a stopped or running stack without a Temporal connection; the HTTP API's
per-case replay and verify are ``Application.replay`` and ``Application.verify``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from application.errors import NotFound
from application.organisation import organisation_of_case
from domain.case import CaseState, fold
from infra.audit.log import LogProblem, TreeHead, verify_log
from infra.audit.seals import SealProblem, verify_archive_seals, verify_seal_file, verify_seals
from infra.audit.timeline import TimelineEntry, replay
from infra.event_store import ChainVerification, EventStore


async def timeline(pool: asyncpg.Pool, case_id: str, upto: int | None = None,
                   ) -> tuple[CaseState, list[TimelineEntry]]:
    """The case as it stood after event ``upto`` (all when None), and what happened up to there, with the
    names of the organisation the case was received under."""
    events = await EventStore(pool).read_stream(case_id, upto=upto)
    if not events:
        raise NotFound(f"no case {case_id}")
    received = fold(events[:1])
    return replay(events, upto, await organisation_of_case(pool, received.organisation))


@dataclass(frozen=True)
class Verification:
    chains: list[ChainVerification]  # the one case asked for (every case's chain is in ``log_problems``)
    seal_problems: list[SealProblem]
    log_problems: list[LogProblem] = field(default_factory=list)

    @property
    def broken(self) -> list[ChainVerification]:
        return [c for c in self.chains if not c.valid]

    @property
    def problem_count(self) -> int:
        return len(self.broken) + len(self.seal_problems) + len(self.log_problems)


async def verify_all(pool: asyncpg.Pool, case_id: str | None, seal_file: Path | None,
                     witnesses: Mapping[str, Sequence[TreeHead]] | None = None) -> Verification:
    """The transparency log (every chain, every leaf, the tree, every signed tree head and the heads in
    ``witnesses``, checked by consistency proofs), one case's chain when asked, every earlier seal, every
    archived case's sealed head, and the seal file kept outside the database when given (the caller passes it
    only when it exists)."""
    chains = [await EventStore(pool).verify(case_id)] if case_id else []
    if case_id and chains[0].events == 0:
        raise NotFound(f"no case {case_id}")
    log_problems = await verify_log(pool, witnesses)
    problems = [*await verify_seals(pool), *await verify_archive_seals(pool)]
    if seal_file is not None:
        problems += await verify_seal_file(pool, seal_file)
    return Verification(chains=chains, seal_problems=problems, log_problems=log_problems)
