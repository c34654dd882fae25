"""The `liandiao` command (docs/api.md §1). Errors: one line on stderr, non-zero exit."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer

from infra.embedded import StackError
from infra.logging import configure_logging
from infra.settings import Settings

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
app = typer.Typer(help="LianDiao 联调: cross-department dispute resolution engine.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="where the stack keeps its data")]


def fail(message: str, code: int = 1) -> None:
    print(f"liandiao: {message}", file=sys.stderr)
    raise typer.Exit(code)


def settings_for(data_dir: Path | None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)  # type: ignore[arg-type]


@app.command()
def up(
    data_dir: DataDir = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="policy file (TOML)")] = None,
    api_port: Annotated[int | None, typer.Option("--api-port")] = None,
    temporal_port: Annotated[int | None, typer.Option("--temporal-port")] = None,
    ui_port: Annotated[int | None, typer.Option("--ui-port")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="load realistic sample cases")] = False,
    org: Annotated[Path | None, typer.Option("--org", help="the district's organisation file (JSON)")] = None,
    print_tokens: Annotated[bool, typer.Option("--print-tokens", help="print demo tokens")] = False,
) -> None:
    """Start the whole stack in the foreground; Ctrl-C stops it."""
    from bootstrap.stack import run_up

    try:
        settings = settings_for(
            data_dir, policy_file=policy, api_port=api_port, temporal_port=temporal_port, ui_port=ui_port,
            organisation_file=org,
        )
    except Exception as exc:
        fail(f"bad settings: {exc}", 2)
        return
    configure_logging(settings.log_level)
    try:
        asyncio.run(run_up(settings, demo=demo, print_tokens=print_tokens))
    except StackError as exc:
        fail(str(exc))


def endpoints(settings: Settings) -> tuple[str, str]:
    """The database URL and Temporal address: from LIANDIAO_* settings, else from the stack that
    `liandiao up` runs on the data dir."""
    from bootstrap.stack import read_stack_file

    stack = read_stack_file(settings.data_dir) or {}
    database_url = settings.database_url or stack.get("database_url")
    temporal_address = settings.temporal_address or stack.get("temporal_address")
    if not database_url or not temporal_address:
        fail(f"no stack is running on {settings.data_dir}: start it with `liandiao up` "
             "or set LIANDIAO_DATABASE_URL and LIANDIAO_TEMPORAL_ADDRESS")
    assert database_url and temporal_address
    return database_url, temporal_address


@app.command()
def worker(data_dir: DataDir = None) -> None:
    """Run one more case worker (scale out by running more of them); Ctrl-C stops it."""
    from bootstrap import monthly_report_activities
    from bootstrap.stack import load_policy
    from workers.case_worker import run_worker

    settings = settings_for(data_dir)
    configure_logging(settings.log_level)
    database_url, temporal_address = endpoints(settings)
    try:
        policy = load_policy(settings.policy_file)
        asyncio.run(run_worker(settings, database_url, temporal_address, lambda pool, org: monthly_report_activities(
            pool, org, policy, settings.public_url, settings.notify_give_up_after_s)))
    except StackError as exc:
        fail(str(exc))


token_app = typer.Typer(help="bearer tokens for the HTTP API", no_args_is_help=True)
app.add_typer(token_app, name="token")


async def _with_pool(database_url: str, work):  # type: ignore[no-untyped-def]
    from infra.db import create_pool, migrate

    try:
        pool = await asyncio.wait_for(create_pool(database_url, max_size=2), 10)
    except Exception as exc:
        raise StackError(f"cannot reach PostgreSQL: {exc}") from exc
    try:
        await migrate(pool)
        return await work(pool)
    finally:
        await pool.close()


@token_app.command("issue")
def token_issue(
    role: Annotated[str | None, typer.Option("--role", help="mediator, liaison, supervisor, auditor or admin")]
    = None,
    department: Annotated[str | None, typer.Option("--department", help="a liaison's department id")] = None,
    name: Annotated[str | None, typer.Option("--name", help="whom the token is for")] = None,
    user: Annotated[str | None, typer.Option("--user", help="the login of the user it belongs to (default: a "
                                                             "new machine user)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Print one new bearer token (and nothing else on stdout). Only its hash is stored."""
    from application.admin import listed_id
    from entrypoints.cli.people import on_record, parse_role, people_work

    chosen = None if role is None else parse_role(role, fail)
    if chosen is None and user is None:
        fail("a token needs --role ROLE (or --user LOGIN)", 2)
    # On the admin log by the token's listed id (tok- and the start of its hash), never the token itself.
    token = _run_db(data_dir, people_work(on_record(_os_user, "issue_token", lambda people: people.issue_token(
        role=chosen, department=department, name=name, user_login=user),
        listed_id, lambda _: f"{chosen.value if chosen else ''} {user or department or ''}".strip())))
    print(token)


