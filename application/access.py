"""Who may read what, and who sees parties' personal data in full. Who may *act* is the domain's one table
(``domain.decide.PERMITTED``, via ``roles_for``); these are the read-side rules, kept here so every entry
point (HTTP, CLI, workbench) applies the same ones.

Who reads parties' names, phones and ID numbers in full: mediators (they register cases, mediate and make
the follow-up calls), auditors (they read everything and must be able to recompute hashes from raw events)
and the liaisons of departments holding a task on the case (they contact the parties). Supervisors and
admins see them masked (张* / 138****0000 / 110***********1234)."""

from __future__ import annotations

from application.errors import Forbidden
from domain.case import CaseState
from domain.events import Actor
from domain.masking import masked_parties
from domain.vocabulary import Role

READ_CASES = frozenset({Role.mediator, Role.supervisor, Role.auditor, Role.liaison, Role.grid_worker})
# One case: a leader also reads the cases they lead (包案), and only those (require_visible); they list them at
# GET /leaders/me/cases, not GET /cases.
READ_CASE = READ_CASES | {Role.leader}
GRID_REPORTS = frozenset({Role.grid_worker})  # 我的上报
READ_EVENTS = frozenset({Role.mediator, Role.supervisor, Role.auditor})
REPLAY = frozenset({Role.auditor, Role.supervisor})
VERIFY = frozenset({Role.auditor})
READ_INBOX = frozenset({Role.liaison, Role.mediator, Role.supervisor})
READ_BOARD = frozenset({Role.supervisor, Role.mediator, Role.auditor})  # the board and the statistics


def require_role(actor: Actor, allowed: frozenset[Role]) -> None:
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(f"a {actor.role.value} may not do this; it is for: {names}", "role",
                        {"role": actor.role.value, "allowed": " ".join(sorted(r.value for r in allowed))})


def involves(state: CaseState, department: str | None) -> bool:
    """The department has (or had) a task on the case, or is the court its 司法确认 was applied to."""
    if department is None:
        return False
    court = state.judicial_confirmation.court_department if state.judicial_confirmation else None
    return department == court or any(t.department == department for t in state.tasks)


def require_visible(state: CaseState, actor: Actor) -> None:
    """Liaisons see only the cases their department has (or had) a task on; grid workers only their grid's;
    leaders only the cases they lead (包案). Refused as 403, like a liaison's: the case exists, it is not theirs."""
    if actor.role is Role.leader and (state.leader is None or state.leader.user != actor.id):
        raise Forbidden(f"case {state.case_id} is not among this leader's cases (包案)", "not_led_case",
                        {"case": state.case_id})
    if actor.role is Role.liaison and not involves(state, actor.department):
        raise Forbidden(f"case {state.case_id} has no task for department {actor.department}", "not_your_case",
                        {"case": state.case_id, "department": str(actor.department)})
    if actor.role is Role.grid_worker and state.grid_id != actor.jurisdiction:
        raise Forbidden(f"case {state.case_id} is not in grid {actor.jurisdiction}: "
                        "a grid worker reads only their own grid's cases", "not_your_grid", {"case": state.case_id})


def require_own_grid(actor: Actor, grid_id: str) -> None:
    """A grid worker reports (网格上报) only in the grid they belong to."""
    if actor.role is Role.grid_worker and grid_id != actor.jurisdiction:
        raise Forbidden(f"a grid worker of {actor.jurisdiction} may not report in grid {grid_id}: "
                        "report only in your own grid", "other_grid",
                        {"own": str(actor.jurisdiction), "grid": grid_id})


def sees_every_case_in_full(actor: Actor) -> bool:
    """Mediators and auditors read every case's parties in full (a liaison only its department's)."""
    return actor.role in (Role.mediator, Role.auditor)


def sees_personal_data(state: CaseState, actor: Actor) -> bool:
    if sees_every_case_in_full(actor):
        return True
    return actor.role is Role.liaison and involves(state, actor.department)


def masked_state(state: CaseState) -> CaseState:
    """The case with its parties masked, for reads that show no one's personal data."""
    return state.model_copy(update={"parties": masked_parties(state.parties)})
