"""Who is signing in. The one seam between the desk and the people of the application layer.

Until people with passwords exist (issue 14), a login is the name a token was issued with and the
password is the token itself (`make run` prints both)."""

from __future__ import annotations

import asyncpg

from domain.events import Actor
from infra.tokens import actor_for


class SignInRefused(Exception):
    """The login and password do not match an active person. The message is shown as it is (Chinese)."""


async def sign_in(pool: asyncpg.Pool, login: str, password: str) -> Actor:
    found = await actor_for(pool, password.strip())
    if found is not None:
        name = await pool.fetchval("SELECT name FROM api_tokens WHERE token_hash = $1", found[1])
        if name is not None and name == login.strip():
            return found[0].model_copy(update={"name": name})
    raise SignInRefused("用户名或密码不正确")
