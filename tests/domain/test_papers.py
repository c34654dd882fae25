"""Mediation papers in the domain (domain/papers.py): what each paper needs from the record, one number per case,
the signed agreement, 履行 watched until recorded, and the 司法确认 window watched from the agreement. Fixed dates,
no fixtures: each case is decided and folded as the workflow does."""

from __future__ import annotations

from datetime import timedelta

from domain.alarms import next_alarm
from domain.commands import (
    AcknowledgeTask,
    AddAttachment,
    ApplyJudicialConfirmation,
    ArchiveCase,
    DecideJudicialConfirmation,
    IssueDocument,
    RecordFollowUp,
    RecordMediation,
    RecordPerformance,
    ReplyTask,
    SubmitResolution,
    VerifyResolution,
)
from domain.events import TaskEscalated
from domain.vocabulary import Clock, DocumentKind, MediationMethod, Outcome, Satisfaction, Stage
from tests.domain.test_supervision import (
    LEAD,
    MEDIATOR,
    MONDAY,
    SUPERVISOR,
    T1,
    Case,
    audiences,
    liaison,
    old_pinned,
    routed,
)

NUMBER = "（2026）东湖人调字第1号"
COURT = "tribunal-dh"
DUE = MONDAY + timedelta(days=10)


def sha(n: int) -> str:
    return f"{n:064x}"


def issue(kind: DocumentKind, n: int = 1, number: str = NUMBER) -> IssueDocument:
    return IssueDocument(document=kind, number=number, sha256=sha(n), size=1000 + n)


def agreed(toml: str = "", due: object = DUE, **kw: object) -> Case:
    """A case whose lead replied and whose people's mediation reached an agreement to be carried out by ``due``."""
    case = routed(toml, co=(), **kw)  # type: ignore[arg-type]
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(ReplyTask(task_id=T1, summary="已调解"), liaison(LEAD))
    case.do(RecordMediation(method=MediationMethod.people, agreement_reached=True,
                            terms="乙方于三月底前赔偿甲方 2000 元", disputes="漏水责任", performance_method="银行转账",
                            performance_due=due), MEDIATOR)  # type: ignore[arg-type]
    return case


def test_each_paper_needs_its_part_of_the_record() -> None:
    case = routed(co=())
    assert case.do(issue(DocumentKind.registration), MEDIATOR) == ["DocumentIssued"]
    case.refused(issue(DocumentKind.mediation_record, 2), MEDIATOR, "no mediation has been recorded")
    case.refused(issue(DocumentKind.agreement, 2), MEDIATOR, "no mediation reached an agreement")
    case.refused(issue(DocumentKind.supervision_notice, 2), MEDIATOR, "warned or listed task")
    case.refused(issue(DocumentKind.follow_up_record, 2), MEDIATOR, "no follow-up")
    case.refused(issue(DocumentKind.registration, 1), MEDIATOR, "already issued as C-1-D1")  # same bytes: once
    case.refused(issue(DocumentKind.case_file, 3, number="（2026）东湖人调字第2号"), MEDIATOR,
                 "numbered （2026）东湖人调字第1号")
    case.forbidden(issue(DocumentKind.case_file, 3), liaison(LEAD), "may not do this")
    assert case.do(issue(DocumentKind.case_file, 3), MEDIATOR) == ["DocumentIssued"]
    assert [d.document_id for d in case.state.documents] == ["C-1-D1", "C-1-D2"]
    assert case.state.case_number == NUMBER


def test_a_supervision_notice_is_for_a_warned_task() -> None:
    case = routed(co=())
    case.fire_until_warned()
    assert case.do(issue(DocumentKind.supervision_notice), MEDIATOR) == ["DocumentIssued"]


