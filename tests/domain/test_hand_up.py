"""上交 and handling levels as pure decisions: a report waits at the community, a settlement on the spot stays in
the grid, a hand-up goes one level at a time and never past the district; cases stored before levels were
recorded read as handled at the street, with their stored bytes (and so their hashes) unchanged; the centre of
the next level is told, in Chinese and without personal data; each centre's triage holds its own level's cases."""

from __future__ import annotations

import uuid

import pytest

from domain.actions import available_actions
from domain.case import CaseState, evolve, fold
from domain.commands import HandUp, RouteCase, SettleOnSpot
from domain.decide import ActionRefused, NotPermitted, decide
from domain.describe import tell
from domain.events import SYSTEM_ACTOR, Actor, CaseHandedUp, CaseReceived, RecordedEvent, payload_data, payload_from
from domain.handling import desk_centre, handled_by, handling_centre, receiving_level
from domain.notifications import intents_for, message, recipients
from domain.organisation import JurisdictionLevel as Level
from domain.organisation import _read_demo, load_organisation
from domain.vocabulary import MediationMethod, Role, Stage
from tests.domain.test_grid import WORKER, Grid, report
from tests.domain.test_supervision import MEDIATOR, MONDAY

ORG = load_organisation(_read_demo())
LIAISON = Actor(role=Role.liaison, id="l-1", department="dept-a")


def test_a_report_waits_at_the_community_and_each_hand_up_goes_one_level() -> None:
    case = Grid()
    assert case.state.handling_level is Level.community
    assert case.do(HandUp(reason="涉及多个社区，社区无法协调"), WORKER) == ["CaseHandedUp"]
    handed = case.events[-1]
    assert isinstance(handed, CaseHandedUp)
    assert (handed.from_level, handed.to_level) == (Level.community, Level.street)
    assert case.state.handling_level is Level.street and case.state.stage is Stage.triage
    with pytest.raises(NotPermitted, match="grid worker hands up only"):  # the street's now, not the grid's
        decide(case.state, HandUp(reason="x"), WORKER, MONDAY)
    case.do(HandUp(reason="街道无法协调", from_level=Level.street), MEDIATOR)
    assert case.state.handling_level is Level.district


def test_at_the_district_there_is_no_level_above() -> None:
    case = Grid()
    case.do(HandUp(reason="一"), WORKER)
    case.do(HandUp(reason="二"), MEDIATOR)
    with pytest.raises(ActionRefused) as refused:
        decide(case.state, HandUp(reason="三"), MEDIATOR, MONDAY)
    assert refused.value.code == "top_level"


def test_a_hand_up_that_saw_an_older_level_is_refused_rather_than_going_two_levels() -> None:
    case = Grid()
    case.do(HandUp(reason="一"), WORKER)
    with pytest.raises(ActionRefused) as refused:
        decide(case.state, HandUp(reason="同时点了上交", from_level=Level.community), MEDIATOR, MONDAY)
    assert refused.value.code == "handling_level" and refused.value.data == {"level": "street"}


def test_a_settlement_on_the_spot_stays_in_the_grid_and_is_not_handed_up() -> None:
    state = CaseState(case_id="C-9")
    for e in decide(state, report().model_copy(update={"handling_level": Level.grid}), WORKER, MONDAY):
        state = evolve(state, e, MONDAY)
    case = Grid.__new__(Grid)
    case.state, case.events = state, []
    case.do(SettleOnSpot(method=MediationMethod.people, agreement_reached=True, terms="已调解"), WORKER)
    assert case.state.handling_level is Level.grid and case.state.stage is Stage.supervision
    with pytest.raises(ActionRefused) as refused:
        decide(case.state, HandUp(reason="x"), WORKER, MONDAY)
    assert refused.value.code == "stage"


def test_a_grid_worker_reports_no_higher_than_the_community() -> None:
    with pytest.raises(NotPermitted):
        decide(CaseState(case_id="C-9"), report().model_copy(update={"handling_level": Level.street}), WORKER,
               MONDAY)


def test_an_archived_case_is_not_handed_up() -> None:
    case = Grid()
    case.state = case.state.model_copy(update={"stage": Stage.archived})
    with pytest.raises(ActionRefused) as refused:
        decide(case.state, HandUp(reason="x"), MEDIATOR, MONDAY)
    assert refused.value.code == "archived"


def test_a_routed_case_can_still_be_handed_up_and_keeps_its_tasks() -> None:
    case = Grid()
    case.do(RouteCase(lead_department="dept-a"), MEDIATOR)
    case.do(HandUp(reason="部门协调不了"), MEDIATOR)
    assert case.state.stage is Stage.coordination and len(case.state.tasks) == 1
    assert case.state.handling_level is Level.street


