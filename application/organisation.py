"""The organisation in force: read a district's file (or take the demo district), check it, and put it in
force at `liandiao up`, refusing one that removes what open cases still need."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from application.errors import ApplicationError
from domain.organisation import Organisation, check_organisation, demo_organisation, summary
from infra import organisations


class OrganisationProblems(ApplicationError):
    """An organisation that cannot be used: ``problems`` has one line each, as `liandiao org check` prints."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}:\n"
                         + "\n".join(problems))
        self.source = source
        self.problems = problems


def check_file(path: Path) -> tuple[Organisation | None, list[str]]:
    """The organisation in ``path`` and no problems, or ``None`` and every problem (JSON path first)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return None, [f"$: cannot read {path}: {reason}"]
    return check_organisation(text)


def read_organisation(path: Path | None) -> Organisation:
    """The district's organisation from ``path``, or the built-in demo district (临江区) when ``None``."""
    if path is None:
        return demo_organisation()
    org, problems = check_file(path)
    if org is None:
        raise OrganisationProblems(f"organisation file {path}", problems)
    return org


def describe(org: Organisation) -> str:
    return summary(org)


async def put_in_force(pool: asyncpg.Pool, org: Organisation) -> None:
    """Record ``org`` as the organisation in force, unless open cases still need a department, jurisdiction or
    category it removes (the read models must be caught up first)."""
    conflicts = await organisations.open_case_conflicts(pool, org)
    if conflicts:
        raise OrganisationProblems("the organisation removes what open cases still need", conflicts)
    await organisations.record_in_force(pool, org)


async def in_force(pool: asyncpg.Pool) -> Organisation:
    return await organisations.in_force(pool)


async def organisation_of_case(pool: asyncpg.Pool, fingerprint: str | None) -> Organisation:
    """The organisation a case was received under (by the fingerprint on its CaseReceived), else the one in
    force now (cases received before fingerprints were recorded)."""
    return await organisations.by_fingerprint(pool, fingerprint) or await organisations.in_force(pool)
