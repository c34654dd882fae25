"""People and access against the real database: users, sign-in with lockout, sessions, tokens."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from application.errors import InvalidInput, NotFound
from application.people import People, SignInRefused
from domain.access import MAX_FAILURES
from domain.organisation import demo_organisation
from domain.vocabulary import Role
from infra.tokens import actor_for

LABOUR = "dept-donghu-labour"


@pytest.fixture
def people(pool: asyncpg.Pool) -> People:
    return People(pool, demo_organisation())


def _login(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_add_user_with_a_generated_password_and_sign_in(people: People, pool: asyncpg.Pool) -> None:
    login = _login("wang")
    added = await people.add_user(name="王敏", role=Role.mediator, department="dept-donghu-zongzhi", login=login)
    assert added.password is not None and len(added.password) >= 12
    stored = await pool.fetchval("SELECT password_hash FROM users WHERE login = $1", login)
    assert stored.startswith("$argon2id$") and added.password not in stored
    user = await people.sign_in(login, added.password)
    assert (user.login, user.name, user.role, user.department) == (login, "王敏", Role.mediator, "dept-donghu-zongzhi")
    assert user.id.startswith("usr-") and user.actor.id == user.id
    assert login in [u.login for u in await people.list_users()]


async def test_bad_users_are_refused(people: People) -> None:
    with pytest.raises(InvalidInput, match="department"):
        await people.add_user(name="李强", role=Role.liaison, login=_login("li"))
    with pytest.raises(InvalidInput, match="unknown department 'dept-nowhere'"):
        await people.add_user(name="李强", role=Role.liaison, department="dept-nowhere", login=_login("li"))
    with pytest.raises(InvalidInput, match="login"):
        await people.add_user(name="李强", role=Role.mediator, login="李强")
    with pytest.raises(InvalidInput, match="at least 8"):
        await people.add_user(name="李强", role=Role.mediator, login=_login("li"), password="short")
    with pytest.raises(InvalidInput, match="unknown role"):
        await people.add_user(name="系统", role=Role.system, login=_login("sys"))
    login = _login("dup")
    await people.add_user(name="甲", role=Role.auditor, login=login, password="a long password")
    with pytest.raises(InvalidInput, match="taken"):
        await people.add_user(name="乙", role=Role.auditor, login=login, password="a long password")


async def test_wrong_password_then_lockout_even_for_the_right_one(people: People) -> None:
    login = _login("lock")
    await people.add_user(name="周平", role=Role.auditor, login=login, password="correct horse")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInRefused, match="用户名或密码错误") as refused:
            await people.sign_in(login, "wrong password")
        assert refused.value.locked_until is None
    with pytest.raises(SignInRefused, match="锁定") as locked:
        await people.sign_in(login, "wrong password")
    assert locked.value.locked_until is not None
    with pytest.raises(SignInRefused, match="锁定"):
        await people.sign_in(login, "correct horse")


async def test_a_success_clears_earlier_failures(people: People) -> None:
    login = _login("clear")
    await people.add_user(name="孙丽", role=Role.mediator, login=login, password="correct horse")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInRefused):
            await people.sign_in(login, "wrong password")
    await people.sign_in(login, "correct horse")
    with pytest.raises(SignInRefused, match="用户名或密码错误"):  # counting starts again
        await people.sign_in(login, "wrong password")


async def test_unknown_login_answers_like_a_wrong_password(people: People) -> None:
    with pytest.raises(SignInRefused, match="用户名或密码错误"):
        await people.sign_in(_login("nobody"), "whatever it is")


async def test_disabled_user_cannot_sign_in_and_loses_sessions_and_tokens(people: People, pool: asyncpg.Pool) -> None:
    login = _login("gone")
    added = await people.add_user(name="钱峰", role=Role.liaison, department=LABOUR, login=login,
                                  password="correct horse")
    session = await people.start_session(added.user)
    assert (await people.session_user(session)) == added.user
    token = await people.issue_token(role=None, user_login=login)
    found = await actor_for(pool, token)
    assert found is not None and found[0].id == added.user.id and found[0].department == LABOUR

    disabled = await people.disable_user(login)
    assert disabled.disabled_at is not None
    assert await people.session_user(session) is None
    assert await actor_for(pool, token) is None
    with pytest.raises(SignInRefused, match="停用"):
        await people.sign_in(login, "correct horse")
    with pytest.raises(NotFound):
        await people.disable_user(_login("nobody"))


async def test_sessions_end(people: People) -> None:
    added = await people.add_user(name="吴芳", role=Role.supervisor, login=_login("sess"), password="correct horse")
    session = await people.start_session(added.user)
    assert session.startswith("lds_")
    await people.end_session(session)
    assert await people.session_user(session) is None
    assert await people.session_user("lds_made-up") is None


async def test_tokens_listed_without_secrets_and_revoked_by_id_or_token(people: People, pool: asyncpg.Pool) -> None:
    machine_token = await people.issue_token(role=Role.supervisor, name="督办大屏")
    login = _login("tok")
    await people.add_user(name="冯涛", role=Role.mediator, login=login, password="correct horse")
    user_token = await people.issue_token(role=Role.mediator, user_login=login)
    with pytest.raises(InvalidInput, match="not a supervisor"):
        await people.issue_token(role=Role.supervisor, user_login=login)
    assert await actor_for(pool, machine_token) is not None
    listed = {t.id: t for t in await people.list_tokens()}
    mine = [t for t in listed.values() if t.user_login == login]
    assert len(mine) == 1 and mine[0].role is Role.mediator
    machine = next(t for t in listed.values() if t.name == "督办大屏")
    assert machine.user_login.startswith("machine-")  # a machine user of its own
    listing = repr(list(listed.values()))
    assert machine_token not in listing and user_token not in listing
    assert machine.last_used_at is not None  # actor_for above used it

    revoked = await people.revoke_token(mine[0].id)
    assert revoked.revoked_at is not None
    assert await actor_for(pool, user_token) is None
    await people.revoke_token(machine_token)
    assert await actor_for(pool, machine_token) is None
    assert mine[0].id not in {t.id for t in await people.list_tokens()}
    assert mine[0].id in {t.id for t in await people.list_tokens(include_revoked=True)}
    with pytest.raises(NotFound):
        await people.revoke_token("tok-000000000000")


async def test_a_grid_worker_is_bound_to_a_grid_and_its_token_and_session_carry_it(people: People,
                                                                                   pool: asyncpg.Pool) -> None:
    login = _login("grid")
    added = await people.add_user(name="刘洋", role=Role.grid_worker, jurisdiction="grid-donghu-huayuan-1",
                                  login=login, password="a long password")
    assert added.user.jurisdiction == "grid-donghu-huayuan-1"
    session = await people.start_session(await people.sign_in(login, "a long password"))
    user = await people.session_user(session)
    assert user is not None and user.actor.jurisdiction == "grid-donghu-huayuan-1"
    token = await people.issue_token(role=None, user_login=login)
    found = await actor_for(pool, token)
    assert found is not None and found[0].jurisdiction == "grid-donghu-huayuan-1"
    assert found[0].role is Role.grid_worker


async def test_bad_grid_workers_are_refused(people: People) -> None:
    with pytest.raises(InvalidInput, match="--jurisdiction"):
        await people.add_user(name="刘洋", role=Role.grid_worker, login=_login("grid"))
    with pytest.raises(InvalidInput, match="not a grid"):
        await people.add_user(name="刘洋", role=Role.grid_worker, jurisdiction="cm-donghu-huayuan", login=_login("g"))
    with pytest.raises(InvalidInput, match="grid-nowhere"):
        await people.add_user(name="刘洋", role=Role.grid_worker, jurisdiction="grid-nowhere", login=_login("g"))
    with pytest.raises(InvalidInput, match="only a grid worker"):
        await people.add_user(name="王敏", role=Role.mediator, jurisdiction="grid-donghu-huayuan-1", login=_login("m"))
    with pytest.raises(InvalidInput, match="--user"):
        await people.issue_token(role=Role.grid_worker)
