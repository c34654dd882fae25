"""The case as the API shows it (docs/api.md: ``GET /cases/{id}``), with personal data masked by role (who sees
what in full is ``application.access.sees_personal_data``)."""

from __future__ import annotations

from typing import Any

from application.access import sees_personal_data
from application.cases import Application
from application.schemas import CaseView, CommitmentIn, DocumentView, TaskView
from domain.case import CaseState, Listing
from domain.commands import CommitmentPromise
from domain.events import Actor
from domain.masking import masked_party
from domain.organisation import RouteSuggestion


def suggestion_view(route: RouteSuggestion | None) -> dict[str, Any] | None:
    return {"lead_department": route.lead, "co_departments": list(route.co)} if route else None


def person(user_id: str | None, names: dict[str, str]) -> dict[str, Any] | None:
    """A named person as the API shows one: the recorded id, the name from the users table (None if gone)."""
    return None if user_id is None else {"id": user_id, "name": names.get(user_id)}


def _listing(listing: Listing | None, names: dict[str, str]) -> dict[str, Any] | None:
    if listing is None:
        return None
    view = listing.model_dump(mode="json", exclude={"leader_user"})
    if listing.leader_user is not None:
        view["leader"] = names.get(listing.leader_user, listing.leader_user)
    return {**view, "leader_user": person(listing.leader_user, names)}


def case_view(state: CaseState, actor: Actor, app: Application, names: dict[str, str] | None = None) -> CaseView:
    """``names``: user id -> name for the people the case names (application.owners.case_names)."""
    names = names or {}
    full = sees_personal_data(state, actor)
    parties = [p.model_dump(mode="json") if full else masked_party(p) for p in state.parties]
    return CaseView(
        case_id=state.case_id, stage=state.stage, version=state.version, title=state.title,
        description=state.description, category=state.category,
        channel=state.channel.value if state.channel else None, grid_id=state.grid_id,
        handling_level=state.handling_level,
        risk_level=state.risk_level, received_at=state.received_at, parties=parties, parties_masked=not full,
        tasks=[
            TaskView(
                task_id=t.task_id, department=t.department, role=t.role.value, status=t.status.value,
                acknowledge_due_at=t.acknowledge_due_at, reply_due_at=t.reply_due_at,
                escalation_level=t.escalation_level, assigned_at=t.assigned_at,
                acknowledged_at=t.acknowledged_at, replied_at=t.replied_at,
                pending_extension=t.pending_extension.model_dump(mode="json") if t.pending_extension else None,
                return_reason=t.return_reason, forced=t.forced, grade=t.grade,
                assignee=person(t.assignee, names),
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
        repeat_of=list(state.repeat_of), cluster_alerts=list(state.clusters),
        archive_reason=state.archive_reason.value if state.archive_reason else None,
        returned_by=list(state.returned_by), suggested_route=suggestion_view(app.suggested_route(state)),
        attachments=[a.model_dump(mode="json") for a in state.attachments],
        summons=[
            {"summons_id": x.summons_id, "reason": x.reason, "at": x.at.isoformat(), "due_at": x.due_at.isoformat(),
             "departments": [{"department": d.department,
                              "reported_at": d.reported_at.isoformat() if d.reported_at else None}
                             for d in x.departments]}
            for x in state.summons
        ],
        listing=_listing(state.listing, names),
        leader=None if state.leader is None else {"user": person(state.leader.user, names),
                                                  "reason": state.leader.reason,
                                                  "since": state.leader.since.isoformat()},
        meeting_minutes=[m.model_dump(mode="json") for m in state.minutes],
        commitments=[c.model_dump(mode="json") for c in state.commitments],
        follow_up_due_at=state.follow_up_due_at, complaint_pending=state.complaint_pending,
        case_number=state.case_number,
        documents=[DocumentView(**d.model_dump()) for d in state.documents],
        signed_agreements=[{"sha256": sha, "document_id": doc} for sha, doc in state.signed_agreements],
        performances=[p.model_dump(mode="json", exclude={"watch_id"}) for p in state.performances],
        judicial_confirmation=state.judicial_confirmation.model_dump(mode="json", exclude={"watch_id"})
        if state.judicial_confirmation else None,
    )


def promises(commitments: list[CommitmentIn]) -> tuple[CommitmentPromise, ...]:
    """What each department took on at a meeting (the body's ``commitments``), as the command's."""
    return tuple(CommitmentPromise(department=c.department, what=c.what, due_at=c.due_at) for c in commitments)
