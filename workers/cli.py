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


def main() -> None:
    app()