audit_app = typer.Typer(help="auditors' tools: replay, verify, seal, export", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
projections_app = typer.Typer(help="the read models", no_args_is_help=True)
app.add_typer(projections_app, name="projections")


def _run_db(data_dir: Path | None, work):  # type: ignore[no-untyped-def]
    """Run ``work(pool)`` against the stack's database; errors (the application's refusals included) become
    one line and exit 1."""
    from application.errors import ApplicationError

    database_url, _ = endpoints(settings_for(data_dir))
    try:
        return asyncio.run(_with_pool(database_url, work))
    except (StackError, ApplicationError) as exc:
        fail(str(exc))


@audit_app.command("replay")
def audit_replay(
    case_id: str,
    upto: Annotated[int | None, typer.Option("--upto", min=1, help="stop after this sequence number")] = None,
    data_dir: DataDir = None,
) -> None:
    """Rebuild a case from its events and print its timeline (time, actor, what happened, stage after)."""
    from application.access_log import command_line_actor
    from application.audit import replay_case
    from domain.describe import case_timezone
    from infra.audit.timeline import render_timeline

    actor = command_line_actor(_os_user())
    replayed = _run_db(data_dir, lambda pool: replay_case(pool, actor, case_id, upto, shows_parties=False))
    print(render_timeline(replayed.entries, case_timezone(replayed.state).key))
    print(f"\n{case_id}: stage {replayed.state.stage.value} after event {replayed.state.version}")


@audit_app.command("verify")
def audit_verify(
    case_id: Annotated[str | None, typer.Argument()] = None,
    against: Annotated[Path | None, typer.Option(
        "--against", help="tree heads a witness kept (JSON lines, from `audit seals export`)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Verify hash chains, the transparency log and its signed tree heads, and every earlier seal; exit 1 on
    any break. With --against, also prove today's log consistent with the heads in FILE."""
    from application.audit import verify_all
    from infra.audit.log import TREE_HEAD_FILE, read_tree_heads

    settings = settings_for(data_dir)
    seal_file = settings.data_dir / "seals.jsonl"
    head_file = settings.data_dir / TREE_HEAD_FILE
    witnesses = {}
    try:
        if against is not None:
            witnesses[f"witnessed head in {against}, line"] = read_tree_heads(against)
        if head_file.exists():
            witnesses[f"tree head in {head_file}, line"] = read_tree_heads(head_file)
    except FileNotFoundError:
        fail(f"no file {against}", 2)
    except (ValueError, UnicodeDecodeError) as exc:
        fail(str(exc), 2)
    kept = seal_file if seal_file.exists() else None
    result = _run_db(data_dir, lambda pool: verify_all(pool, case_id, kept, witnesses))
    problems, broken, log_problems = result.seal_problems, result.broken, result.log_problems
    for c in broken:
        print(f"BROKEN {c.case_id}: first bad seq {c.first_bad_seq} ({c.problem})", file=sys.stderr)
    for lp in log_problems:
        if lp.case_id is not None and lp.case_id != case_id:
            print(f"BROKEN {lp.case_id}: first bad seq {lp.seq} ({lp.problem})", file=sys.stderr)
        elif lp.case_id is None:
            print(f"LOG PROBLEM: {lp.problem}", file=sys.stderr)
    for p in problems:
        print(f"SEAL PROBLEM: {p}", file=sys.stderr)
    total = result.problem_count
    print(f"{'case ' + case_id + ': chain ' + ('broken' if broken else 'intact') + '; ' if case_id else ''}"
          f"chains, transparency log, tree heads and seals: {total} problems")
    if total:
        raise typer.Exit(1)


seals_app = typer.Typer(help="signed tree heads, for witnesses", no_args_is_help=True)
audit_app.add_typer(seals_app, name="seals")


@seals_app.command("export")
def audit_seals_export(
    file: Annotated[Path, typer.Argument(help="where to write the heads (JSON lines)")], data_dir: DataDir = None,
) -> None:
    """Write every signed tree head as JSON lines {tree_size, root_hash, timestamp, key_id, signature} for a
    witness (纪检, a notary, another LianDiao) to keep."""
    from application.audit import witness_heads
    from infra.audit.log import write_tree_heads

    heads = _run_db(data_dir, witness_heads)
    try:
        write_tree_heads(heads, file)
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror}")
    print(f"{len(heads)} tree heads written to {file}")


@audit_app.command("export")
def audit_export(
    case_id: str,
    out: Annotated[Path, typer.Option("--out", help="where to write the dossier")] = Path("dossiers"),
    data_dir: DataDir = None,
) -> None:
    """Write the case's dossier (一案一档): self-verifying HTML, raw events, inclusion proofs, the signed tree
    head, attachments, for offline verification."""
    from application.access_log import command_line_actor
    from application.audit import export_case

    data = settings_for(data_dir).data_dir
    actor = command_line_actor(_os_user())  # the export holds personal data: who ran it goes in the access log
    print(_run_db(data_dir, lambda pool: export_case(pool, case_id, out, actor, data)))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment and none in the password database
        return f"uid-{os.getuid()}"


@audit_app.command("seal")
def audit_seal(data_dir: DataDir = None) -> None:
    """Sign a tree head over every event now and print it (the hourly Temporal schedule runs the same code).

    It talks to the database directly, not through Temporal: a short-lived process holding a Temporal client
    can abort at interpreter exit, and an auditor's command must not."""
    from application.audit import sign_tree_head_now

    data = settings_for(data_dir).data_dir
    head = _run_db(data_dir, lambda pool: sign_tree_head_now(pool, data))
    print(f"tree head at {head.sealed_at.isoformat()}: {head.tree_size} events, root {head.root_hash}, "
          f"key {head.key_id}")
    print(head.line())


@projections_app.command("rebuild")
def projections_rebuild(data_dir: DataDir = None) -> None:
    """Rebuild every read model from the events."""
    from infra.event_store import EventStore
    from infra.projections import Projector

    count = _run_db(data_dir, lambda pool: Projector(pool, EventStore(pool)).rebuild())
    print(f"read models rebuilt from {count} events")


codec_app = typer.Typer(help="the payload codec's keys (personal data out of Temporal)", no_args_is_help=True)
app.add_typer(codec_app, name="codec")


@codec_app.command("rotate")
def codec_rotate(data_dir: DataDir = None) -> None:
    """Add a new key and make it current: new payloads use it, old ones still decode with theirs. Restart
    `up` and every worker afterwards so they encrypt with the new key."""
    from infra.codec import CodecError, rotate_key_file
    from infra.temporal import key_file

    settings = settings_for(data_dir)
    try:
        print(rotate_key_file(key_file(settings.data_dir, settings.codec_key_file)))
    except CodecError as exc:
        fail(f"payload codec: {exc}")


# --- backup and restore -------------------------------------------------------------------------
@app.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="an empty (or new) directory for the backup")],
    data_dir: DataDir = None,
) -> None:
    """Copy the event store and the Temporal state of the running stack, at one point in time."""
    from infra.backup import backup
    from infra.temporal import key_file

    settings = settings_for(data_dir)
    database_url, _ = endpoints(settings)
    try:
        manifest = asyncio.run(backup(database_url, settings.data_dir, target, temporal_db=None,
                                      key_file=key_file(settings.data_dir, settings.codec_key_file)))
    except StackError as exc:
        fail(str(exc))
        return
    print(f"backup of {manifest['events']} events taken at {manifest['taken_at']} in {target}")


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="a directory written by `liandiao backup`")],
    data_dir: DataDir = None,
) -> None:
    """Bring a backup back onto an empty data dir; then `liandiao up --data-dir DIR` resumes every case."""
    from infra.backup import restore

    settings = settings_for(data_dir)
    try:
        manifest = asyncio.run(restore(source, settings.data_dir, settings.codec_key_file))
    except StackError as exc:
        fail(str(exc))
        return
    print(f"restored {manifest['events']} events (backup of {manifest['taken_at']}) into {settings.data_dir}")
