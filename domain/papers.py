"""Mediation papers and what an agreement leaves to watch (人民调解法 Arts. 29, 31, 33): the papers issued from the
case's record, the signed agreement, 履行 (performance by its deadline) and 司法确认 (applied for within the
window after the agreement, decided by the court). Pure; ``domain.decide`` dispatches here."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import due_at
from domain.case import CaseState
from domain.commands import (
    AddAttachment,
    ApplyJudicialConfirmation,
    DecideJudicialConfirmation,
    IssueDocument,
    RecordMediation,
    RecordPerformance,
)
from domain.events import (
    AttachmentAdded,
    DocumentIssued,
    DomainEvent,
    JudicialConfirmationApplied,
    JudicialConfirmationDecided,
    JudicialConfirmationWindowOpened,
    PerformanceRecorded,
    SignedAgreementFiled,
)
from domain.policy import Duration
from domain.rules import ActionRefused, pinned_policy, watch_cleared
from domain.vocabulary import DocumentKind, Stage

STATUTORY_WINDOW = Duration.parse("30d")  # Art. 33, for cases pinned to a policy from before the papers


def missing_for(state: CaseState, kind: DocumentKind) -> str | None:
    """Why the case's record cannot give this paper yet, or None when it can."""
    if state.stage is Stage.intake:
        return "the case has not been received yet"
    if kind is DocumentKind.mediation_record and not state.mediations:
        return "no mediation has been recorded (记录调解) yet"
    if kind is DocumentKind.agreement and state.agreement is None:
        return "no mediation reached an agreement: there is nothing to set out in an agreement (协议书)"
    if kind is DocumentKind.supervision_notice and state.listing is None and not any(
            e.level >= 2 for e in state.escalations):
        return "a supervision notice (督办通知单) is for a warned or listed task, and the case has none"
    if kind is DocumentKind.follow_up_record and not state.follow_ups:
        return "no follow-up (回访) has been recorded yet"
    return None


def issue_document(state: CaseState, command: IssueDocument, now: datetime) -> list[DomainEvent]:
    missing = missing_for(state, command.document)
    if missing is not None:
        raise ActionRefused(missing, "not_received" if state.stage is Stage.intake else "paper_not_ready",
                            kind=command.document.value)
    if state.case_number is not None and command.number != state.case_number:
        raise ActionRefused(f"the case's papers are numbered {state.case_number}, not {command.number}", "paper_number",
                            number=state.case_number)
    latest = state.latest_document(command.document)
    if latest is not None and latest.sha256 == command.sha256:
        raise ActionRefused(f"this {command.document.value} is already issued as {latest.document_id}",
                            "already_issued", document=latest.document_id)
    issued: list[DomainEvent] = [DocumentIssued(
        document_id=f"{state.case_id}-D{len(state.documents) + 1}", kind=command.document, number=command.number,
        sha256=command.sha256, size=command.size)]
    if command.document is DocumentKind.agreement and state.judicial_confirmation is None:
        pinned = pinned_policy(state)
        window = pinned.policy.judicial_confirmation
        within = window.within if window is not None else STATUTORY_WINDOW
        issued.append(JudicialConfirmationWindowOpened(watch_id=f"{state.case_id}-J1",
                                                       due_at=due_at(now, within, pinned.calendar)))
    return issued


def check_mediation(command: RecordMediation, now: datetime) -> None:
    if command.performance_due is None:
        return
    if not command.agreement_reached:
        raise ActionRefused("a performance deadline (履行期限) needs an agreement", "performance_needs_agreement")
    if command.performance_due <= now:
        raise ActionRefused(f"the performance deadline {command.performance_due.isoformat()} has already passed",
                            "performance_due_passed", due=command.performance_due.isoformat())


def file_signed_agreement(state: CaseState, command: AddAttachment) -> list[DomainEvent]:
    """The parties' signed scan of an issued agreement, tied to it (the latest agreement unless one is named)."""
    document = state.document(command.document_id) if command.document_id else \
        state.latest_document(DocumentKind.agreement)
    if document is None or document.kind is not DocumentKind.agreement:
        raise ActionRefused("a signed agreement belongs to an issued agreement (出具协议书 first)"
                            if command.document_id is None else f"{command.document_id} is not an issued agreement",
                            "agreement_first" if command.document_id is None else "not_an_agreement")
    return [SignedAgreementFiled(sha256=command.sha256, document_id=document.document_id)]


