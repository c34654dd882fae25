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

from fastapi import Request, Response

from application.cases import Application
from application.people import SESSION_LIFETIME
from domain.events import Actor
from entrypoints.workbench import identity

SESSION_COOKIE = "liandiao_session"
LOGIN_CSRF_COOKIE = "liandiao_login_csrf"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Session:
    actor: Actor
    csrf_token: str


def _csrf_of(secret: str) -> str:
    # Derived from the session's secret, which only the HttpOnly cookie carries: a page of another site can
    # neither read it nor compute the token, and nothing more needs storing.
    return hashlib.sha256(f"liandiao-csrf:{secret}".encode()).hexdigest()


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")


def open_session(request: Request, response: Response, secret: str) -> None:
    """Hand the browser a session that ``identity.sign_in`` opened."""
    _cookie(response, request, SESSION_COOKIE, secret, int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")


async def current_session(app: Application, request: Request) -> Session | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret or len(secret) > 200:
        return None
    actor = await identity.session_actor(app, secret)
    return Session(actor=actor, csrf_token=_csrf_of(secret)) if actor is not None else None


async def close_session(app: Application, request: Request, response: Response) -> None:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and len(secret) <= 200:
        await identity.end_session(app, secret)
    response.delete_cookie(SESSION_COOKIE, path="/")


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def remember_login_token(request: Request, response: Response, token: str) -> None:
    _cookie(response, request, LOGIN_CSRF_COOKIE, token, None)


def same(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
