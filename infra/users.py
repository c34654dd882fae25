"""The users table, failed sign-ins and workbench sessions: storage only. The rules (who may be added, when a
login locks) are in ``application/people.py`` and ``domain/access.py``."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from domain.events import Actor
from domain.notifications import redact
from domain.vocabulary import Role


@dataclass(frozen=True)
class User:
    """A person who signs in, or a machine user that only holds tokens (``kind == "machine"``).
    ``id`` is the actor id on every event the user causes; ``name`` is shown in timelines and dossiers."""

    id: str
    login: str
    name: str
    role: Role
    department: str | None
    kind: str
    created_at: datetime
    disabled_at: datetime | None
    jurisdiction: str | None = None  # a grid worker's grid
    channels: tuple[str, ...] = ()  # the person's own channels, redacted (the URLs stay in the table)

    @property
    def grid(self) -> str | None:
        """The grid (网格) a grid worker is bound to: the desk's word for ``jurisdiction``."""
        return self.jurisdiction

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def actor(self) -> Actor:
        return Actor(role=self.role, id=self.id, department=self.department, name=self.name,
                     jurisdiction=self.jurisdiction)


_USER_COLUMNS = "id, login, name, role, department, kind, created_at, disabled_at, jurisdiction, notify"


def _user(row: Mapping[str, Any]) -> User:
    record = dict(row)
    urls = record.pop("notify")
    return User(**{**record, "role": Role(record["role"]), "channels": tuple(redact(u) for u in urls)})


class LoginTaken(Exception):
    pass


async def insert_user(
    pool: asyncpg.Pool, *, user_id: str, login: str, name: str, role: Role, department: str | None,
    password_hash: str | None, kind: str = "person", jurisdiction: str | None = None,
) -> User:
    try:
        row = await pool.fetchrow(
            f"""INSERT INTO users (id, login, name, role, department, kind, password_hash, jurisdiction)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_USER_COLUMNS}""",
            user_id, login, name, role.value, department, kind, password_hash, jurisdiction,
        )
    except asyncpg.UniqueViolationError as exc:
        raise LoginTaken(login) from exc
    assert row is not None
    return _user(row)


def new_user_id() -> str:
    return f"usr-{secrets.token_hex(6)}"


async def user_by_login(pool: asyncpg.Pool, login: str) -> User | None:
    row = await pool.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE login = $1", login)
    return None if row is None else _user(row)


async def user_by_id(pool: asyncpg.Pool, user_id: str) -> User | None:
    row = await pool.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1", user_id)
    return None if row is None else _user(row)