def test_who_may_hand_up() -> None:
    case = Grid()
    other_grid = WORKER.model_copy(update={"jurisdiction": "grid-2"})
    for actor in (other_grid, LIAISON, SYSTEM_ACTOR):
        with pytest.raises(NotPermitted):
            decide(case.state, HandUp(reason="x"), actor, MONDAY)
    assert "hand_up" in [a.kind for a in available_actions(case.state, MEDIATOR, MONDAY)]
    assert "hand_up" in [a.kind for a in available_actions(case.state, WORKER, MONDAY)]
    assert "hand_up" not in [a.kind for a in available_actions(case.state, other_grid, MONDAY)]


def _recorded(payload: object, seq: int) -> RecordedEvent:
    return RecordedEvent(case_id="C-9", seq=seq, event_id=uuid.UUID(int=seq), occurred_at=MONDAY,
                         actor=WORKER if seq == 1 else MEDIATOR, payload=payload,  # type: ignore[arg-type]
                         schema_version=1, prev_hash="0" * 64, hash="0" * 64)


def test_a_case_received_before_levels_were_recorded_reads_as_handled_at_the_street() -> None:
    received = Grid().events[0]
    assert isinstance(received, CaseReceived) and received.handling_level is Level.community
    stored_before = {k: v for k, v in payload_data(received).items() if k != "handling_level"}
    old = payload_from("CaseReceived", stored_before)
    assert isinstance(old, CaseReceived) and old.handling_level is None
    assert payload_data(old) == stored_before  # re-serialized exactly as stored: the hash covers the same bytes
    assert payload_data(received)["handling_level"] == "community"
    state = fold([_recorded(old, 1)])
    assert state.handling_level is Level.street
    # an old case is handed up from the street like any other
    handed = decide(state, HandUp(reason="x"), MEDIATOR, MONDAY)
    assert handed == [CaseHandedUp(from_level=Level.street, to_level=Level.district, reason="x")]
    # and a state kept before the field existed (a continued workflow's input) reads the same
    kept = state.model_dump(mode="json")
    del kept["handling_level"]
    assert CaseState.model_validate(kept).handling_level is Level.street


def test_the_next_levels_centre_is_told_in_chinese_without_personal_data() -> None:
    case = Grid().state.model_copy(update={"grid_id": "grid-donghu-huayuan-1"})
    event = CaseHandedUp(from_level=Level.community, to_level=Level.street, reason="张三 13800000000")
    [intent] = intents_for(case, event)
    assert intent.kind == "handed_up"
    assert recipients(ORG, intent) == ("liaisons:dept-donghu-zongzhi",)
    subject, body = message(intent, "C-9", "漏水", "Asia/Shanghai", "http://x/cases/C-9")
    assert subject == "【联调·上交】案件 C-9" and "已上交至街道，请本中心接办" in body
    assert "张三" not in body and "13800000000" not in body
    to_district = intents_for(case, CaseHandedUp(from_level=Level.street, to_level=Level.district, reason="x"))
    assert recipients(ORG, to_district[0]) == ("liaisons:dept-linjiang-zongzhi",)
    # a community without a centre of its own: its street's centre
    to_community = intents_for(case, CaseHandedUp(from_level=Level.grid, to_level=Level.community, reason="x"))
    assert recipients(ORG, to_community[0]) == ("liaisons:dept-donghu-zongzhi",)


def test_the_timeline_tells_the_hand_up() -> None:
    case = Grid()
    case.do(HandUp(reason="社区无法协调"), WORKER)
    lines = [line for _, _, line in tell(_recorded(e, n) for n, e in enumerate(case.events, start=1))]
    assert "由社区办理" in lines[0]
    assert lines[-1] == "上交：由社区上交至街道办理，原因：社区无法协调"


def test_the_level_a_case_is_received_at_and_the_centre_whose_triage_holds_it() -> None:
    assert receiving_level(ORG, "dept-donghu-zongzhi") is Level.street
    assert receiving_level(ORG, "dept-linjiang-zongzhi") is Level.district
    assert receiving_level(ORG, None) is Level.street and receiving_level(ORG, "no-such") is Level.street
    street = ORG.department("dept-donghu-zongzhi")
    assert desk_centre(ORG, "dept-donghu-zongzhi") == street
    assert desk_centre(ORG, "dept-donghu-justice") == street  # a street office's mediator: the street's centre
    assert desk_centre(ORG, None) is None and desk_centre(ORG, "no-such") is None
    assert handling_centre(ORG, "grid-donghu-huayuan-1", Level.district) == ORG.department("dept-linjiang-zongzhi")
    held = handled_by(ORG, "dept-donghu-zongzhi")
    # the street's four grids at grid, community and street level (no grid or community centre of their own)
    assert len(held) == 12 and {level for _, level in held} == {Level.grid, Level.community, Level.street}
    assert all(grid.startswith("grid-donghu-") for grid, _ in held)
    assert {level for _, level in handled_by(ORG, "dept-linjiang-zongzhi")} == {Level.district}
    assert len(handled_by(ORG, "dept-linjiang-zongzhi")) == 8
