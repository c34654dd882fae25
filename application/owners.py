"""Named people on a case: a task's 责任人 and the case's 包案 leader (docs/api.md §8).

The events hold user ids only (ids are not personal data; names stay in the users table and are read when
shown). Who the named user is (active, of which department, a leader or not) is looked up here, before the
case decides: the domain rule checks what it is told (domain/decide.py). An unknown or disabled user is a 404
(an unknown id), a user who is not a leader where one is needed a 409 (the domain's ``not_a_leader``), another
department's user for a 责任人 a 403 (the domain's ``assignee_department``)."""

from __future__ import annotations

from collections.abc import Iterable

from application.access import require_role
from application.cases import Application, Done
from application.errors import InvalidInput, NotFound, Refused
from domain.case import CaseState, named_people
from domain.commands import AssignLeader, ListCase, NameAssignee
from domain.events import Actor
from domain.vocabulary import Role
from infra.read_models import LeaderCase, leader_cases, names_of
from infra.users import User

LEADERS = frozenset({Role.leader})


async def _active_user(app: Application, user_id: str) -> User:
    """The named user, who must exist and be active (an unknown id is a 404, as any unknown id)."""
    user = await app.people.user(user_id) if 0 < len(user_id) <= 100 else None
    if user is None or not user.active:
        raise NotFound(f"no active user {user_id[:100]}", "no_active_user")
    return user


async def _leader(app: Application, user_id: str) -> User:
    user = await _active_user(app, user_id)
    if user.role is not Role.leader:  # the domain's own refusal, said before the case is asked
        raise Refused(f"user {user.id} is a {user.role.value}, not a leader: 包案 is a leader's", "not_a_leader",
                      {"user": user.id, "role": user.role.value})
    return user


async def name_assignee(app: Application, actor: Actor, case_id: str, task_id: str, user_id: str,
                        request_id: str | None = None) -> Done:
    """责任人: a liaison names who of the task's department handles it (refused for anyone else's)."""
    user = await _active_user(app, user_id)
    return await app.act(actor, case_id, NameAssignee(task_id=task_id, user=user.id,
                                                      user_department=user.department), request_id)


async def assign_leader(app: Application, actor: Actor, case_id: str, user_id: str, reason: str,
                        request_id: str | None = None) -> Done:
    """包案: a supervisor puts an active leader user in charge of the case; the leader is told."""
    user = await _leader(app, user_id)
    return await app.act(actor, case_id, AssignLeader(user=user.id, reason=reason, user_role=user.role), request_id)


async def list_case(app: Application, actor: Actor, case_id: str, leader: str, reason: str,
                    request_id: str | None = None) -> Done:
    """挂牌督办 by hand under ``leader``: the id of a leader user (who becomes the case's 包案 leader), or, as
    before leader users, free text naming the leader (kept for the clients that send it)."""
    known = await app.people.user(leader) if 0 < len(leader) <= 100 else None
    if known is None:
        return await app.act(actor, case_id, ListCase(leader=leader, reason=reason), request_id)
    user = await _leader(app, leader)
    return await app.act(actor, case_id, ListCase(leader=user.id, leader_user=user.id, reason=reason), request_id)


async def my_cases(app: Application, actor: Actor, limit: int = 100) -> list[LeaderCase]:
    """我的包案: the cases the calling leader leads, latest first."""
    require_role(actor, LEADERS)
    try:
        return await leader_cases(app.pool, actor.id, limit)
    except ValueError as exc:
        raise InvalidInput(str(exc), "limit") from exc


async def names(app: Application, user_ids: Iterable[str]) -> dict[str, str]:
    """User id -> name, from the users table (for showing; never written into an event)."""
    return await names_of(app.pool, user_ids)


async def case_names(app: Application, state: CaseState) -> dict[str, str]:
    return await names(app, named_people(state))


async def leaders(app: Application) -> list[User]:
    """The active leader users (the 包案领导 choices), by name."""
    return sorted((u for u in await app.people.list_users(include_machines=False)
                   if u.role is Role.leader and u.active), key=lambda u: (u.name, u.login))


async def department_people(app: Application, department: str) -> list[User]:
    """The active people of a department (the 责任人 choices), by name."""
    return sorted((u for u in await app.people.list_users(include_machines=False)
                   if u.department == department and u.active), key=lambda u: (u.name, u.login))
