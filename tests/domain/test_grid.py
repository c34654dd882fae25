"""The grid as pure decisions: a grid worker reports (网格上报) only in their own grid and through the grid channel;
a settlement on the spot (就地化解) goes straight to verification with no department task, is verified by the
community's mediator, followed up and archived; an unsettled report waits in triage like any case."""

from __future__ import annotations

import pytest

from domain.actions import available_actions
from domain.case import CaseState, evolve
from domain.commands import (
    ArchiveCase,
    ReceiveCase,
    RecordFollowUp,
    RouteCase,
    SettleOnSpot,
    SubmitResolution,
    VerifyResolution,
)
from domain.decide import ActionRefused, NotPermitted, decide
from domain.describe import OUTCOME
from domain.events import Actor, DomainEvent, Party
from domain.vocabulary import ArchiveReason, Channel, MediationMethod, Outcome, PartyRole, Role, Satisfaction, Stage
from tests.domain.test_supervision import MEDIATOR, MONDAY, SUPERVISOR, pinned

GRID, OTHER_GRID = "grid-1", "grid-2"
WORKER = Actor(role=Role.grid_worker, id="gw-1", name="赵网格", jurisdiction=GRID)
SETTLED = SettleOnSpot(method=MediationMethod.people, agreement_reached=True, terms="楼上住户修好水管，赔偿五百元")


def report(grid: str = GRID, channel: Channel = Channel.grid_report) -> ReceiveCase:
    return ReceiveCase(title="漏水", description="楼上漏水", category="leak", channel=channel, grid_id=grid,
                       parties=(Party(name="张三", role=PartyRole.applicant),), policy=pinned())


class Grid:
    def __init__(self) -> None:
        self.state = CaseState(case_id="C-9")
        self.events: list[DomainEvent] = []
        self.do(report(), WORKER)

    def do(self, command: object, actor: Actor) -> list[str]:
        events = decide(self.state, command, actor, MONDAY)  # type: ignore[arg-type]
        for e in events:
            self.state = evolve(self.state, e, MONDAY)
        self.events += events
        return [e.type for e in events]


def test_a_grid_worker_reports_in_their_own_grid_and_the_case_waits_in_triage() -> None:
    case = Grid()
    assert case.state.stage is Stage.triage and case.state.channel is Channel.grid_report
    assert not case.state.tasks


@pytest.mark.parametrize(("command", "words"), [
    (report(grid=OTHER_GRID), "grid-1 may not act in grid grid-2"),
    (report(channel=Channel.walk_in), "grid_report"),
])
def test_a_grid_worker_may_not_report_for_another_grid_or_channel(command: ReceiveCase, words: str) -> None:
    with pytest.raises(NotPermitted, match=words):
        decide(CaseState(case_id="C-9"), command, WORKER, MONDAY)


def test_a_grid_worker_without_a_grid_may_not_report() -> None:
    unbound = WORKER.model_copy(update={"jurisdiction": None})
    with pytest.raises(NotPermitted, match="no grid"):
        decide(CaseState(case_id="C-9"), report(), unbound, MONDAY)


def test_settled_on_the_spot_goes_to_verification_with_no_task_then_follow_up_and_archive() -> None:
    case = Grid()
    assert case.do(SETTLED, WORKER) == ["MediationRecorded", "ResolutionSubmitted"]
    assert case.state.stage is Stage.supervision and case.state.outcome is Outcome.resolved_on_spot
    assert case.state.tasks == () and case.state.mediations[0].agreement_reached
    assert case.state.resolution_summary == SETTLED.terms
    assert "verify" in {a.kind for a in available_actions(case.state, MEDIATOR, MONDAY)}
    assert OUTCOME[Outcome.resolved_on_spot] == "就地化解"
    case.do(VerifyResolution(accepted=True), MEDIATOR)  # the community's mediator verifies it
    case.do(RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
    assert case.do(ArchiveCase(), MEDIATOR)[-1] == "CaseArchived"
    assert case.state.stage is Stage.archived and case.state.archive_reason is ArchiveReason.resolved


def test_a_supervisor_may_verify_a_settlement_on_the_spot_too() -> None:
    case = Grid()
    case.do(SETTLED, WORKER)
    assert case.do(VerifyResolution(accepted=True), SUPERVISOR)[0] == "ResolutionVerified"


def test_a_settlement_needs_the_parties_agreement_and_an_unrouted_case() -> None:
    case = Grid()
    with pytest.raises(ActionRefused, match="needs the parties' agreement"):
        decide(case.state, SETTLED.model_copy(update={"agreement_reached": False}), WORKER, MONDAY)
    case.do(RouteCase(lead_department="lead-dept"), MEDIATOR)
    with pytest.raises(ActionRefused, match="stage coordination"):
        decide(case.state, SETTLED, WORKER, MONDAY)


def test_only_the_grid_worker_of_the_grid_settles_and_a_mediator_verifies_only_on_spot_results() -> None:
    case = Grid()
    other = WORKER.model_copy(update={"jurisdiction": OTHER_GRID})
    with pytest.raises(NotPermitted, match="may not act in grid grid-1"):
        decide(case.state, SETTLED, other, MONDAY)
    with pytest.raises(NotPermitted, match="grid_worker"):
        decide(case.state, SETTLED, MEDIATOR, MONDAY)
    with pytest.raises(NotPermitted, match="mediator"):
        decide(case.state, RouteCase(lead_department="lead-dept"), WORKER, MONDAY)


def test_a_mediator_may_not_verify_a_departments_result_nor_submit_resolved_on_spot() -> None:
    case = Grid()
    case.do(RouteCase(lead_department="lead-dept"), MEDIATOR)
    with pytest.raises(ActionRefused, match="not a resolution"):
        decide(case.state, SubmitResolution(outcome=Outcome.resolved_on_spot, summary="x"), MEDIATOR, MONDAY)


def test_an_actor_without_a_grid_serializes_as_before() -> None:
    assert "jurisdiction" not in MEDIATOR.model_dump(mode="json")
    assert WORKER.model_dump(mode="json")["jurisdiction"] == GRID
