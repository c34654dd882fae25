"""The admin's desk against the real database (and Temporal for the organisation's effect on intake): people
added, disabled and given a new password; tokens revoked; the organisation put in force on the running
application or refused with its problems; a year's calendar loaded; every action on the admin log."""

from __future__ import annotations

import asyncio
import getpass
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from application.admin import AdminDesk, PeoplePage, PeopleQuery
from application.calendar import ScheduleProblems
from application.cases import Application, Intake
from application.errors import Forbidden, InvalidInput, NotFound
from application.organisation import OrganisationProblems, in_force
from application.people import SignInRefused
from bootstrap import build_application
from domain.events import Actor, Party
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY
from domain.vocabulary import Channel, PartyRole, Role

YEAR = 2029  # no other test loads it
LAND = "dept-xicheng-land"  # a department the demo district's rules do not name: an organisation may lack it


def _login(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def app(own_pool: asyncpg.Pool, temporal_client) -> AsyncIterator[Application]:  # type: ignore[no-untyped-def]
    """The desk on a database and a worker of its own: putting an organisation in force checks every open case,
    and the session's database holds other tests' cases in departments no organisation file names."""
    from workers.case_worker import build_worker

    task_queue = f"tests-admin-desk-{uuid.uuid4().hex[:8]}"
    async with build_worker(temporal_client, own_pool, task_queue):
        yield build_application(own_pool, temporal_client, task_queue, org=demo_organisation(), policy=DEFAULT_POLICY)


async def _admin(app: Application) -> Actor:
    added = await app.people.add_user(name="管理员甲", role=Role.admin, login=_login("admin"))
    return added.user.actor


async def test_a_person_is_added_signs_in_and_is_refused_at_once_when_disabled(app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    login = _login("liaison")
    added = await desk.add_person(admin, name="刘联络", role=Role.liaison, department="dept-donghu-housing",
                                  grid=None, login=login)
    assert added.password and len(added.password) == 16 and added.user.grid is None
    user = await app.people.sign_in(login, added.password)
    session = await app.people.start_session(user)
    token = await app.people.issue_token(role=None, user_login=login, name="刘的令牌")
    assert await app.people.session_user(session) is not None and await app.people.token_actor(token) is not None

    await desk.disable_person(admin, login)
    assert await app.people.session_user(session) is None
    assert await app.people.token_actor(token) is None
    with pytest.raises(SignInRefused, match="停用"):
        await app.people.sign_in(login, added.password)

    entries = [(e.action, e.subject, e.actor_id) for e in await desk.log(admin) if e.subject == login]
    assert entries == [("disable_user", login, admin.id), ("add_user", login, admin.id)]
    logged = await app.pool.fetch("SELECT detail FROM admin_log WHERE subject = $1", login)
    assert all(added.password not in r["detail"] for r in logged)


async def test_a_reset_password_replaces_the_old_one_and_ends_the_sessions(app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    added = await desk.add_person(admin, name="王调解", role=Role.mediator, department=None, grid=None, login=None)
    session = await app.people.start_session(await app.people.sign_in(added.user.login, added.password or ""))
    user, password = await desk.reset_password(admin, added.user.login)
    assert password != added.password and user.id == added.user.id
    assert await app.people.session_user(session) is None
    with pytest.raises(SignInRefused):
        await app.people.sign_in(added.user.login, added.password or "")
    assert (await app.people.sign_in(added.user.login, password)).id == user.id


async def test_bad_people_are_refused_with_the_field_and_only_an_admin_may_act(app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    for kwargs, field in (
        ({"name": " ", "role": Role.mediator}, "name"),
        ({"name": "刘", "role": Role.liaison}, "role"),  # a liaison needs a department
        ({"name": "刘", "role": Role.liaison, "department": "dept-nowhere"}, "department"),
        ({"name": "周网格", "role": Role.grid_worker}, "grid"),  # a grid worker needs a grid
        ({"name": "周网格", "role": Role.grid_worker, "grid": "st-donghu"}, "grid"),  # a street, not a grid
        ({"name": "刘", "role": Role.mediator, "login": "Bad Login"}, "login"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await desk.add_person(admin, **{"department": None, "grid": None, "login": None, **kwargs})  # type: ignore[arg-type]
        assert refused.value.field == field, (kwargs, refused.value)
    grid_worker = await desk.add_person(admin, name="周网格", role=Role.grid_worker, department=None,
                                        grid="grid-donghu-binhe-1", login=None)
    assert grid_worker.user.grid == "grid-donghu-binhe-1"
    leader = await desk.add_person(admin, name="赵领导", role=Role.leader, department=None, grid=None, login=None)
    assert leader.user.role is Role.leader
    taken = await desk.add_person(admin, name="甲", role=Role.auditor, department=None, grid=None, login=_login("a"))
    with pytest.raises(InvalidInput, match="taken"):
        await desk.add_person(admin, name="乙", role=Role.auditor, department=None, grid=None, login=taken.user.login)
    me = await app.people.user(admin.id)
    assert me is not None
    with pytest.raises(InvalidInput):
        await desk.disable_person(admin, me.login)
    with pytest.raises(Forbidden):
        await desk.add_person(leader.user.actor, name="丙", role=Role.admin, department=None, grid=None, login=None)
    with pytest.raises(Forbidden):
        await desk.find_people(leader.user.actor, PeopleQuery())


async def test_people_are_found_by_name_login_department_or_grid_a_page_at_a_time(app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    tag = uuid.uuid4().hex[:6]
    add = desk.add_person
    wang = await add(admin, name=f"王{tag}", role=Role.mediator, department="dept-donghu-zongzhi", grid=None,
                     login=_login("wang"))
    li = await add(admin, name=f"李{tag}", role=Role.liaison, department="dept-donghu-housing", grid=None,
                   login=_login("li"))
    zhou = await add(admin, name="周网格", role=Role.grid_worker, department=None, grid="grid-donghu-huayuan-1",
                     login=f"zhou-{tag}")
    zhao = await add(admin, name=f"赵{tag}", role=Role.liaison, department="dept-donghu-housing", grid=None,
                     login=_login("zhao"))
    await desk.disable_person(admin, zhao.user.login)

    def logins(page: PeoplePage) -> list[str]:
        return [u.login for u in page.people]

    everyone = await desk.find_people(admin, PeopleQuery(text=tag), per_page=2)  # names and one login
    assert (everyone.total, everyone.pages, logins(everyone)) == (4, 2, [wang.user.login, li.user.login])
    second = await desk.find_people(admin, PeopleQuery(text=tag, page=2), per_page=2)
    assert logins(second) == [zhou.user.login, zhao.user.login]
    past = await desk.find_people(admin, PeopleQuery(text=tag, page=9), per_page=2)
    assert past.page == 2 and logins(past) == logins(second)  # past the last page: the last
    in_use = await desk.find_people(admin, PeopleQuery(text=tag, active=True))
    assert logins(in_use) == [wang.user.login, li.user.login, zhou.user.login]
    disabled = await desk.find_people(admin, PeopleQuery(text=tag, active=False))
    assert logins(disabled) == [zhao.user.login]
    liaisons = await desk.find_people(admin, PeopleQuery(text=tag, role=Role.liaison))
    assert logins(liaisons) == [li.user.login, zhao.user.login]
    # By a department's name, a grid's (with its community's), an id; upper case in a login's search too.
    housing = await desk.find_people(admin, PeopleQuery(text="住建"))
    assert {li.user.login, zhao.user.login} <= set(logins(housing)) and wang.user.login not in logins(housing)
    community = await desk.find_people(admin, PeopleQuery(text="花园社区"))
    assert zhou.user.login in logins(community) and li.user.login not in logins(community)
    assert logins(await desk.find_people(admin, PeopleQuery(text=f"ZHOU-{tag.upper()}"))) == [zhou.user.login]
    nobody = await desk.find_people(admin, PeopleQuery(text=f"无此人{tag}"))
    assert (nobody.people, nobody.total, nobody.page, nobody.pages) == ([], 0, 1, 1)


async def test_a_token_is_listed_without_its_secret_and_revoked_by_its_id(app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    token = await app.people.issue_token(role=Role.auditor, name="审计接口")
    listed = next(t for t in await desk.tokens(admin) if t.name == "审计接口" and t.revoked_at is None)
    assert token not in repr(listed)
    with pytest.raises(InvalidInput):
        await desk.revoke_token(admin, token)  # never the token itself on the desk
    revoked = await desk.revoke_token(admin, listed.id)
    assert revoked.revoked_at is not None and await app.people.token_actor(token) is None
    assert any(e.action == "revoke_token" and e.subject == listed.id for e in await desk.log(admin))


async def test_the_password_is_fresh_after_sign_in_and_entered_again_later(app: Application) -> None:
    admin_user = (await app.people.add_user(name="管理员乙", role=Role.admin, login=_login("admin"),
                                            password="correct-horse-1")).user
    secret = await app.people.start_session(admin_user)
    age = await app.people.password_age(secret)
    assert age is not None and age < timedelta(minutes=1)
    await app.pool.execute("UPDATE sessions SET password_at = now() - interval '11 minutes' "
                           "WHERE user_id = $1", admin_user.id)
    age = await app.people.password_age(secret)
    assert age is not None and age > timedelta(minutes=10)
    with pytest.raises(SignInRefused):
        await app.people.enter_password_again(secret, "wrong-password")
    await app.people.enter_password_again(secret, "correct-horse-1")
    age = await app.people.password_age(secret)
    assert age is not None and age < timedelta(minutes=1)
    assert await app.people.password_age("lds_unknown") is None


async def test_a_broken_organisation_is_refused_with_its_json_paths(app: Application) -> None:
    admin = await _admin(app)
    data = json.loads(demo_organisation().canonical_json)
    data["departments"][0]["jurisdiction"] = "st-nowhere"
    del data["categories"][1]["name"]
    with pytest.raises(OrganisationProblems) as refused:
        await AdminDesk(app).upload_organisation(admin, json.dumps(data, ensure_ascii=False))
    problems = refused.value.problems
    assert any(p.startswith("departments[0].jurisdiction") for p in problems), problems
    assert any(p.startswith("categories[1]") for p in problems), problems
    assert app.org == demo_organisation()
    with pytest.raises(OrganisationProblems):
        await AdminDesk(app).upload_organisation(admin, "{not json")


async def test_an_organisation_is_in_force_for_the_next_case_and_refused_while_cases_need_what_it_removes(
        app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    data = json.loads(demo_organisation().canonical_json)
    data["departments"].append({**data["departments"][0], "id": "dept-admin-test", "name": "测试新增部门"})
    bigger_text = json.dumps(data, ensure_ascii=False)
    told: list[str] = []  # what else in the process holds the organisation (the worker's notifiers) follows
    app.org_listeners.append(lambda org: told.append(org.fingerprint))
    bigger = await desk.upload_organisation(admin, bigger_text)
    assert app.org == bigger and (await in_force(app.pool)).fingerprint == bigger.fingerprint
    assert told == [bigger.fingerprint]
    assert any(e.action == "organisation" and e.subject == bigger.fingerprint for e in await desk.log(admin))

    mediator = Actor(role=Role.mediator, id="m-admin-desk", department="dept-donghu-zongzhi", name="王丽")
    received = await app.receive(mediator, Intake(
        title="楼上漏水", description="天花板渗水", category="leak", channel=Channel.walk_in,
        grid_id="grid-donghu-huayuan-1",
        parties=(Party(name=f"李{uuid.uuid4().hex[:6]}", role=PartyRole.applicant),)))
    assert (await app.get_case(mediator, received.case_id)).organisation == bigger.fingerprint
    await app.route(mediator, received.case_id, LAND)

    data["departments"] = [d for d in data["departments"] if d["id"] != LAND]
    with pytest.raises(OrganisationProblems) as refused:
        await desk.upload_organisation(admin, json.dumps(data, ensure_ascii=False))
    assert any(p.startswith(f"department {LAND!r} is missing") and received.case_id in p
               for p in refused.value.problems), refused.value.problems
    assert app.org == bigger and (await in_force(app.pool)).fingerprint == bigger.fingerprint


async def test_a_calendar_is_loaded_or_refused_with_its_problems(app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    await app.pool.execute("DELETE FROM announced_years WHERE year = $1", YEAR)
    try:
        with pytest.raises(ScheduleProblems) as refused:
            await desk.load_calendar(admin, json.dumps({"year": YEAR, "holidays": ["2029-01-06"], "workdays": []}))
        assert refused.value.problems == ["holidays[0]: 2029-01-06 is a Saturday; a holiday is a weekday off"]
        stored = await desk.load_calendar(admin, json.dumps({"year": YEAR, "holidays": ["2029-01-01"],
                                                             "workdays": []}))
        assert stored.year == YEAR and stored.loaded_by.startswith("workbench:admin-")
        assert YEAR in {y.year for y in await desk.calendar_years(admin)}
        assert any(e.action == "calendar" and e.subject == str(YEAR) for e in await desk.log(admin))
    finally:
        await app.pool.execute("DELETE FROM announced_years WHERE year = $1", YEAR)


def test_the_command_line_puts_its_admin_commands_on_the_same_log(  # type: ignore[no-untyped-def]
            pg_url: str, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from entrypoints.cli.app import app as cli

    monkeypatch.setenv("LIANDIAO_DATABASE_URL", pg_url)
    monkeypatch.setenv("LIANDIAO_TEMPORAL_ADDRESS", "127.0.0.1:1")  # never dialled: these need the database only
    runner = CliRunner()
    where = ["--data-dir", str(tmp_path)]
    login = _login("cli")
    added = runner.invoke(cli, ["user", "add", "--name", "命令行加的人", "--role", "leader", "--login", login, *where])
    assert added.exit_code == 0, added.output
    password = added.stdout.split("password: ")[1].strip()
    issued = runner.invoke(cli, ["token", "issue", "--user", login, *where])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    revoked = runner.invoke(cli, ["token", "revoke", token, *where])
    assert revoked.exit_code == 0, revoked.output
    channels = runner.invoke(cli, ["user", "channels", login, "wecombot://CLIROBOTKEY", *where])
    assert channels.exit_code == 0, channels.output
    assert channels.stdout.strip() == f"{login} (命令行加的人): wecombot://***"
    typo = runner.invoke(cli, ["user", "channels", login, "wecombot:/CLIROBOTKEY", *where])
    assert typo.exit_code == 1 and "not an Apprise URL" in typo.output and "CLIROBOTKEY" not in typo.output
    assert "Traceback" not in typo.output and len(typo.output.strip().splitlines()) == 1
    disabled = runner.invoke(cli, ["user", "disable", login, *where])
    assert disabled.exit_code == 0, disabled.output
    failed = runner.invoke(cli, ["user", "disable", "nobody-at-all", *where])
    assert failed.exit_code == 1  # refused: nothing to put on record

    async def logged() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(pg_url)
        try:
            return await conn.fetch("SELECT actor_id, actor_name, action, subject, detail FROM admin_log "
                                    "WHERE subject = $1 OR detail LIKE '%' || $1 ORDER BY id", login)
        finally:
            await conn.close()

    entries = asyncio.run(logged())
    user = getpass.getuser()
    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("add_user", f"cli:{user}"), ("issue_token", f"cli:{user}"), ("revoke_token", f"cli:{user}"),
        ("set_channels", f"cli:{user}"), ("disable_user", f"cli:{user}")]
    assert entries[3]["detail"] == "wecombot://***"
    assert entries[1]["subject"] == entries[2]["subject"] and entries[1]["subject"].startswith("tok-")
    assert all(password not in str(dict(e)) and token not in str(dict(e)) and "CLIROBOTKEY" not in str(dict(e))
               for e in entries)


async def test_a_persons_own_channels_are_set_shown_redacted_and_cleared(app: Application) -> None:
    admin = await _admin(app)
    desk = AdminDesk(app)
    login = _login("leader")
    added = await desk.add_person(admin, name="王领导", role=Role.leader, department=None, grid=None, login=login)
    assert added.user.channels == ()
    secret = "wecombot://ROBOTKEY0123456789"
    user = await desk.set_channels(admin, login, [f"  {secret} ", "", "mailto://leader:pw@mail.example?to=wang@x.cn",
                                                  secret])
    # trimmed, blanks and repeats dropped; shown only redacted (the robot key and the password stay in the table)
    assert user.channels == ("wecombot://***", "mailto://mail.example")
    listed = (await desk.find_people(admin, PeopleQuery(text=login))).people
    assert [u.channels for u in listed] == [("wecombot://***", "mailto://mail.example")]
    stored = await app.pool.fetchval("SELECT notify FROM users WHERE login = $1", login)
    assert stored == [secret, "mailto://leader:pw@mail.example?to=wang@x.cn"]
    entry = next(e for e in await desk.log(admin) if e.subject == login and e.action == "set_channels")
    assert entry.detail == "wecombot://*** mailto://mail.example" and "ROBOTKEY" not in entry.detail

    with pytest.raises(InvalidInput, match="channel 2 is not an Apprise URL") as bad:
        await desk.set_channels(admin, login, ["json://127.0.0.1/hook", "not a url with SECRETKEY"])
    assert bad.value.field == "notify" and "SECRETKEY" not in bad.value.message
    with pytest.raises(InvalidInput, match="at most 5"):
        await desk.set_channels(admin, login, [f"json://127.0.0.1/{i}" for i in range(6)])
    with pytest.raises(NotFound):
        await desk.set_channels(admin, "nobody-" + login, ["json://127.0.0.1/hook"])
    with pytest.raises(Forbidden):
        await desk.set_channels(added.user.actor, login, [])
    assert (await app.pool.fetchval("SELECT notify FROM users WHERE login = $1", login))[0] == secret  # unchanged

    assert (await desk.set_channels(admin, login, [])).channels == ()
