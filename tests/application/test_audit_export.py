"""Exporting a dossier is a read of the parties' data in full: it is recorded in the access log, by whoever
exported it (a signed-in auditor, or `cli:<OS user>` on the command line), before a file is written."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from application.access_log import access_log, command_line_actor
from application.audit import export_case
from application.errors import Forbidden, NotFound
from domain.events import Actor
from domain.vocabulary import Role
from tests.infra.test_audit import write_sample_case

AUDITOR = Actor(role=Role.auditor, id="u-audit", name="审计甲")


async def test_a_dossier_export_is_recorded_with_who_exported_it(pool: asyncpg.Pool, tmp_path: Path) -> None:
    case_id = await write_sample_case(pool)
    await export_case(pool, case_id, tmp_path / "desk", AUDITOR)
    cli = command_line_actor("alice")
    assert (await export_case(pool, case_id, tmp_path / "cli", cli, tmp_path)).is_dir()

    items, _ = await access_log(pool, AUDITOR, case_id)
    assert [(i.what, i.actor) for i in items] == [
        ("dossier", {"role": "auditor", "id": "cli:alice"}),
        ("dossier", {"role": "auditor", "id": "u-audit", "name": "审计甲"}),
    ]


async def test_a_refused_export_writes_nothing_and_records_nothing(pool: asyncpg.Pool, tmp_path: Path) -> None:
    case_id = await write_sample_case(pool)
    with pytest.raises(Forbidden):
        await export_case(pool, case_id, tmp_path, Actor(role=Role.mediator, id="m-1"))
    with pytest.raises(NotFound):
        await export_case(pool, "A-no-such-case", tmp_path, AUDITOR)
    assert await pool.fetchval("SELECT count(*) FROM access_log WHERE case_id = ANY($1::text[])",
                               [case_id, "A-no-such-case"]) == 0
    assert list(tmp_path.iterdir()) == []
