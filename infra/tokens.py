"""Bearer tokens: printed once when issued, stored only as a SHA-256 hash, each belonging to a user.

Every request looks its token up afresh (no cache): a revoked token, or one whose user is disabled, gets
401 on the very next request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.access import SIGNING_ROLES
from domain.events import Actor
from domain.vocabulary import Role

ISSUABLE_ROLES = SIGNING_ROLES  # the roles people sign in with: one list, the domain's
# "last used" is written at most this often per token: a write on every request would cost more than it tells.
LAST_USED_RESOLUTION_S = 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_id(token: str) -> str:
    """The id a token is listed and revoked by: not the secret, and not enough of its hash to find it."""
    return f"tok-{token_hash(token)[:12]}"


@dataclass(frozen=True)
class TokenInfo:
    """A token as `liandiao token list` shows it: never the secret."""

    id: str
    role: Role
    department: str | None
    user_id: str
    user_login: str
    user_name: str
    name: str | None
    issued_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


_TOKEN_COLUMNS = """t.id, t.role, t.department, t.user_id, u.login AS user_login, u.name AS user_name, t.name,
                    t.created_at AS issued_at, t.last_used_at, t.revoked_at"""


def _info(row: asyncpg.Record) -> TokenInfo:
    return TokenInfo(**{**dict(row), "role": Role(row["role"])})


async def insert_token(
    conn: asyncpg.Pool | asyncpg.Connection, user_id: str, role: Role, department: str | None, name: str | None
) -> str:
    """Store a new token for ``user_id`` and return it (the only time it is seen)."""
    token = f"ld_{secrets.token_urlsafe(24)}"
    await conn.execute(
        "INSERT INTO api_tokens (token_hash, id, user_id, role, department, name) VALUES ($1, $2, $3, $4, $5, $6)",
        token_hash(token), token_id(token), user_id, role.value, department, name,
    )
    return token


async def issue_token(
    pool: asyncpg.Pool, role: Role, department: str | None, name: str | None, user_id: str | None = None
) -> str:
    """A token for ``user_id``, or, without one, for a new machine user of its own (named ``name``)."""
    if role not in ISSUABLE_ROLES:
        raise ValueError(f"unknown role {role}")
    if role is Role.liaison and not department:
        raise ValueError("a liaison token needs --department")
    if role is Role.grid_worker and user_id is None:
        # a grid worker's grid is the user's (users.jurisdiction): a machine user would have none
        raise ValueError("a grid worker's token belongs to a grid worker user: --user LOGIN")
    async with pool.acquire() as conn, conn.transaction():
        if user_id is None:
            suffix = secrets.token_hex(6)
            user_id = f"usr-{suffix}"
            await conn.execute(
                """INSERT INTO users (id, login, name, role, department, kind)
                   VALUES ($1, $2, $3, $4, $5, 'machine')""",
                user_id, f"machine-{suffix}", name or f"{role.value} token", role.value, department,
            )
        return await insert_token(conn, user_id, role, department, name)


async def actor_for(pool: asyncpg.Pool, token: str) -> tuple[Actor, str] | None:
    """The actor a token stands for (its user's id and name), and its hash; ``None`` when the token is unknown,
    revoked, or its user disabled."""
    digest = token_hash(token)
    row = await pool.fetchrow(
        """SELECT t.role, t.department, t.user_id, u.name AS user_name, u.jurisdiction,
                  t.last_used_at IS NULL OR t.last_used_at < now() - make_interval(secs => $2) AS stale
           FROM api_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL""",
        digest, LAST_USED_RESOLUTION_S,
    )
    if row is None:
        return None
    if row["stale"]:
        await pool.execute("UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1", digest)
    actor = Actor(role=Role(row["role"]), id=row["user_id"], department=row["department"], name=row["user_name"],
                  jurisdiction=row["jurisdiction"])
    return actor, digest


async def list_tokens(pool: asyncpg.Pool, include_revoked: bool = False) -> list[TokenInfo]:
    rows = await pool.fetch(
        f"""SELECT {_TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE $1 OR t.revoked_at IS NULL ORDER BY t.created_at, t.id""",
        include_revoked,
    )
    return [_info(r) for r in rows]


async def revoke_token(pool: asyncpg.Pool, token_or_id: str) -> TokenInfo | None:
    """Revoke by the token itself or by its listed id; ``None`` when there is no such token. Revoking twice
    keeps the first time."""
    key = token_hash(token_or_id) if token_or_id.startswith("ld_") else None
    row = await pool.fetchrow(
        f"""WITH revoked AS (
                UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
                WHERE token_hash = $1 OR id = $2 RETURNING *)
            SELECT {_TOKEN_COLUMNS} FROM revoked t JOIN users u ON u.id = t.user_id""",
        key, token_or_id,
    )
    return None if row is None else _info(row)
