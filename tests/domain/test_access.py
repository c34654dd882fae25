"""Sign-in lockout and the rules for logins and passwords (domain/access.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.access import (
    LOCKED_FOR,
    failure_delay,
    locked_until,
    login_problem,
    password_problem,
    role_problem,
)
from domain.vocabulary import Role

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _minutes(*offsets: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in offsets]


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes() -> None:
    failures = _minutes(0, 1, 2, 3, 4)
    assert locked_until(failures[:4], T0 + timedelta(minutes=4)) is None
    assert locked_until(failures, T0 + timedelta(minutes=4)) == failures[-1] + LOCKED_FOR
    assert locked_until(failures, failures[-1] + LOCKED_FOR - timedelta(seconds=1)) is not None
    assert locked_until(failures, failures[-1] + LOCKED_FOR) is None


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    assert locked_until(_minutes(0, 4, 8, 12, 15.5), T0 + timedelta(minutes=16)) is None
    assert locked_until(_minutes(0, 4, 8, 12, 15), T0 + timedelta(minutes=16)) is not None  # exactly 15 min


def test_a_later_run_of_failures_extends_the_lock() -> None:
    failures = _minutes(0, 1, 2, 3, 4, 20, 21, 22, 23, 24)
    assert locked_until(failures, T0 + timedelta(minutes=30)) == T0 + timedelta(minutes=24) + LOCKED_FOR


def test_delay_grows_and_is_capped() -> None:
    delays = [failure_delay(n) for n in range(1, 8)]
    assert delays == sorted(delays) and delays[0] > 0 and max(delays) == 1.0


def test_logins_passwords_roles() -> None:
    assert login_problem("wang.min") is None and login_problem("liaison-labour") is None
    assert login_problem("Wang") and login_problem("a") and login_problem("王敏") and login_problem("-x")
    assert password_problem("short") and password_problem("long enough") is None
    assert role_problem(Role.liaison, None) and role_problem(Role.liaison, "dept-x") is None
    assert role_problem(Role.system, None) and role_problem(Role.admin, None) is None


def test_people_roles_leaders_and_grid_workers() -> None:
    assert role_problem(Role.leader, None) is None  # a leader signs in and holds tokens
    assert role_problem(Role.grid_worker, None) and role_problem(Role.grid_worker, None, "grid-x") is None
    assert role_problem(Role.liaison, None) and role_problem(Role.liaison, "dept-x") is None
    # Only a grid worker is bound to a grid: a mediator given one is refused, not silently unbound.
    assert role_problem(Role.system, None) and role_problem(Role.mediator, None, "grid-x")
