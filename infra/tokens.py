"""Bearer tokens: printed once when issued, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

from domain.events import Actor
from domain.vocabulary import Role

ISSUABLE_ROLES = (Role.mediator, Role.liaison, Role.supervisor, Role.auditor, Role.admin)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def issue_token(pool: asyncpg.Pool, role: Role, department: str | None, name: str | None) -> str:
    if role not in ISSUABLE_ROLES:
        raise ValueError(f"unknown role {role}")
    if role is Role.liaison and not department:
        raise ValueError("a liaison token needs --department")
    token = f"ld_{secrets.token_urlsafe(24)}"
    await pool.execute(
        "INSERT INTO api_tokens (token_hash, role, department, name) VALUES ($1, $2, $3, $4)",
        token_hash(token), role.value, department, name,
    )
    return token


async def actor_for(pool: asyncpg.Pool, token: str) -> tuple[Actor, str] | None:
    """The actor a token stands for, and its hash (the actor id is a prefix of the hash, never the token)."""
    digest = token_hash(token)
    row = await pool.fetchrow(
        "SELECT role, department FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL", digest
    )
    if row is None:
        return None
    return Actor(role=Role(row["role"]), id=f"tok-{digest[:12]}", department=row["department"]), digest
