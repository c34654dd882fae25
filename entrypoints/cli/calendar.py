"""`liandiao calendar check FILE`, `liandiao calendar load FILE`, `liandiao calendar list` (docs/api.md §11): a
year's holiday schedule as the State Council announced it; thin callers of application/calendar.py."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="where the stack keeps its data")]
RunDb = Callable[[Path | None, Callable[[Any], Awaitable[Any]]], Any]
ScheduleFile = Annotated[Path, typer.Argument(help='JSON: {"year": 2027, "holidays": [...], "workdays": [...]}')]


def _checked(file: Path) -> Any:
    """The schedule in ``file``; else every problem on stderr, one line each, and exit 1."""
    from application.calendar import check_file

    schedule, problems = check_file(file)
    if schedule is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        raise typer.Exit(1)
    return schedule


def register(app: typer.Typer, fail: Callable[[str, int], None], run_db: RunDb, os_user: Callable[[], str]) -> None:
    calendar_app = typer.Typer(help="the year's holiday schedule as the State Council announced it",
                               no_args_is_help=True)
    app.add_typer(calendar_app, name="calendar")

    @calendar_app.command("check")
    def calendar_check(file: ScheduleFile) -> None:
        """Validate a schedule file: every problem with its place (exit 1), or a summary (exit 0)."""
        schedule = _checked(file)
        print(f"{file}: OK: {schedule.year}, {len(schedule.holidays)} holidays, {len(schedule.workdays)} workdays")

    @calendar_app.command("load")
    def calendar_load(file: ScheduleFile, data_dir: DataDir = None) -> None:
        """Validate a schedule file and put it in force for its year: cases received from now on pin it (it wins
        over the holidays package's estimate). Exit 1, with every problem, on a bad file."""
        from application.admin import record_calendar_load
        from application.calendar import put_in_force

        schedule = _checked(file)  # before reaching for the database: a bad file fails even with no stack up
        loaded_by = f"cli:{os_user()}"  # nobody signs in on the command line: the way in and the OS user
        async def load(pool: Any) -> Any:
            stored = await put_in_force(pool, schedule, loaded_by)
            await record_calendar_load(pool, os_user(), stored)  # on the admin log beside the desk's loads
            return stored

        stored = run_db(data_dir, load)
        if not stored.changed:
            print(f"{stored.year}: already in force (sha256 {stored.content_hash}, loaded by {stored.loaded_by} "
                  f"at {stored.loaded_at.isoformat()}); nothing changed")
            return
        replaced = f", replacing sha256 {stored.replaced_hash}" if stored.replaced_hash else ""
        print(f"{stored.year}: loaded {stored.holidays} holidays and {stored.workdays} workdays "
              f"(sha256 {stored.content_hash}{replaced}); cases received from now on pin it, and open cases "
              f"take it within a minute while the stack runs (their deadlines in working time move)")

    @calendar_app.command("list")
    def calendar_list(data_dir: DataDir = None) -> None:
        """One line per loaded year: year, holidays, workdays, sha256, who loaded it, when."""
        from application.calendar import loaded_years

        for y in run_db(data_dir, loaded_years):
            print(f"{y.year}\t{y.holidays} holidays\t{y.workdays} workdays\t{y.content_hash}\t{y.loaded_by}\t"
                  f"{y.loaded_at.isoformat()}")
