"""The `liandiao` command (shared/API.md §1). Errors: one line on stderr, non-zero exit."""

from __future__ import annotations

import asyncio
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
    print_tokens: Annotated[bool, typer.Option("--print-tokens", help="print demo tokens")] = False,
) -> None:
    """Start the whole stack in the foreground; Ctrl-C stops it."""
    from workers.stack import run_up

    try:
        settings = settings_for(
            data_dir, policy_file=policy, api_port=api_port, temporal_port=temporal_port, ui_port=ui_port
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
    from workers.stack import read_stack_file

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
    from workers.case_worker import run_worker

    settings = settings_for(data_dir)
    configure_logging(settings.log_level)
    database_url, temporal_address = endpoints(settings)
    try:
        asyncio.run(run_worker(settings, database_url, temporal_address))
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
    role: Annotated[str, typer.Option("--role", help="mediator, liaison, supervisor, auditor or admin")],
    department: Annotated[str | None, typer.Option("--department", help="a liaison's department id")] = None,
    name: Annotated[str | None, typer.Option("--name", help="whom the token is for")] = None,
    data_dir: DataDir = None,
) -> None:
    """Print one new bearer token (and nothing else on stdout). Only its hash is stored."""
    from domain.organisation import UnknownId, demo_organisation
    from domain.vocabulary import Role
    from infra.tokens import ISSUABLE_ROLES, issue_token

    try:
        chosen = Role(role)
        if chosen not in ISSUABLE_ROLES:
            raise ValueError
    except ValueError:
        fail(f"unknown role {role!r}: use one of {', '.join(r.value for r in ISSUABLE_ROLES)}", 2)
        return
    if chosen is Role.liaison and not department:
        fail("a liaison token needs --department ID (see GET /api/v1/departments)", 2)
    if department is not None:
        try:
            demo_organisation().department(department)
        except UnknownId as exc:
            fail(str(exc), 2)
    database_url, _ = endpoints(settings_for(data_dir))
    try:
        token = asyncio.run(_with_pool(database_url, lambda pool: issue_token(pool, chosen, department, name)))
    except StackError as exc:
        fail(str(exc))
        return
    print(token)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