def test_performance_is_watched_past_the_resolution_and_escalated_to_the_centre() -> None:
    case = agreed()
    performance = case.state.open_performance
    assert performance is not None and performance.due_at == DUE
    case.do(SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    case.do(VerifyResolution(accepted=True), SUPERVISOR)
    watch = case.state.watch(performance.watch_id)
    assert watch is not None and watch.open and watch.clock is Clock.performance  # not closed by the resolution
    case.do(RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)  # only the agreement's clock is left
    fired: list[str] = []
    while "TaskEscalated" not in fired:
        fired += case.fire()
    warned = [e for e in case.events if isinstance(e, TaskEscalated) and e.clock is Clock.performance]
    assert warned and warned[0].due_at == DUE
    assert "centre_of:grid-1" in audiences(case.state, warned[0])  # the mediator's centre: its own work
    case.refused(ArchiveCase(), MEDIATOR, "performance .履行. is awaited")
    assert case.do(RecordPerformance(performed=True, note="已转账"), MEDIATOR) == \
        ["EscalationCleared", "PerformanceRecorded"]
    assert case.state.open_performance is None and not case.state.watch(performance.watch_id).open  # type: ignore[union-attr]
    assert case.do(ArchiveCase(), MEDIATOR) == ["CaseArchived"]


def test_an_unperformed_agreement_goes_back_to_the_mediator_with_a_new_deadline_or_none() -> None:
    case = agreed()
    case.refused(RecordPerformance(performed=True, performance_due=DUE + timedelta(days=5)), MEDIATOR,
                 "new performance deadline is for an agreement not carried out")
    case.refused(RecordPerformance(performed=False, performance_due=MONDAY - timedelta(days=1)), MEDIATOR,
                 "already passed")
    case.do(RecordPerformance(performed=False, note="乙方未付款", performance_due=DUE + timedelta(days=5)), MEDIATOR)
    again = case.state.open_performance
    assert again is not None and again.due_at == DUE + timedelta(days=5) and again.watch_id.endswith("-P2")
    case.do(RecordPerformance(performed=False, note="乙方拒绝履行"), MEDIATOR)
    assert case.state.open_performance is None
    case.refused(RecordPerformance(performed=True), MEDIATOR, "no agreement's performance")


def test_a_performance_deadline_needs_an_agreement_in_the_future() -> None:
    case = routed(co=())
    case.refused(RecordMediation(method=MediationMethod.people, agreement_reached=False, performance_due=DUE),
                 MEDIATOR, "needs an agreement")
    case.refused(RecordMediation(method=MediationMethod.people, agreement_reached=True,
                                 performance_due=MONDAY - timedelta(hours=1)), MEDIATOR, "already passed")


def test_the_agreement_opens_the_window_for_judicial_confirmation() -> None:
    case = agreed()
    case.refused(ApplyJudicialConfirmation(court_department=COURT, applied_at=MONDAY), MEDIATOR,
                 "issue the agreement first")
    assert case.do(issue(DocumentKind.agreement), MEDIATOR) == ["DocumentIssued", "JudicialConfirmationWindowOpened"]
    window = case.state.judicial_confirmation
    assert window is not None and window.window_due_at == MONDAY + timedelta(days=30)
    case.do(issue(DocumentKind.agreement, 2), MEDIATOR)  # re-issued (new contents): the window stays
    assert case.state.judicial_confirmation == window
    case.refused(ApplyJudicialConfirmation(court_department=COURT, applied_at=MONDAY + timedelta(days=1)), MEDIATOR,
                 "in the future")
    case.now = MONDAY + timedelta(days=3)
    assert case.do(ApplyJudicialConfirmation(court_department=COURT, applied_at=MONDAY + timedelta(days=2)),
                   MEDIATOR) == ["JudicialConfirmationApplied"]
    assert not case.state.watch(window.watch_id).open  # type: ignore[union-attr]
    assert audiences(case.state, case.events[-1]) == {f"liaisons:{COURT}"}  # the court is told
    case.forbidden(DecideJudicialConfirmation(confirmed=True), liaison(LEAD), "court applied to")
    assert case.do(DecideJudicialConfirmation(confirmed=True, ruling_no="（2026）临0102民特1号"), liaison(COURT)) == \
        ["JudicialConfirmationDecided"]
    case.refused(DecideJudicialConfirmation(confirmed=False), MEDIATOR, "already decided")


def test_the_window_is_the_policys_and_an_application_after_it_is_refused() -> None:
    case = agreed('[judicial_confirmation]\nwithin = "20s"\n[escalation]\nremind_at = [0.5]\n')
    case.do(issue(DocumentKind.agreement), MEDIATOR)
    window = case.state.judicial_confirmation
    assert window is not None and window.window_due_at == MONDAY + timedelta(seconds=20)
    alarm = next_alarm(case.state)
    assert alarm is not None and alarm.command.clock is Clock.judicial_confirmation
    assert alarm.command.kind == "remind"
    case.now = MONDAY + timedelta(minutes=5)
    case.refused(ApplyJudicialConfirmation(court_department=COURT, applied_at=case.now), MEDIATOR,
                 "window for 司法确认 closed")


def test_a_case_pinned_before_the_papers_keeps_the_statutory_thirty_days() -> None:
    case = agreed(policy=old_pinned())
    case.do(issue(DocumentKind.agreement), MEDIATOR)
    assert case.state.judicial_confirmation.window_due_at == MONDAY + timedelta(days=30)  # type: ignore[union-attr]


def test_a_signed_scan_is_tied_to_the_issued_agreement() -> None:
    case = agreed()
    scan = AddAttachment(sha256=sha(9), name="协议书（签字）.pdf", media_type="application/pdf", size=10,
                         attachment_kind="signed_agreement")
    case.refused(scan, MEDIATOR, "出具协议书 first")
    case.do(issue(DocumentKind.agreement), MEDIATOR)
    assert case.do(scan, MEDIATOR) == ["AttachmentAdded", "SignedAgreementFiled"]
    assert case.state.signed_agreements == ((sha(9), "C-1-D1"),)
    case.refused(scan.model_copy(update={"sha256": sha(10), "document_id": "C-1-D9"}), MEDIATOR,
                 "C-1-D9 is not an issued agreement")
    assert case.state.stage is Stage.coordination