notify_app = typer.Typer(help="notification channels (Apprise URLs)", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@notify_app.command("test")
def notify_test(url: Annotated[str, typer.Argument(help="an Apprise URL: json://, mailto://, wecombot://")]) -> None:
    """Send a test message to URL and print the outcome (one line; exit 1 when it was not delivered)."""
    from activities.notifications import send
    from domain.notifications import redact

    shown = redact(url)  # the URL may hold a robot key or a password: never printed
    text = "【联调·测试】这是一条测试消息：此渠道可以收到联调的催办、预警和督办通知。"
    try:
        delivered = asyncio.run(send(url, "【联调·测试】", text))
    except Exception as exc:
        fail(f"not delivered to {shown}: {getattr(exc, 'message', None) or type(exc).__name__}")
        return
    if not delivered:
        fail(f"not delivered to {shown}: the receiver did not accept the message")
    print(f"delivered to {shown}")


from entrypoints.cli import people as cli_people  # noqa: E402 - registered last: it uses the helpers above

cli_people.register(app, token_app, fail, _run_db, _os_user)

from entrypoints.cli import papers as cli_papers  # noqa: E402 - registered last: it uses the helpers above

cli_papers.register(app, fail, _run_db, _os_user)

from entrypoints.cli import reports as cli_reports  # noqa: E402 - registered last: it uses the helpers above

cli_reports.register(app, fail, _run_db, _os_user, lambda data_dir: settings_for(data_dir).policy_file)

from entrypoints.cli import calendar as cli_calendar  # noqa: E402 - registered last: it uses the helpers above

cli_calendar.register(app, fail, _run_db, _os_user)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