def attachment_events(state: CaseState, command: AddAttachment) -> list[DomainEvent]:
    if any(a.sha256 == command.sha256 for a in state.attachments):
        raise ActionRefused(f"this file is already attached ({command.sha256[:12]}…)", "already_attached")
    signed = file_signed_agreement(state, command) if command.attachment_kind == "signed_agreement" else []
    return [AttachmentAdded(sha256=command.sha256, name=command.name, media_type=command.media_type,
                            size=command.size), *signed]


def record_performance(state: CaseState, command: RecordPerformance, now: datetime) -> list[DomainEvent]:
    performance = state.open_performance
    if performance is None:
        raise ActionRefused("no agreement's performance (履行) is awaited: set a performance deadline when "
                            "recording the mediation", "no_performance_awaited")
    if command.performance_due is not None:
        if command.performed:
            raise ActionRefused("a new performance deadline is for an agreement not carried out", "already_performed")
        if command.performance_due <= now:
            raise ActionRefused(f"the new deadline {command.performance_due.isoformat()} has already passed",
                                "performance_due_passed", due=command.performance_due.isoformat())
    return [*watch_cleared(state.watch(performance.watch_id)),
            PerformanceRecorded(mediation_id=performance.mediation_id, performed=command.performed,
                                note=command.note, performance_due=command.performance_due)]


def apply_for_confirmation(state: CaseState, command: ApplyJudicialConfirmation,
                           now: datetime) -> list[DomainEvent]:
    confirmation = state.judicial_confirmation
    if confirmation is None:
        raise ActionRefused("issue the agreement first (出具协议书): the window for 司法确认 runs from it",
                            "confirmation_needs_agreement")
    if confirmation.applied_at is not None:
        raise ActionRefused(f"司法确认 was already applied for on {confirmation.applied_at.isoformat()}",
                            "confirmation_applied")
    if command.applied_at.tzinfo is None:
        raise ActionRefused("applied_at needs a time zone offset", "applied_at_no_offset")
    if command.applied_at > now:
        raise ActionRefused("applied_at is in the future", "applied_at_future")
    window = state.watch(confirmation.watch_id)
    # to the minute: the forms that record it (and the court's receipt) carry no seconds
    if window is not None and command.applied_at < window.started_at.replace(second=0, microsecond=0):
        raise ActionRefused("applied_at is before the agreement was issued", "applied_at_before_agreement")
    if command.applied_at > confirmation.window_due_at:
        raise ActionRefused(f"the window for 司法确认 closed on {confirmation.window_due_at.isoformat()}",
                            "confirmation_window_closed", closed=confirmation.window_due_at.isoformat())
    return [*watch_cleared(window if window is not None and window.open else None),
            JudicialConfirmationApplied(court_department=command.court_department, applied_at=command.applied_at)]


def decide_confirmation(state: CaseState, command: DecideJudicialConfirmation) -> list[DomainEvent]:
    confirmation = state.judicial_confirmation
    if confirmation is None or confirmation.applied_at is None:
        raise ActionRefused("司法确认 has not been applied for", "confirmation_not_applied")
    if confirmation.confirmed is not None:
        raise ActionRefused("the court has already decided (司法确认)", "confirmation_decided")
    return [JudicialConfirmationDecided(confirmed=command.confirmed, ruling_no=command.ruling_no, note=command.note)]


def case_number_text(year: int, committee_short: str, seq: int) -> str:
    """（2026）东湖人调字第12号: the year, the committee's short name, 人调字 (people's mediation), the number."""
    return f"（{year}）{committee_short}人调字第{seq}号"


def committee_short_name(name: str) -> str:
    """东湖街道 -> 东湖: the place without its level (街道, 镇, 乡, 社区)."""
    for suffix in ("街道", "社区", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name
