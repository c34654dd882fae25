"""Who may sign in, and when a login is locked: the rule, without the clock or the database.

Repeated failed sign-ins slow down and then lock: :data:`MAX_FAILURES` failures within :data:`WINDOW` lock
the login for :data:`LOCKED_FOR` from the failure that reached the limit. Attempts while locked are refused
without checking the password and are not counted, so a lock ends on time even under a stream of guesses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from domain.vocabulary import Role

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKED_FOR = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SIGNING_ROLES = (Role.mediator, Role.liaison, Role.supervisor, Role.auditor, Role.admin, Role.leader,
                 Role.grid_worker)


def locked_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """When the lock on a login ends, or ``None`` when it is not locked at ``now``. ``failures`` are the
    times of its failed sign-ins (any order; those older than ``WINDOW + LOCKED_FOR`` do not matter)."""
    times = sorted(failures)
    end: datetime | None = None
    for i in range(MAX_FAILURES - 1, len(times)):
        if times[i] - times[i - MAX_FAILURES + 1] <= WINDOW:
            end = max(end or times[i], times[i] + LOCKED_FOR)
    return end if end is not None and now < end else None


def failure_delay(recent_failures: int) -> float:
    """Seconds to wait before answering a failed sign-in, growing with the recent failures of that login:
    guessing gets slower well before the lock."""
    return min(0.2 * max(recent_failures, 1), 1.0)


def login_problem(login: str) -> str | None:
    if not LOGIN_PATTERN.match(login):
        return ("a login is 2 to 64 characters: lowercase letters, digits, '.', '_' or '-', "
                "starting with a letter or digit")
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1024:
        return "a password may have at most 1024 characters"
    return None


def role_problem(role: Role, department: str | None, jurisdiction: str | None = None) -> str | None:
    """What is wrong with giving a user (or a token) this role and department, if anything."""
    if role not in SIGNING_ROLES:
        return f"unknown role {role.value!r}: use one of {', '.join(r.value for r in SIGNING_ROLES)}"
    if role is Role.liaison and not department:
        return "a liaison needs --department ID (see GET /api/v1/departments)"
    if role is Role.grid_worker and not jurisdiction:
        return "a grid worker needs --jurisdiction GRID_ID (a grid, see GET /api/v1/jurisdictions)"
    if role is not Role.grid_worker and jurisdiction:
        return "only a grid worker is bound to a jurisdiction (--jurisdiction)"
    return None
