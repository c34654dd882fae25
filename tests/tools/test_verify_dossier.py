"""infra/audit/verify_dossier.py, the auditor's standalone checker, on dossiers exported from the real PostgreSQL."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from domain.events import ClockPaused, PendingEvent
from infra.audit.dossier import export_dossier
from infra.audit.seals import create_seal
from infra.event_store import EventStore
from tests.infra.test_audit import MEDIATOR, sample_events, write_sample_case

VERIFIER = Path(__file__).resolve().parents[2] / "infra" / "audit" / "verify_dossier.py"


def run(directory: Path, script: Path = VERIFIER, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script), str(directory)], capture_output=True, text=True,
                          timeout=60, check=False, cwd=cwd)


def edit(path: Path, change: Any) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")


async def sealed_dossier(pool: asyncpg.Pool, out: Path) -> Path:
    case_id = await write_sample_case(pool)
    await create_seal(pool, datetime.now(UTC))
    return await export_dossier(pool, case_id, out)


def test_the_verifier_uses_only_the_standard_library() -> None:
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}


async def test_an_untouched_dossier_verifies(pool: asyncpg.Pool, tmp_path: Path) -> None:
    target = await sealed_dossier(pool, tmp_path)
    result = run(target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK") and "seal #" in result.stdout
    # The copy exported next to the files works as well, from anywhere.
    result = run(Path("."), Path("verify_dossier.py"), cwd=target)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_an_edited_event_is_named_by_its_seq(pool: asyncpg.Pool, tmp_path: Path) -> None:
    target = await sealed_dossier(pool, tmp_path)

    def change(rows: list[dict[str, Any]]) -> None:
        rows[2]["data"]["department"] = "dept-donghu-justice"

    edit(target / "events.json", change)
    result = run(target)
    assert result.returncode == 1
    assert result.stdout.startswith("BAD seq 3:") and "hash does not match" in result.stdout


async def test_a_removed_event_or_a_rewritten_chain_fails(pool: asyncpg.Pool, tmp_path: Path) -> None:
    target = await sealed_dossier(pool, tmp_path)
    original = (target / "events.json").read_text(encoding="utf-8")

    edit(target / "events.json", lambda rows: rows.pop(4))
    result = run(target)
    assert (result.returncode, result.stdout.split(":")[0]) == (1, "BAD seq 5")

    # Recompute every hash after editing an event: the chain holds, the seal and chain.json do not.
    def rehash(rows: list[dict[str, Any]]) -> None:
        rows[2]["data"]["department"] = "dept-donghu-justice"
        prev = "0" * 64
        for row in rows:
            envelope = {k: row[k] for k in ("case_id", "seq", "event_id", "type", "schema_version",
                                            "occurred_at", "actor", "data")}
            body = json.dumps(envelope, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            row["prev_hash"], row["hash"] = prev, hashlib.sha256((prev + body).encode()).hexdigest()
            prev = row["hash"]

    (target / "events.json").write_text(original, encoding="utf-8")
    edit(target / "events.json", rehash)
    result = run(target)
    assert result.returncode == 1 and "chain.json's head_hash" in result.stdout
    chain = json.loads((target / "events.json").read_text(encoding="utf-8"))
    edit(target / "chain.json", lambda c: c.update(head_hash=chain[-1]["hash"]))
    result = run(target)
    assert result.returncode == 1 and "rewritten" in result.stdout and "seq 18" in result.stdout


async def test_a_tampered_seal_fails(pool: asyncpg.Pool, tmp_path: Path) -> None:
    target = await sealed_dossier(pool, tmp_path)
    seal_path = target / "seal.json"
    original = seal_path.read_text(encoding="utf-8")
    edit(seal_path, lambda s: s["seal"].update(events=s["seal"]["events"] + 1))
    result = run(target)
    assert result.returncode == 1 and "seal_hash" in result.stdout
    seal_path.write_text(original, encoding="utf-8")
    edit(seal_path, lambda s: s["seal"].update(merkle_root="0" * 64))
    result = run(target)
    assert result.returncode == 1 and "Merkle proof" in result.stdout


async def test_events_after_the_seal_and_an_unsealed_case_verify(pool: asyncpg.Pool, tmp_path: Path) -> None:
    case_id = await write_sample_case(pool)
    result = run(await export_dossier(pool, case_id, tmp_path / "unsealed"))
    assert result.returncode == 0 and "no seal covers this case yet" in result.stdout

    await create_seal(pool, datetime.now(UTC))
    later = PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=MEDIATOR,
                         payload=ClockPaused(reason="补充材料"))
    await EventStore(pool).append(case_id, len(sample_events()), [later])
    result = run(await export_dossier(pool, case_id, tmp_path / "later"))
    assert result.returncode == 0, result.stdout
    assert f"covers seq 1-{len(sample_events())}" in result.stdout


def test_a_missing_directory_fails(tmp_path: Path) -> None:
    result = run(tmp_path / "nothing-here")
    assert result.returncode == 1 and "events.json is missing" in result.stdout
