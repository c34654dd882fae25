"""Named people on a case: a task's 责任人 and the case's 包案 leader. Pure decide/evolve, no fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.case import CaseState, evolve, fold
from domain.commands import (
    AcknowledgeTask,
    AssignLeader,
    Command,
    ListCase,
    NameAssignee,
    ReceiveCase,
    ReplyTask,
    RouteCase,
)
from domain.decide import ActionRefused, NotPermitted, decide
from domain.events import (
    Actor,
    CaseListed,
    LeaderAssigned,
    Party,
    RecordedEvent,
    TaskAcknowledged,
    TaskAssigneeNamed,
    payload_data,
)
from domain.notifications import intents_for, message, recipients
from domain.organisation import Organisation
from domain.policy import parse_policy, pin_policy
from domain.vocabulary import Channel, PartyRole, Role

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
MEDIATOR = Actor(role=Role.mediator, id="usr-med", department="centre")
SUPERVISOR = Actor(role=Role.supervisor, id="usr-sup", department="centre")
LEAD_LIAISON = Actor(role=Role.liaison, id="usr-lead1", department="lead-dept", name="李联络")
CO_LIAISON = Actor(role=Role.liaison, id="usr-co1", department="co-dept")
LEADER = Actor(role=Role.leader, id="usr-leader")


def act(state: CaseState, command: Command, actor: Actor, at: datetime = MONDAY) -> CaseState:
    for event in decide(state, command, actor, at):
        state = evolve(state, event, at, actor=actor)
    return state


def routed() -> CaseState:
    state = act(CaseState(case_id="C-1"), ReceiveCase(
        title="漏水", description="楼上漏水", category="leak", channel=Channel.walk_in, grid_id="g-1",
        parties=(Party(name="张三", role=PartyRole.applicant),), policy=pin_policy(parse_policy(""), MONDAY)),
        MEDIATOR)
    return act(state, RouteCase(lead_department="lead-dept", co_departments=("co-dept",)), MEDIATOR)


def acknowledged() -> CaseState:
    return act(routed(), AcknowledgeTask(task_id="C-1-T1"), LEAD_LIAISON)


def test_a_task_has_no_assignee_before_it_is_acknowledged() -> None:
    state = routed()
    assert [t.assignee for t in state.tasks] == [None, None]


def test_the_acknowledging_liaison_becomes_the_assignee() -> None:
    state = acknowledged()
    assert state.task("C-1-T1").assignee == "usr-lead1"  # type: ignore[union-attr]
    assert state.task("C-1-T2").assignee is None  # type: ignore[union-attr]


def test_old_acknowledgements_name_their_recorded_acknowledger_without_any_new_event() -> None:
    """A stored stream folds to the acknowledger from the event's actor: no event added, no hash changed."""
    state = routed()
    ack = RecordedEvent(case_id="C-1", seq=state.version + 1, event_id=__import__("uuid").uuid4(),
                        occurred_at=MONDAY, actor=LEAD_LIAISON, payload=TaskAcknowledged(task_id="C-1-T1"),
                        schema_version=1, prev_hash="0" * 64, hash="1" * 64)
    assert fold([ack], state).task("C-1-T1").assignee == "usr-lead1"  # type: ignore[union-attr]
    # folded without an actor (as a caller that has none), nobody is named rather than a wrong person
    assert evolve(state, ack.payload, MONDAY).task("C-1-T1").assignee is None  # type: ignore[union-attr]


def test_a_liaison_names_someone_of_the_same_department() -> None:
    state = acknowledged()
    events = decide(state, NameAssignee(task_id="C-1-T1", user="usr-lead2", user_department="lead-dept"),
                    LEAD_LIAISON, MONDAY)
    assert events == [TaskAssigneeNamed(task_id="C-1-T1", user="usr-lead2")]
    assert payload_data(events[0]) == {"task_id": "C-1-T1", "user": "usr-lead2"}  # an id, never a name
    state = act(state, NameAssignee(task_id="C-1-T1", user="usr-lead2", user_department="lead-dept"), LEAD_LIAISON)
    assert state.task("C-1-T1").assignee == "usr-lead2"  # type: ignore[union-attr]
    # the new assignee keeps the task when it moves on
    state = act(state, ReplyTask(task_id="C-1-T1", summary="已修复"), LEAD_LIAISON)
    assert state.task("C-1-T1").assignee == "usr-lead2"  # type: ignore[union-attr]


