"""Who is signing in, and their sessions: the one seam between the desk and the people of the application
layer.

Until people with passwords exist, a login is the name a token was issued with and the password is the
token itself (`make run` prints both); a session is a row of ``workbench_sessions``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import asyncpg

from domain.events import Actor
from infra.tokens import actor_for

SESSION_LIFETIME = timedelta(hours=12)


class SignInRefused(Exception):
    """The login and password do not match an active person. The message is shown as it is (Chinese)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def sign_in(pool: asyncpg.Pool, login: str, password: str) -> Actor:
    found = await actor_for(pool, password.strip())
    if found is not None:
        name = await pool.fetchval("SELECT name FROM api_tokens WHERE token_hash = $1", found[1])
        if name is not None and name == login.strip():
            return found[0].model_copy(update={"name": name})
    raise SignInRefused("用户名或密码错误")


async def start_session(pool: asyncpg.Pool, actor: Actor) -> str:
    """A new session; answers the secret for the cookie (only its hash is kept)."""
    secret = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO workbench_sessions (session_hash, actor, expires_at) VALUES ($1, $2, now() + $3::interval)",
        _hash(secret), actor.model_dump(mode="json"), SESSION_LIFETIME)
    return secret


async def session_actor(pool: asyncpg.Pool, secret: str) -> Actor | None:
    row = await pool.fetchrow(
        "SELECT actor FROM workbench_sessions WHERE session_hash = $1 AND expires_at > now()", _hash(secret))
    return Actor.model_validate(row["actor"]) if row is not None else None


async def end_session(pool: asyncpg.Pool, secret: str) -> None:
    await pool.execute("DELETE FROM workbench_sessions WHERE session_hash = $1 OR expires_at < now()", _hash(secret))
