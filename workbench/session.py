"""Signed-in sessions and CSRF protection.

The cookie holds a random session id (HttpOnly, SameSite=Lax, Secure when served over HTTPS); the
database keeps only its hash, the person it stands for and the CSRF token that every form of the session
carries in a hidden field. A POST without the right token is refused before anything else runs. The login
form has no session yet: it uses a double-submit token (a cookie and a field that must match)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from fastapi import Request, Response

from domain.events import Actor

SESSION_COOKIE = "liandiao_session"
LOGIN_CSRF_COOKIE = "liandiao_login_csrf"
CSRF_FIELD = "csrf_token"
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    actor: Actor
    csrf_token: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")


async def open_session(pool: asyncpg.Pool, request: Request, response: Response, actor: Actor) -> None:
    session_id = secrets.token_urlsafe(32)
    await pool.execute(
        """INSERT INTO workbench_sessions (session_hash, actor, csrf_token, expires_at)
           VALUES ($1, $2, $3, now() + $4::interval)""",
        _hash(session_id), actor.model_dump(mode="json"), secrets.token_urlsafe(32), SESSION_LIFETIME)
    _cookie(response, request, SESSION_COOKIE, session_id, int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")


async def current_session(pool: asyncpg.Pool, request: Request) -> Session | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    row = await pool.fetchrow(
        "SELECT actor, csrf_token FROM workbench_sessions WHERE session_hash = $1 AND expires_at > now()",
        _hash(session_id))
    if row is None:
        return None
    return Session(actor=Actor.model_validate(row["actor"]), csrf_token=row["csrf_token"])


async def close_session(pool: asyncpg.Pool, request: Request, response: Response) -> None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await pool.execute("DELETE FROM workbench_sessions WHERE session_hash = $1 OR expires_at < now()",
                           _hash(session_id))
    response.delete_cookie(SESSION_COOKIE, path="/")


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def remember_login_token(request: Request, response: Response, token: str) -> None:
    _cookie(response, request, LOGIN_CSRF_COOKIE, token, None)


def same(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