def test_naming_someone_of_another_department_is_refused_with_a_code() -> None:
    with pytest.raises(NotPermitted) as refused:
        decide(acknowledged(), NameAssignee(task_id="C-1-T1", user="usr-co1", user_department="co-dept"),
               LEAD_LIAISON, MONDAY)
    assert refused.value.code == "assignee_department"
    assert refused.value.data == {"user": "usr-co1", "department": "lead-dept"}


def test_only_the_tasks_own_liaison_names_its_assignee() -> None:
    command = NameAssignee(task_id="C-1-T1", user="usr-lead2", user_department="lead-dept")
    with pytest.raises(NotPermitted) as other:
        decide(acknowledged(), command, CO_LIAISON, MONDAY)
    assert other.value.code == "not_your_task"
    with pytest.raises(NotPermitted) as role:
        decide(acknowledged(), command, SUPERVISOR, MONDAY)
    assert role.value.code == "role"


def test_an_unacknowledged_task_and_the_same_person_again_are_refused() -> None:
    with pytest.raises(ActionRefused) as pending:
        decide(routed(), NameAssignee(task_id="C-1-T1", user="usr-lead2", user_department="lead-dept"),
               LEAD_LIAISON, MONDAY)
    assert pending.value.code == "task_status"
    with pytest.raises(ActionRefused) as same:
        decide(acknowledged(), NameAssignee(task_id="C-1-T1", user="usr-lead1", user_department="lead-dept"),
               LEAD_LIAISON, MONDAY)
    assert same.value.code == "already_assignee"


def test_a_supervisor_assigns_a_leader_who_is_told_by_user() -> None:
    state = routed()
    events = decide(state, AssignLeader(user="usr-leader", reason="重大疑难", user_role=Role.leader), SUPERVISOR,
                    MONDAY)
    assert events == [LeaderAssigned(user="usr-leader", reason="重大疑难")]
    [intent] = intents_for(state, events[0])
    assert intent.kind == "leader_assignment"
    assert recipients(Organisation.model_construct(jurisdictions=(), departments=(), categories=(), rules=()),
                      intent) == ("user:usr-leader",)
    _, body = message(intent, "C-1", "漏水", "Asia/Shanghai", "http://x/cases/C-1")
    assert "包案领导" in body
    state = act(state, AssignLeader(user="usr-leader", reason="重大疑难", user_role=Role.leader), SUPERVISOR)
    assert state.leader is not None and (state.leader.user, state.leader.since) == ("usr-leader", MONDAY)


def test_a_leader_must_be_a_leader_and_is_named_once() -> None:
    with pytest.raises(ActionRefused) as not_leader:
        decide(routed(), AssignLeader(user="usr-med", reason="r", user_role=Role.mediator), SUPERVISOR, MONDAY)
    assert not_leader.value.code == "not_a_leader"
    state = act(routed(), AssignLeader(user="usr-leader", reason="r", user_role=Role.leader), SUPERVISOR)
    with pytest.raises(ActionRefused) as again:
        decide(state, AssignLeader(user="usr-leader", reason="r", user_role=Role.leader), SUPERVISOR, MONDAY)
    assert again.value.code == "already_leader"


def test_a_liaison_may_not_assign_a_leader() -> None:
    with pytest.raises(NotPermitted) as refused:
        decide(routed(), AssignLeader(user="usr-leader", reason="r", user_role=Role.leader), LEAD_LIAISON, MONDAY)
    assert refused.value.code == "role"


def test_listing_under_a_leader_user_makes_them_the_cases_leader() -> None:
    state = routed()
    command = ListCase(leader="usr-leader", leader_user="usr-leader", reason="民转刑风险")
    assert decide(state, command, SUPERVISOR, MONDAY) == [
        CaseListed(leader="usr-leader", reason="民转刑风险", leader_user="usr-leader"),
        LeaderAssigned(user="usr-leader", reason="民转刑风险")]
    state = act(state, command, SUPERVISOR)
    assert state.listing is not None and state.listing.leader_user == "usr-leader"
    assert state.leader is not None and state.leader.user == "usr-leader"


def test_the_old_free_text_listing_still_lists_and_keeps_its_stored_shape() -> None:
    state = routed()
    [listed] = decide(state, ListCase(leader="区综治中心王副主任", reason="r"), SUPERVISOR, MONDAY)
    assert payload_data(listed) == {"leader": "区综治中心王副主任", "reason": "r"}  # no new key: same hash
    state = act(state, ListCase(leader="区综治中心王副主任", reason="r"), SUPERVISOR, MONDAY + timedelta(hours=1))
    assert state.listing is not None and state.listing.leader_user is None and state.leader is None
