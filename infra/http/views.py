"""The case as the API shows it (API.md: ``GET /cases/{id}``), with personal data masked by role.

Who reads parties' names, phones and ID numbers in full: mediators (they register cases, mediate and make
the follow-up calls), auditors (they read everything and must be able to recompute hashes from raw events)
and the liaisons of departments holding a task on the case (they contact the parties). Supervisors and
admins see them masked (张* / 138****0000 / 110***********1234)."""

from __future__ import annotations

from typing import Any

from domain.case import CaseState
from domain.organisation import NoRoute, Organisation, UnknownId, suggest_route
from domain.vocabulary import Role, Stage
from infra.audit.masking import masked_party
from infra.http.context import Caller, involves
from infra.http.schemas import CaseView, TaskView


def sees_personal_data(state: CaseState, who: Caller) -> bool:
    if who.role in (Role.mediator, Role.auditor):
        return True
    return who.role is Role.liaison and involves(state, who.actor.department)


def suggestion(state: CaseState, org: Organisation) -> dict[str, Any] | None:
    """The routing rules' proposal (归口调处), which the mediator confirms or overrides."""
    if state.stage not in (Stage.intake, Stage.triage):
        return None
    try:
        route = suggest_route(org, state.category, state.grid_id, frozenset(state.returned_by))
    except (NoRoute, UnknownId):
        return None
    return {"lead_department": route.lead, "co_departments": list(route.co)}


def case_view(state: CaseState, who: Caller, org: Organisation) -> CaseView:
    full = sees_personal_data(state, who)
    parties = [p.model_dump(mode="json") if full else masked_party(p) for p in state.parties]
    return CaseView(
        case_id=state.case_id, stage=state.stage, version=state.version, title=state.title,
        description=state.description, category=state.category,
        channel=state.channel.value if state.channel else None, grid_id=state.grid_id,
        risk_level=state.risk_level, received_at=state.received_at, parties=parties, parties_masked=not full,
        tasks=[
            TaskView(
                task_id=t.task_id, department=t.department, role=t.role.value, status=t.status.value,
                acknowledge_due_at=t.acknowledge_due_at, reply_due_at=t.reply_due_at,
                escalation_level=t.escalation_level, assigned_at=t.assigned_at,
                acknowledged_at=t.acknowledged_at, replied_at=t.replied_at,
                pending_extension=t.pending_extension.model_dump(mode="json") if t.pending_extension else None,
            )
            for t in state.tasks
        ],
        escalations=[e.model_dump(mode="json") for e in state.escalations],
        clock_paused=state.paused_at is not None,
        meetings=[m.model_dump(mode="json") for m in state.meetings],
        mediations=[m.model_dump(mode="json") for m in state.mediations],
        outcome=state.outcome, resolution_summary=state.resolution_summary, verified=state.verified,
        follow_ups=[f.model_dump(mode="json") for f in state.follow_ups], reopen_count=state.reopen_count,
        duplicate_of=state.duplicate_of, not_accepted_reason=state.not_accepted_reason,
        archive_reason=state.archive_reason.value if state.archive_reason else None,
        returned_by=list(state.returned_by), suggested_route=suggestion(state, org),
    )
