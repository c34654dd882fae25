"""`liandiao org check`, `liandiao user add/list/disable`, `liandiao token list/revoke` (docs/api.md §1): thin
callers of application/people.py and application/organisation.py, registered on the main app by app.py."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.vocabulary import Role
from infra.embedded import StackError

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="where the stack keeps its data")]
RunDb = Callable[[Path | None, Callable[[Any], Awaitable[Any]]], Any]


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def people_work(action: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    """``action(people)`` against the stack's database with the organisation in force; an application error
    becomes the command's one-line error."""

    async def work(pool: Any) -> Any:
        from application.errors import ApplicationError
        from application.organisation import in_force
        from application.people import People

        try:
            return await action(People(pool, await in_force(pool)))
        except ApplicationError as exc:
            raise StackError(str(exc)) from exc

    return work


def parse_role(role: str, fail: Callable[[str, int], None]) -> Role:
    try:
        return Role(role)
    except ValueError:
        fail(f"unknown role {role!r}: use one of mediator, liaison, supervisor, auditor, admin, leader, grid_worker", 2)
        raise


Work = Callable[[Any], Awaitable[Any]]


def on_record(os_user: Callable[[], str], action: str, work: Work, subject: Callable[[Any], str],
              detail: Callable[[Any], str] = lambda _: "") -> Work:
    """``work(people)``, then its record on the admin log (who ran which command on what; never a secret)."""

    async def logged(people: Any) -> Any:
        from application.admin import record_command_line

        done = await work(people)
        await record_command_line(people, os_user(), action, subject(done), detail(done))
        return done

    return logged


def register(app: typer.Typer, token_app: typer.Typer, fail: Callable[[str, int], None], run_db: RunDb,
             os_user: Callable[[], str]) -> None:
    org_app = typer.Typer(help="the organisation file (jurisdictions, departments, categories, rules)",
                          no_args_is_help=True)
    app.add_typer(org_app, name="org")
    user_app = typer.Typer(help="people who sign in to the workbench", no_args_is_help=True)
    app.add_typer(user_app, name="user")

    @org_app.command("check")
    def org_check(file: Path) -> None:
        """Validate an organisation file: every problem with its JSON path (exit 1), or a summary (exit 0)."""
        from application.organisation import check_file, describe

        org, problems = check_file(file)
        if org is None:
            for problem in problems:
                print(problem, file=sys.stderr)
            raise typer.Exit(1)
        print(f"{file}: OK: {describe(org)}")

    @user_app.command("add")
    def user_add(
        name: Annotated[str, typer.Option("--name", help="display name, e.g. 王敏")],
        role: Annotated[str, typer.Option("--role",
                          help="mediator, liaison, supervisor, auditor, admin or grid_worker")],
        department: Annotated[str | None, typer.Option("--department", help="department id (liaisons)")] = None,
        jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", help="grid id (grid workers)")] = None,
        login: Annotated[str | None, typer.Option("--login", help="sign-in name (default: generated)")] = None,
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]
        = False,
        data_dir: DataDir = None,
    ) -> None:
        """Add a person who signs in. Prints the login and, unless given on stdin, a generated password."""
        chosen = parse_role(role, fail)
        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        added = run_db(data_dir, people_work(on_record(os_user, "add_user", lambda people: people.add_user(
            name=name, role=chosen, department=department, login=login, password=password,
            jurisdiction=jurisdiction),
            lambda done: done.user.login, lambda done: f"{chosen.value} {department or ''}".strip())))
        print(f"login: {added.user.login}")
        if added.password is not None:
            print(f"password: {added.password}")

    @user_app.command("list")
    def user_list(
        machines: Annotated[bool, typer.Option("--machines/--people", help="include machine users")] = True,
        data_dir: DataDir = None,
    ) -> None:
        """List users: login, name, role, department, kind, created, disabled."""
        found = run_db(data_dir, people_work(lambda people: people.list_users(machines)))
        print("login\tname\trole\tdepartment\tkind\tid\tcreated\tdisabled")
        for u in found:
            print(f"{u.login}\t{u.name}\t{u.role.value}\t{u.department or u.jurisdiction or '-'}\t{u.kind}\t{u.id}\t"
                  f"{_when(u.created_at)}\t{_when(u.disabled_at)}")

    @user_app.command("disable")
    def user_disable(login: str, data_dir: DataDir = None) -> None:
        """Disable a user: no more sign-ins; its tokens and sessions get 401 from the next request on."""
        user = run_db(data_dir, people_work(on_record(
            os_user, "disable_user", lambda people: people.disable_user(login), lambda done: done.login)))
        print(f"disabled {user.login} ({user.name}) at {_when(user.disabled_at)}")

    @user_app.command("channels")
    def user_channels(
        login: str,
        urls: Annotated[list[str] | None, typer.Argument(
            help="Apprise URLs (wecombot://..., mailto://..., json://...); none clears them")] = None,
        data_dir: DataDir = None,
    ) -> None:
        """Set a person's own channels: a 包案 leader is told there as well as in the workbench."""
        user = run_db(data_dir, people_work(on_record(
            os_user, "set_channels", lambda people: people.set_channels(login, list(urls or [])),
            lambda done: done.login, lambda done: " ".join(done.channels) or "-")))
        print(f"{user.login} ({user.name}): " + (", ".join(user.channels) or "in the workbench only"))

    @token_app.command("list")
    def token_list(
        revoked: Annotated[bool, typer.Option("--revoked", help="also list revoked tokens")] = False,
        data_dir: DataDir = None,
    ) -> None:
        """List tokens: id, role, department, user, issued, last used (never the secret)."""
        found = run_db(data_dir, people_work(lambda people: people.list_tokens(revoked)))
        print("id\trole\tdepartment\tuser\tissued\tlast used" + ("\trevoked" if revoked else ""))
        for t in found:
            print(f"{t.id}\t{t.role.value}\t{t.department or '-'}\t{t.user_login} ({t.user_name})\t"
                  f"{_when(t.issued_at)}\t{_when(t.last_used_at)}" + (f"\t{_when(t.revoked_at)}" if revoked else ""))

    @token_app.command("revoke")
    def token_revoke(token: Annotated[str, typer.Argument(help="the token itself or its listed id")],
                     data_dir: DataDir = None) -> None:
        """Revoke a token: from its next request on it gets 401."""
        info = run_db(data_dir, people_work(on_record(
            os_user, "revoke_token", lambda people: people.revoke_token(token), lambda done: done.id,
            lambda done: f"{done.role.value} {done.user_login}")))
        print(f"revoked {info.id} ({info.role.value}, {info.user_login}) at {_when(info.revoked_at)}")
