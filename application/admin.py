"""The admin's desk (docs/api.md §11): people, tokens, the organisation and the calendar, each action taken by
an ``admin`` and put on record in the admin log (who, what, when; never a password or a token).

The organisation uploaded here is checked like `liandiao org check`, refused while open cases use what it
removes, recorded with its fingerprint (the SHA-256 of its canonical JSON) and put in force on the running
``Application``: the next case received is routed by it, without a restart."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from application.access import require_role
from application.calendar import load_schedule, loaded_years
from application.cases import Application
from application.errors import InvalidInput
from application.organisation import OrganisationProblems, put_in_force
from application.people import NewUser, People
from domain.events import Actor
from domain.organisation import Organisation, check_organisation
from domain.vocabulary import Role
from infra import admin_log
from infra.admin_log import AdminEntry
from infra.holiday_schedules import StoredYear
from infra.tokens import TokenInfo, token_id
from infra.users import User

ADMIN = frozenset({Role.admin})
LOG_SHOWN = 50
PEOPLE_PER_PAGE = 50  # a district has hundreds of people: the desk shows them a page at a time


@dataclass(frozen=True)
class PeopleQuery:
    """Which people the admin looks for: words found in a name, a login, or a department's or grid's name (or
    id); a role; in use (True) or disabled (False); the page, from 1."""

    text: str | None = None
    role: Role | None = None
    active: bool | None = None
    page: int = 1


@dataclass(frozen=True)
class PeoplePage:
    people: list[User]
    total: int  # matching, on every page
    page: int
    pages: int
MAX_FILE_CHARS = 2_000_000  # an organisation of a whole district is far below this


@dataclass
class AdminDesk:
    """The admin's use cases on one running application (whose organisation in force they may change)."""

    app: Application

    async def _log(self, admin: Actor, action: str, subject: str, detail: str = "") -> None:
        await admin_log.record(self.app.pool, actor_id=admin.id, actor_name=admin.name or admin.id,
                               action=action, subject=subject, detail=detail)

    # --------------------------------------------------------------------------------------------- people

    async def find_people(self, admin: Actor, query: PeopleQuery, per_page: int = PEOPLE_PER_PAGE) -> PeoplePage:
        """A page of the people matching ``query``; a page past the last gives the last."""
        require_role(admin, ADMIN)
        text = (query.text or "").strip()[:100] or None
        org = self.app.org
        places = [] if text is None else \
            [d.id for d in org.departments if text in d.name or text == d.id] + \
            [j.id for j in org.jurisdictions if text in org.jurisdiction_name(j.id) or text == j.id]
        page = max(1, query.page)
        while True:
            found, total = await self.app.people.find_people(
                text=text, places=places, role=query.role, active=query.active, limit=per_page,
                offset=(page - 1) * per_page)
            pages = max(1, -(-total // per_page))
            if page <= pages:
                return PeoplePage(people=found, total=total, page=page, pages=pages)
            page = pages

    async def add_person(self, admin: Actor, *, name: str, role: Role, department: str | None,
                         grid: str | None, login: str | None) -> NewUser:
        """Add a person with a generated password, answered once (never logged)."""
        require_role(admin, ADMIN)
        try:
            added = await self.app.people.add_user(name=name, role=role, department=department, jurisdiction=grid,
                                                   login=login)
        except InvalidInput as exc:
            raise _on_the_form(exc, role) from exc
        where = " ".join(x for x in (added.user.department, added.user.grid) if x)
        await self._log(admin, "add_user", added.user.login, f"{role.value} {where}".strip())
        return added

    async def disable_person(self, admin: Actor, login: str) -> User:
        """From the person's next request on, their sessions and tokens are refused."""
        require_role(admin, ADMIN)
        if await self._is_self(admin, login):
            raise InvalidInput("an admin cannot disable their own account", "login")
        user = await self.app.people.disable_user(login)
        await self._log(admin, "disable_user", user.login)
        return user

    async def reset_password(self, admin: Actor, login: str) -> tuple[User, str]:
        """A new generated password (answered once, never logged); the person's open sessions end."""
        require_role(admin, ADMIN)
        if await self._is_self(admin, login):
            raise InvalidInput("an admin cannot reset their own password here", "login")
        user, password = await self.app.people.reset_password(login)
        await self._log(admin, "reset_password", user.login)
        return user, password

    async def set_channels(self, admin: Actor, login: str, urls: list[str]) -> User:
        """The person's own channels (each an Apprise URL; none clears them). On record by their redacted
        addresses: the URLs may hold a robot key or a password."""
        require_role(admin, ADMIN)
        user = await self.app.people.set_channels(login, urls)
        await self._log(admin, "set_channels", user.login, " ".join(user.channels) or "-")
        return user

    async def _is_self(self, admin: Actor, login: str) -> bool:
        me = await self.app.people.user(admin.id)
        return me is not None and me.login == login

    # --------------------------------------------------------------------------------------------- tokens

    async def tokens(self, admin: Actor) -> list[TokenInfo]:
        require_role(admin, ADMIN)
        return await self.app.people.list_tokens()

    async def revoke_token(self, admin: Actor, token_id: str) -> TokenInfo:
        """Revoke by the listed id only: the desk never sees a token itself."""
        require_role(admin, ADMIN)
        if not token_id.startswith("tok-"):
            raise InvalidInput("give the token's listed id (tok-…)", "token")
        info = await self.app.people.revoke_token(token_id)
        await self._log(admin, "revoke_token", info.id, f"{info.role.value} {info.user_login}")
        return info

    # ------------------------------------------------------------------------------------ the organisation

    async def upload_organisation(self, admin: Actor, text: str) -> Organisation:
        """Check the file, refuse it while open cases need what it removes, record it and put it in force on
        the running application. Raises :class:`OrganisationProblems` with every problem (JSON path first)."""
        require_role(admin, ADMIN)
        if len(text) > MAX_FILE_CHARS:
            raise OrganisationProblems("organisation file", [f"$: the file is larger than {MAX_FILE_CHARS} characters"])
        org, problems = check_organisation(text)
        if org is None:
            raise OrganisationProblems("organisation file", problems)
        await self.app.projector.catch_up()  # the conflicts are read from the read models
        await put_in_force(self.app.pool, org)
        before = self.app.org.fingerprint
        self.app.put_org_in_force(org)
        await self._log(admin, "organisation", org.fingerprint, f"此前 {before}")
        return org

    # ------------------------------------------------------------------------------------------ calendar

    async def load_calendar(self, admin: Actor, text: str) -> StoredYear:
        """Load a year's announced schedule. Raises ``ScheduleProblems`` with every problem and its place."""
        require_role(admin, ADMIN)
        me = await self.app.people.user(admin.id)
        stored = await load_schedule(self.app.pool, text[:MAX_FILE_CHARS], f"workbench:{me.login if me else admin.id}",
                                     source="schedule file")
        await self._log(admin, "calendar", str(stored.year), _calendar_detail(stored))
        return stored

    async def calendar_years(self, admin: Actor) -> list[StoredYear]:
        require_role(admin, ADMIN)
        return await loaded_years(self.app.pool)

    # -------------------------------------------------------------------------------------------- the log

    async def log(self, admin: Actor, limit: int = LOG_SHOWN) -> list[AdminEntry]:
        require_role(admin, ADMIN)
        return await admin_log.latest(self.app.pool, limit)


# ------------------------------------------------------------------------------------ the command line

def command_line_admin(os_user: str) -> Actor:
    """Who runs an admin's command. Nobody signs in on the command line (whoever reaches the database can run
    it), so the admin log names the way in and the operating-system user."""
    return Actor(role=Role.admin, id=f"cli:{os_user}", name=f"命令行 {os_user}")


async def record_command_line(people: People, os_user: str, action: str, subject: str, detail: str = "") -> None:
    """Put an admin's command (`liandiao user add`, …) on the admin log beside the desk's actions."""
    await _record_command_line(people.pool, os_user, action, subject, detail)


async def record_calendar_load(pool: asyncpg.Pool, os_user: str, stored: StoredYear) -> None:
    """`liandiao calendar load` on the admin log, as the desk records its own loads."""
    await _record_command_line(pool, os_user, "calendar", str(stored.year), _calendar_detail(stored))


async def _record_command_line(pool: asyncpg.Pool, os_user: str, action: str, subject: str, detail: str) -> None:
    admin = command_line_admin(os_user)
    await admin_log.record(pool, actor_id=admin.id, actor_name=admin.name or admin.id, action=action,
                           subject=subject, detail=detail)


def _calendar_detail(stored: StoredYear) -> str:
    return f"sha256 {stored.content_hash}{'' if stored.changed else '（与现行相同）'}"


def listed_id(token: str) -> str:
    """The id a new token is listed by (``liandiao token list``, the desk): what the admin log records."""
    return token_id(token)


def _on_the_form(exc: InvalidInput, role: Role) -> InvalidInput:
    """The people rules speak of the command line's ``--jurisdiction``; the desk's field for it is 网格 (grid),
    and a rule about the role and its department or grid belongs to the field that is missing."""
    if exc.field not in (None, "jurisdiction"):
        return exc
    message = exc.message.removeprefix("jurisdiction: ")
    if exc.field == "jurisdiction" or (role is Role.grid_worker and "jurisdiction" in message) \
            or "only a grid worker" in message:
        return InvalidInput(message.replace("--jurisdiction GRID_ID", "a grid (网格)"), "grid")
    return InvalidInput(message, "role")
