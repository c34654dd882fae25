"""People and access: add, list and disable users; sign in (with slowing down and lockout); workbench
sessions; bearer tokens (issue, list, revoke). The CLI, the HTTP API and the workbench call these.

Nothing here caches who may do what: every request looks its token or session up again, so a disabled user
or a revoked token is refused on its very next request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from application.errors import ApplicationError, InvalidInput, NotFound
from domain.access import (
    LOCKED_FOR,
    WINDOW,
    failure_delay,
    locked_until,
    login_problem,
    password_problem,
    role_problem,
)
from domain.events import Actor
from domain.notifications import person_channels_problem
from domain.organisation import JurisdictionLevel, Organisation, UnknownId
from domain.vocabulary import Role
from infra import tokens, users
from infra.passwords import generate_password, hash_password, password_matches
from infra.tokens import TokenInfo
from infra.users import User

SESSION_LIFETIME = timedelta(hours=12)
_FAILURES_KEPT = WINDOW + LOCKED_FOR
LOCKED_MESSAGE = "登录失败次数过多，该账号已锁定 15 分钟，请稍后再试"


class SignInRefused(ApplicationError):
    """Wrong login or password, a disabled user, or a locked login. The message (Chinese, for the sign-in
    page) never says which of login or password was wrong. ``locked_until`` is set when the login is locked."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str | None  # the generated password, to hand over once; None when the caller chose one


def actor_of(user: User) -> Actor:
    """The actor on the events this user causes: the user's id, role and department."""
    return user.actor