async def password_hash_of(pool: asyncpg.Pool, login: str) -> tuple[User, str | None] | None:
    row = await pool.fetchrow(f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE login = $1", login)
    if row is None:
        return None
    password_hash = row["password_hash"]
    return _user({k: v for k, v in dict(row).items() if k != "password_hash"}), password_hash


async def list_users(pool: asyncpg.Pool, include_machines: bool = True) -> list[User]:
    rows = await pool.fetch(
        f"SELECT {_USER_COLUMNS} FROM users WHERE $1 OR kind = 'person' ORDER BY created_at, login",
        include_machines,
    )
    return [_user(r) for r in rows]


async def find_people(pool: asyncpg.Pool, *, text: str | None, places: list[str], role: str | None,
                      active: bool | None, limit: int, offset: int) -> tuple[list[User], int]:
    """People (not machine users) oldest first, a page of them and how many match in all: ``text`` found in the
    name or the login (case-insensitive), or their department or grid among ``places``; of ``role``; in use or
    disabled."""
    where = """kind = 'person'
       AND ($1::text IS NULL OR strpos(lower(name), $1) > 0 OR strpos(login, $1) > 0
            OR department = ANY($2::text[]) OR jurisdiction = ANY($2::text[]))
       AND ($3::text IS NULL OR role = $3)
       AND ($4::bool IS NULL OR (disabled_at IS NULL) = $4)"""
    args = (text.lower() if text else None, places, role, active)
    rows = await pool.fetch(f"SELECT {_USER_COLUMNS} FROM users WHERE {where} ORDER BY created_at, login"
                            " LIMIT $5 OFFSET $6", *args, limit, offset)
    total = await pool.fetchval(f"SELECT count(*) FROM users WHERE {where}", *args)
    return [_user(r) for r in rows], int(total)


async def disable_user(pool: asyncpg.Pool, login: str) -> User | None:
    """Disable (once: the first time is kept). Its tokens and sessions stop working with the next request,
    because every lookup joins the user."""
    row = await pool.fetchrow(
        f"""UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE login = $1
            RETURNING {_USER_COLUMNS}""", login)
    return None if row is None else _user(row)


async def set_notify(pool: asyncpg.Pool, login: str, urls: list[str]) -> User | None:
    """Replace a person's own channels (``[]``: none)."""
    row = await pool.fetchrow(
        f"UPDATE users SET notify = $2 WHERE login = $1 AND kind = 'person' RETURNING {_USER_COLUMNS}", login, urls)
    return None if row is None else _user(row)


async def notify_urls(pool: asyncpg.Pool, user_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """The channels of those of ``user_ids`` who are people in use and have some: a disabled person is told
    nowhere outside the workbench (they no longer read it either)."""
    rows = await pool.fetch(
        "SELECT id, notify FROM users WHERE id = ANY($1::text[]) AND disabled_at IS NULL AND kind = 'person'"
        " AND cardinality(notify) > 0", user_ids)
    return {r["id"]: tuple(r["notify"]) for r in rows}


async def set_password_hash(pool: asyncpg.Pool, login: str, password_hash: str) -> User | None:
    """Replace a person's password and end their sessions: whoever held the old one is signed out."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            f"UPDATE users SET password_hash = $2 WHERE login = $1 AND kind = 'person' RETURNING {_USER_COLUMNS}",
            login, password_hash)
        if row is not None:
            await conn.execute("UPDATE sessions SET ended_at = coalesce(ended_at, now()) WHERE user_id = $1",
                               row["id"])
    return None if row is None else _user(row)


async def end_sessions_of(pool: asyncpg.Pool, user_id: str) -> None:
    await pool.execute("UPDATE sessions SET ended_at = coalesce(ended_at, now()) WHERE user_id = $1", user_id)


# ------------------------------------------------------------------------------------------ failed sign-ins

async def record_failure(pool: asyncpg.Pool, login: str, keep: timedelta) -> list[datetime]:
    """Record a failed sign-in now; answer the login's failures within ``keep`` (this one included) and
    prune older ones."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM sign_in_failures WHERE login = $1 AND at < now() - $2::interval", login, keep)
        await conn.execute("INSERT INTO sign_in_failures (login) VALUES ($1)", login)
        return [r["at"] for r in await conn.fetch(
            "SELECT at FROM sign_in_failures WHERE login = $1 ORDER BY at", login)]


async def recent_failures(pool: asyncpg.Pool, login: str, keep: timedelta) -> tuple[list[datetime], datetime]:
    """The login's failures within ``keep``, and the database's now (one clock for the whole rule)."""
    rows = await pool.fetch(
        """SELECT at, now() AS now FROM sign_in_failures WHERE login = $1 AND at >= now() - $2::interval
           UNION ALL SELECT NULL, now() ORDER BY at NULLS LAST""", login, keep)
    return [r["at"] for r in rows if r["at"] is not None], rows[-1]["now"]


async def clear_failures(pool: asyncpg.Pool, login: str) -> None:
    await pool.execute("DELETE FROM sign_in_failures WHERE login = $1", login)


# ------------------------------------------------------------------------------------------------ sessions

def session_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


async def insert_session(pool: asyncpg.Pool, user_id: str, lifetime: timedelta) -> str:
    secret = f"lds_{secrets.token_urlsafe(32)}"
    await pool.execute(
        "INSERT INTO sessions (session_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)",
        session_hash(secret), user_id, lifetime,
    )
    return secret


async def session_user(pool: asyncpg.Pool, secret: str) -> User | None:
    row = await pool.fetchrow(
        f"""SELECT {", ".join(f"u.{c}" for c in _USER_COLUMNS.split(", "))}
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.session_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
              AND u.disabled_at IS NULL""",
        session_hash(secret),
    )
    return None if row is None else _user(row)


async def password_age(pool: asyncpg.Pool, secret: str) -> timedelta | None:
    """How long ago the person of a live session last entered their password; ``None`` for no live session."""
    value: timedelta | None = await pool.fetchval(
        """SELECT now() - s.password_at FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.session_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL""",
        session_hash(secret))
    return value


async def password_entered(pool: asyncpg.Pool, secret: str) -> None:
    """The session's person has just entered their password again."""
    await pool.execute("UPDATE sessions SET password_at = now() WHERE session_hash = $1", session_hash(secret))


async def end_session(pool: asyncpg.Pool, secret: str) -> None:
    await pool.execute("UPDATE sessions SET ended_at = coalesce(ended_at, now()) WHERE session_hash = $1",
                       session_hash(secret))
