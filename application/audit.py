"""The auditor's use cases that need only the database: replay a case into its timeline, verify every chain
and seal. The CLI calls these on a stopped or running stack without a Temporal connection; the HTTP API's
per-case replay and verify are ``Application.replay`` and ``Application.verify``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from application.access import REPLAY, require_role, sees_personal_data
from application.access_log import record_access
from application.errors import InvalidInput, NotFound
from application.organisation import organisation_of_case
from domain.case import CaseState, fold
from domain.events import Actor
from domain.organisation import Organisation
from domain.vocabulary import Role
from infra.audit.dossier import UnknownCase, export_dossier
from infra.audit.keys import MissingKey, key_path, load_key
from infra.audit.log import (
    TREE_HEAD_FILE,
    LogProblem,
    TreeHead,
    append_tree_head,
    sign_tree_head,
    tree_heads,
    verify_log,
)
from infra.audit.seals import (
    Seal,
    SealProblem,
    latest_seal_covering,
    verify_archive_seals,
    verify_seal_file,
    verify_seals,
)
from infra.audit.timeline import TimelineEntry, replay
from infra.event_store import ChainVerification, EventStore


@dataclass(frozen=True)
class Replay:
    """A case replayed from its events to one of them, named as in the organisation it was received under."""

    state: CaseState  # as it stood after event ``upto``
    entries: list[TimelineEntry]  # what happened up to there, oldest first
    steps: list[tuple[int, str]]  # every event of the case (seq, type), to step to any of them
    org: Organisation
    parties_shown: bool  # the answer shows the parties in full (and the read is in the access log)


async def replay_case(pool: asyncpg.Pool, actor: Actor, case_id: str, upto: int | None = None, *,
                      shows_parties: bool = True) -> Replay:
    """The one replay, for the API, the workbench's timeline and the CLI: the role check, one fold from the
    event store (not the read models), the organisation the case was received under, and the access log when
    the answer shows the parties in full. ``shows_parties=False`` for answers that never do (the CLI's
    printed timeline): its lines are masked whoever asks."""
    require_role(actor, REPLAY)
    events = await EventStore(pool).read_stream(case_id)
    if not events:
        raise NotFound(f"no case {case_id}", "no_case", {"case": case_id})
    chosen = events[-1].seq if upto is None else max(1, min(upto, events[-1].seq))
    received = fold(events[:1])  # who sees the parties is decided by role for those who may replay
    org = await organisation_of_case(pool, received.organisation)
    shown = shows_parties and bool(received.parties) and sees_personal_data(received, actor)
    state, entries = replay(events, chosen, org, masked=not shown)
    if shown:
        await record_access(pool, actor, case_id, "replay")
    return Replay(state=state, entries=entries, steps=[(e.seq, e.type) for e in events], org=org,
                  parties_shown=shown)


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
        raise NotFound(f"no case {case_id}", "no_case", {"case": case_id})
    log_problems = await verify_log(pool, witnesses)
    problems = [*await verify_seals(pool), *await verify_archive_seals(pool)]
    if seal_file is not None:
        problems += await verify_seal_file(pool, seal_file)
    return Verification(chains=chains, seal_problems=problems, log_problems=log_problems)


async def sign_tree_head_now(pool: asyncpg.Pool, data_dir: Path) -> TreeHead:
    """Sign a tree head over every event with the log's key (under ``data_dir``) and keep a copy beside it."""
    try:
        key = load_key(key_path(data_dir))
    except MissingKey as exc:
        raise NotFound(str(exc), "no_signing_key") from exc
    head = await sign_tree_head(pool, key, datetime.now(UTC))
    append_tree_head(head, data_dir / TREE_HEAD_FILE)
    return head


async def witness_heads(pool: asyncpg.Pool) -> list[TreeHead]:
    """Every signed tree head, oldest first: what a witness keeps (`liandiao audit seals export`)."""
    async with pool.acquire() as conn:
        return await tree_heads(conn)


EXPORT_DOSSIERS = frozenset({Role.auditor})


async def export_case(pool: asyncpg.Pool, case_id: str, out: Path, actor: Actor,
                      data_dir: Path | None = None) -> Path:
    """The dossier (一案一档). With the log's key at hand (in ``data_dir``) a fresh tree head proves every event;
    without it the latest head proves the events it covers. The dossier carries the parties' data in full (the
    raw events), so, like any unmasked read, the export is recorded in the access log before a file is written
    (by the signed-in auditor on the workbench, by ``cli:<OS user>`` on the command line)."""
    require_role(actor, EXPORT_DOSSIERS)
    path = key_path(data_dir) if data_dir is not None else None
    key = load_key(path) if path is not None and path.exists() else None

    async def record() -> None:
        await record_access(pool, actor, case_id, "dossier")

    try:
        return await export_dossier(pool, case_id, out, key, before_writing=record)
    except UnknownCase as exc:
        raise NotFound(f"no case {case_id}", "no_case", {"case": case_id}) from exc
    except ValueError as exc:
        raise InvalidInput(str(exc), "case_id") from exc


async def seal_covering(pool: asyncpg.Pool, actor: Actor, case_id: str) -> Seal | None:
    """The latest hourly seal whose tree covers the case's head (for the auditor's replay page)."""
    require_role(actor, frozenset({Role.auditor}))
    return await latest_seal_covering(pool, case_id)