@dataclass
class People:
    pool: asyncpg.Pool
    org: Organisation

    def _check_role(self, role: Role, department: str | None, jurisdiction: str | None = None) -> None:
        problem = role_problem(role, department, jurisdiction)
        if problem:
            raise InvalidInput(problem)
        if jurisdiction is not None:
            try:
                level = self.org.jurisdiction(jurisdiction).level
            except UnknownId as exc:
                raise InvalidInput(str(exc), "jurisdiction") from exc
            if level is not JurisdictionLevel.grid:
                raise InvalidInput(f"{jurisdiction} is a {level.value}, not a grid: a grid worker belongs to a grid",
                                   "jurisdiction")
        if department is not None:
            self._check_department(department)

    def _check_department(self, department: str) -> None:
        try:
            self.org.department(department)
        except UnknownId as exc:
            raise InvalidInput(str(exc), "department") from exc

    # ---------------------------------------------------------------------------------------------- users

    async def add_user(
        self, *, name: str, role: Role, department: str | None = None, login: str | None = None,
        password: str | None = None, user_id: str | None = None, jurisdiction: str | None = None,
    ) -> NewUser:
        """Add a person who signs in. Without ``password`` one is generated and answered (once)."""
        name = name.strip()
        if not name or len(name) > 100 or not name.isprintable():
            raise InvalidInput("a name is 1 to 100 printable characters", "name")
        self._check_role(role, department, jurisdiction)
        login = login or f"user-{users.new_user_id()[4:10]}"
        if problem := login_problem(login):
            raise InvalidInput(problem, "login")
        generated = None
        if password is None:
            password = generated = generate_password()
        if problem := password_problem(password):
            raise InvalidInput(problem, "password")
        try:
            user = await users.insert_user(
                self.pool, user_id=user_id or users.new_user_id(), login=login, name=name, role=role,
                department=department, password_hash=await hash_password(password), jurisdiction=jurisdiction,
            )
        except users.LoginTaken as exc:
            raise InvalidInput(f"login {login!r} is taken", "login") from exc
        return NewUser(user=user, password=generated)

    async def list_users(self, include_machines: bool = True) -> list[User]:
        return await users.list_users(self.pool, include_machines)

    async def find_people(self, *, text: str | None, places: list[str], role: Role | None, active: bool | None,
                          limit: int, offset: int) -> tuple[list[User], int]:
        return await users.find_people(self.pool, text=text, places=places, role=role.value if role else None,
                                       active=active, limit=limit, offset=offset)

    async def disable_user(self, login: str) -> User:
        """From the next request on, the user cannot sign in and its tokens and sessions get 401."""
        user = await users.disable_user(self.pool, login)
        if user is None:
            raise NotFound(f"no user with login {login!r}", "no_user", {"login": login})
        return user

    async def reset_password(self, login: str) -> tuple[User, str]:
        """A new generated password for a person (answered once); their open sessions end."""
        password = generate_password()
        user = await users.set_password_hash(self.pool, login, await hash_password(password))
        if user is None:
            raise NotFound(f"no person with login {login!r}", "no_user", {"login": login})
        return user, password

    async def set_channels(self, login: str, urls: list[str]) -> User:
        """Replace a person's own channels (Apprise URLs; ``[]``: none): a 包案 leader is told there as well as
        in the workbench. Blank entries and repeats are dropped."""
        kept = list(dict.fromkeys(u.strip() for u in urls if u.strip()))
        if problem := person_channels_problem(kept):
            raise InvalidInput(problem, "notify")
        user = await users.set_notify(self.pool, login, kept)
        if user is None:
            raise NotFound(f"no person with login {login!r}", "no_user", {"login": login})
        return user

    async def user(self, user_id: str) -> User | None:
        return await users.user_by_id(self.pool, user_id)

    # -------------------------------------------------------------------------------------------- sign-in

    async def sign_in(self, login: str, password: str) -> User:
        """The user behind ``login`` and ``password``, or :class:`SignInRefused`.

        Each failure waits a little longer before answering (domain/access.py ``failure_delay``); 5 failures
        within 15 minutes lock the login for 15 minutes, during which even the right password is refused.
        Unknown logins are counted and timed like known ones, so the answer does not tell which exist."""
        login = login.strip().lower()[:64]
        failures, now = await users.recent_failures(self.pool, login, _FAILURES_KEPT)
        if until := locked_until(failures, now):
            raise SignInRefused(LOCKED_MESSAGE, locked_until=until)
        found = await users.password_hash_of(self.pool, login)
        user, password_hash = found if found is not None else (None, None)
        # An unknown login is checked against a dummy hash: the same work, the same answer.
        if await password_matches(password_hash, password) and user is not None:
            if not user.active:
                raise SignInRefused("该账号已停用，请联系管理员")
            await users.clear_failures(self.pool, login)
            return user
        failures = await users.record_failure(self.pool, login, _FAILURES_KEPT)
        await asyncio.sleep(failure_delay(len(failures)))
        if until := locked_until(failures, failures[-1]):
            raise SignInRefused("登录失败次数过多，该账号已锁定 15 分钟", locked_until=until)
        raise SignInRefused("用户名或密码错误")

    # ---------------------------------------------------------------------------------------- sessions

    async def start_session(self, user: User, lifetime: timedelta = SESSION_LIFETIME) -> str:
        """A new session for a signed-in user: answers the secret for the cookie (only its hash is kept)."""
        return await users.insert_session(self.pool, user.id, lifetime)

    async def session_user(self, secret: str) -> User | None:
        """The user of a live session: ``None`` when unknown, ended, expired, or the user is disabled."""
        if not secret or len(secret) > 200:
            return None
        return await users.session_user(self.pool, secret)

    async def end_session(self, secret: str) -> None:
        await users.end_session(self.pool, secret)

    async def password_age(self, secret: str) -> timedelta | None:
        """How long ago this session's person last entered their password (``None``: no live session)."""
        if not secret or len(secret) > 200:
            return None
        return await users.password_age(self.pool, secret)

    async def enter_password_again(self, secret: str, password: str) -> User:
        """The session's person confirms it is still them: their password, checked like a sign-in (slowed
        down, counted towards the lock). Raises :class:`SignInRefused`."""
        user = await self.session_user(secret)
        if user is None:
            raise SignInRefused("登录已过期，请重新登录")
        confirmed = await self.sign_in(user.login, password)
        if confirmed.id != user.id:  # cannot happen: one login, one user
            raise SignInRefused("用户名或密码错误")
        await users.password_entered(self.pool, secret)
        return confirmed

    # ------------------------------------------------------------------------------------------- tokens

    async def issue_token(
        self, *, role: Role | None, department: str | None = None, name: str | None = None,
        user_login: str | None = None,
    ) -> str:
        """A new bearer token. With ``user_login`` it belongs to that user and carries its role and department;
        without, a machine user is made for it (a machine user is a user that cannot sign in)."""
        if user_login is not None:
            user = await users.user_by_login(self.pool, user_login)
            if user is None:
                raise NotFound(f"no user with login {user_login!r}", "no_user", {"login": user_login})
            if not user.active:
                raise InvalidInput(f"user {user_login!r} is disabled", "user")
            if role is not None and role is not user.role:
                raise InvalidInput(f"user {user_login!r} is a {user.role.value}, not a {role.value}", "role")
            if department is not None and department != user.department:
                raise InvalidInput(f"user {user_login!r} belongs to {user.department}", "department")
            return await tokens.insert_token(self.pool, user.id, user.role, user.department, name)
        if role is None:
            raise InvalidInput("a token needs --role (or --user)", "role")
        if role is Role.grid_worker:
            raise InvalidInput("a grid worker's token belongs to a grid worker user: give --user LOGIN", "user")
        self._check_role(role, department)
        return await tokens.issue_token(self.pool, role, department, name)

    async def token_actor(self, token: str) -> tuple[Actor, str] | None:
        """Who a bearer token stands for, and the token's hash; None when it is unknown or revoked or its
        user disabled. Looked up on every request: a revoke takes effect on the next one."""
        return await tokens.actor_for(self.pool, token)

    async def list_tokens(self, include_revoked: bool = False) -> list[TokenInfo]:
        return await tokens.list_tokens(self.pool, include_revoked)

    async def revoke_token(self, token_or_id: str) -> TokenInfo:
        """Revoke by the token itself or by its listed id: its next request gets 401."""
        found = await tokens.revoke_token(self.pool, token_or_id.strip())
        if found is None:
            raise NotFound("no such token (give the token itself or its id from `liandiao token list`)", "no_token")
        return found
