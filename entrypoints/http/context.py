"""What every route needs: the application, the caller behind the bearer token, early role checks, and
Idempotency-Key handling. Business rules live in ``application``, not here."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from application.cases import Application
from application.errors import ApplicationError
from domain.events import Actor
from domain.vocabulary import Role
from entrypoints.http.problems import TITLES, Problem, problem_for
from infra.tokens import actor_for

ABANDONED_AFTER_S = 30.0  # longer than any write takes while the servers are up (issue 11)


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
    found = await actor_for(services(request).pool, credentials.credentials)
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
    pool = services(request).pool
    claimed = await pool.fetchval(
        """INSERT INTO idempotency_keys (token_hash, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""", who.token_hash, key, fingerprint)
    if not claimed:
        claimed = await _take_over_abandoned(pool, who, key, fingerprint)
    if not claimed:
        row = await pool.fetchrow(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE token_hash = $1 AND key = $2",
            who.token_hash, key)
        if row["request_hash"] != fingerprint:
            raise Problem(422, "this Idempotency-Key was already used for a different request")
        if row["status"] is None:
            raise Problem(409, "a request with this Idempotency-Key is still in progress; repeat it later")
        media = "application/problem+json" if row["status"] >= 400 else "application/json"
        return JSONResponse(row["response"], status_code=row["status"], media_type=media)
    update_id = f"{who.token_hash[:16]}:{key}"
    try:
        try:
            status, answer = await run(update_id)
        except ApplicationError as exc:
            raise problem_for(exc) from exc
    except Problem as problem:
        if problem.status >= 500:  # not an answer (an outage): the key is free for the repeat
            await _let_go(pool, who, key)
            raise
        # A refusal is an answer too: the repeat gets the same one.
        status = problem.status
        answer = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
                  "detail": problem.detail}
        await _remember(pool, who, key, status, answer)
        raise
    except BaseException:
        await _let_go(pool, who, key)
        raise
    await _remember(pool, who, key, status, answer)
    return JSONResponse(answer, status_code=status)


async def _let_go(pool: asyncpg.Pool, who: Caller, key: str) -> None:
    # With the database gone this cannot work either; the claim is then taken over later (below).
    with contextlib.suppress(Exception):
        await pool.execute("DELETE FROM idempotency_keys WHERE token_hash = $1 AND key = $2", who.token_hash, key)


async def _take_over_abandoned(pool: asyncpg.Pool, who: Caller, key: str, fingerprint: str) -> bool:
    """A claim left without an answer by a request that died with the database (it could not even let go of
    its key) is taken over after a while. Running again is safe: the key is the Temporal update id, so the
    case workflow answers a repeat with the first outcome instead of acting twice."""
    return bool(await pool.fetchval(
        """UPDATE idempotency_keys SET created_at = now()
           WHERE token_hash = $1 AND key = $2 AND request_hash = $3 AND status IS NULL
             AND created_at < now() - make_interval(secs => $4) RETURNING true""",
        who.token_hash, key, fingerprint, ABANDONED_AFTER_S))


async def _remember(pool: asyncpg.Pool, who: Caller, key: str, status: int, answer: Any) -> None:
    await pool.execute(
        "UPDATE idempotency_keys SET status = $3, response = $4 WHERE token_hash = $1 AND key = $2",
        who.token_hash, key, status, answer)
