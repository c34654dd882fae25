"""available_actions: what decide would allow, per role, stage and task status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.actions import AvailableAction, available_actions
from domain.case import CaseState, evolve
from domain.commands import AcknowledgeTask, Command, ReceiveCase, ReplyTask, RouteCase, SubmitResolution
from domain.decide import PERMITTED, decide, roles_for
from domain.events import Actor, Party
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.vocabulary import Channel, Outcome, PartyRole, Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEDIATOR = Actor(role=Role.mediator, id="m")
SUPERVISOR = Actor(role=Role.supervisor, id="s")
LEAD = Actor(role=Role.liaison, id="l", department="dept-a")
OTHER = Actor(role=Role.liaison, id="o", department="dept-b")


def run(state: CaseState, command: Command, actor: Actor) -> CaseState:
    for event in decide(state, command, actor, NOW):
        state = evolve(state, event, NOW + timedelta(seconds=state.version), actor=actor)
    return state


def received() -> CaseState:
    return run(CaseState(case_id="C-1"), ReceiveCase(
        title="t", description="d", category="leak", channel=Channel.walk_in, grid_id="g",
        parties=(Party(name="张三", role=PartyRole.applicant),), policy=pin_policy(DEFAULT_POLICY, NOW)), MEDIATOR)


def kinds(state: CaseState, actor: Actor) -> set[tuple[str, str | None]]:
    return {(a.kind, a.task_id) for a in available_actions(state, actor, NOW)}


def test_triage_offers_the_mediator_route_and_decline_and_nothing_to_a_liaison() -> None:
    state = received()
    # the centre may also summon departments (吹哨), re-grade the risk and hand it up (上交); a supervisor may list it
    assert kinds(state, MEDIATOR) == {("not_accepted", None), ("route", None), ("summon", None),
                                      ("regrade_risk", None), ("hand_up", None)}
    assert kinds(state, LEAD) == set()
    assert kinds(state, SUPERVISOR) == {("pause_clock", None), ("summon", None), ("list", None),
                                        ("regrade_risk", None), ("assign_leader", None)}


def test_tasks_offer_actions_only_to_their_own_department_by_status() -> None:
    state = run(received(), RouteCase(lead_department="dept-a", co_departments=("dept-b",)), MEDIATOR)
    # a liaison of a department with a task records the mediation it conducts
    assert kinds(state, LEAD) == {("acknowledge", "C-1-T1"), ("return", "C-1-T1"), ("record_mediation", None)}
    assert kinds(state, OTHER) == {("acknowledge", "C-1-T2"), ("return", "C-1-T2"), ("record_mediation", None)}
    state = run(state, AcknowledgeTask(task_id="C-1-T1"), LEAD)
    assert kinds(state, LEAD) == {("return", "C-1-T1"), ("request_extension", "C-1-T1"), ("reply", "C-1-T1"),
                                  ("record_mediation", None), ("name_assignee", "C-1-T1")}
    # Before the lead replies only a withdrawal can be submitted; the action is still on offer.
    assert ("submit_resolution", None) in kinds(state, MEDIATOR)
    state = run(state, ReplyTask(task_id="C-1-T1", summary="done"), LEAD)
    state = run(state, SubmitResolution(outcome=Outcome.mediated, summary="ok"), MEDIATOR)
    # 评定: the supervisor grades the replied task once
    assert kinds(state, SUPERVISOR) == {("verify", None), ("list", None), ("regrade_risk", None),
                                        ("rate", "C-1-T1"), ("assign_leader", None)}
    assert AvailableAction("verify") in available_actions(state, SUPERVISOR, NOW)


def test_roles_for_is_the_domain_table() -> None:
    assert roles_for(RouteCase) == PERMITTED[RouteCase] == frozenset({Role.mediator})


def test_supervision_actions_are_offered_on_their_summons_commitment_and_task() -> None:
    from domain.commands import CommitmentPromise, ConveneMeeting, ReturnTask, SummonDepartments

    state = run(received(), RouteCase(lead_department="dept-a", co_departments=("dept-b",)), MEDIATOR)
    state = run(state, ReturnTask(task_id="C-1-T2", reason="r"), OTHER)
    assert ("decide_return", "C-1-T2") in kinds(state, SUPERVISOR)
    state = run(state, SummonDepartments(departments=("dept-a",), reason="r"), MEDIATOR)
    state = run(state, ConveneMeeting(at=NOW, departments=("dept-a",), agenda="a", attended=("dept-a",),
                                      commitments=(CommitmentPromise(department="dept-a", what="w",
                                                                     due_at=NOW + timedelta(days=1)),)), MEDIATOR)
    refs = {(a.kind, a.ref) for a in available_actions(state, LEAD, NOW)}
    assert {("report", "C-1-S1"), ("fulfil_commitment", "C-1-M1-C1")} <= refs
    assert not {a.kind for a in available_actions(state, OTHER, NOW)} & {"report", "fulfil_commitment"}
