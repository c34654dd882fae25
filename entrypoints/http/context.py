"""What every route needs: the application, the caller behind the bearer token, early role checks, and
Idempotency-Key handling. Business rules live in ``application``, not here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from application.cases import Application
from application.errors import ApplicationError
from domain.events import Actor
from domain.vocabulary import Role
from entrypoints.http.problems import TITLES, Problem, problem_for


@dataclass(frozen=True)
class Caller:
    actor: Actor
    token_hash: str

    @property
    def role(self) -> Role:
        return self.actor.role


def services(request: Request) -> Application:
    return request.app.state.services  # type: ignore[no-any-return]


_bearer = HTTPBearer(auto_error=False, description="a token from `liandiao token issue`")


async def caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "this request needs an Authorization: Bearer TOKEN header")
    found = await services(request).people.token_actor(credentials.credentials)
    if found is None:
        raise Problem(401, "the bearer token is unknown or revoked")
    return Caller(actor=found[0], token_hash=found[1])


def roles(allowed: Iterable[Role]) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting only ``allowed`` roles (checked before the body, so a 403 wins over a 422).
    ``allowed`` comes from the domain's table (``roles_for``) or the application's read rules."""
    admitted = frozenset(allowed)
    names = ", ".join(sorted(r.value for r in admitted))

    async def check(who: Caller = Depends(caller)) -> Caller:
        if who.role not in admitted:
            raise Problem(403, f"a {who.role.value} may not do this; it is for: {names}")
        return who

    return check


async def idempotent(
    request: Request, who: Caller, body: Any, run: Callable[[str | None], Awaitable[tuple[int, Any]]]
) -> JSONResponse:
    """Run a write once per Idempotency-Key (per token): a repeat answers what the first answered. The key
    also becomes the Temporal update id, so the case workflow itself never applies it twice."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, answer = await run(None)  # an ApplicationError is answered by the app's handler
        return JSONResponse(answer, status_code=status)
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise Problem(400, "Idempotency-Key must be 1 to 200 printable characters")
    fingerprint = hashlib.sha256(json.dumps(
        [request.method, request.url.path, body], sort_keys=True, default=str, ensure_ascii=False
    ).encode()).hexdigest()
    keys = services(request).idempotency_keys
    if not await keys.claim(who.token_hash, key, fingerprint):
        stored = await keys.stored(who.token_hash, key)
        if stored.request_hash != fingerprint:
            raise Problem(422, "this Idempotency-Key was already used for a different request")
        if stored.status is None:
            raise Problem(409, "a request with this Idempotency-Key is still in progress; repeat it later")
        media = "application/problem+json" if stored.status >= 400 else "application/json"
        return JSONResponse(stored.response, status_code=stored.status, media_type=media)
    update_id = f"{who.token_hash[:16]}:{key}"
    try:
        try:
            status, answer = await run(update_id)
        except ApplicationError as exc:
            raise problem_for(exc) from exc
    except Problem as problem:
        if problem.status >= 500:  # not an answer (an outage): the key is free for the repeat
            await keys.let_go(who.token_hash, key)
            raise
        # A refusal is an answer too: the repeat gets the same one.
        status = problem.status
        answer = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
                  "detail": problem.detail, **problem.extra}
        await keys.remember(who.token_hash, key, status, answer)
        raise
    except BaseException:
        await keys.let_go(who.token_hash, key)
        raise
    await keys.remember(who.token_hash, key, status, answer)
    return JSONResponse(answer, status_code=status)
