"""The dossier and the auditor's timeline show summonses, commitments and a listing by hand."""

from __future__ import annotations

import uuid
from datetime import timedelta

from domain.commands import CommitmentPromise, ConveneMeeting, ListCase, SummonDepartments
from domain.events import SYSTEM_ACTOR, RecordedEvent
from infra.audit.dossier import render_dossier_html
from infra.event_store import ChainVerification
from tests.domain.test_supervision import CO, MEDIATOR, MONDAY, OTHER, SUPERVISOR, routed


def test_the_dossier_shows_summonses_commitments_and_the_listing() -> None:
    case = routed()
    case.do(SummonDepartments(departments=(OTHER,), reason="吹哨"), MEDIATOR)
    case.do(ConveneMeeting(at=MONDAY, departments=(CO,), agenda="圆桌议事会", attended=(CO,), commitments=(
        CommitmentPromise(department=CO, what="查明管线", due_at=MONDAY + timedelta(days=1)),)), MEDIATOR)
    case.do(ListCase(leader="王副主任", reason="久拖不决"), SUPERVISOR)
    events = [RecordedEvent(case_id="C-1", seq=n, event_id=uuid.uuid4(), occurred_at=MONDAY, actor=SYSTEM_ACTOR,
                            payload=p, schema_version=1, prev_hash="0" * 64, hash="0" * 64)
              for n, p in enumerate(case.events, start=1)]
    verification = ChainVerification(case_id="C-1", valid=True, events=len(events), head_hash="0" * 64,
                                     first_bad_seq=None)
    html = render_dossier_html(case.state, events, verification, None)
    for words in ("C-1-S1", "未报到 not reported", "C-1-M1-C1", "查明管线", "王副主任", "吹哨：",
                  "会议纪要（", "挂牌督办，包案领导 王副主任"):
        assert words in html, words


def test_the_dossier_names_the_assignee_and_the_leader_from_the_users_table() -> None:
    from domain.commands import AcknowledgeTask, AssignLeader, NameAssignee
    from domain.events import Actor
    from domain.vocabulary import Role
    from tests.domain.test_supervision import LEAD

    case = routed()
    acknowledger = Actor(role=Role.liaison, id="usr-li", department=LEAD)
    case.do(AcknowledgeTask(task_id="C-1-T1"), acknowledger)
    case.do(NameAssignee(task_id="C-1-T1", user="usr-han", user_department=LEAD), acknowledger)
    case.do(AssignLeader(user="usr-wang", reason="领导包案", user_role=Role.leader), SUPERVISOR)
    events = [RecordedEvent(case_id="C-1", seq=n, event_id=uuid.uuid4(), occurred_at=MONDAY, actor=actor,
                            payload=p, schema_version=1, prev_hash="0" * 64, hash="0" * 64)
              for n, (p, actor) in enumerate(zip(case.events, case.actors, strict=True), start=1)]
    verification = ChainVerification(case_id="C-1", valid=True, events=len(events), head_hash="0" * 64,
                                     first_bad_seq=None)
    html = render_dossier_html(case.state, events, verification, None,
                               people={"usr-han": "韩小梅", "usr-wang": "王志刚"})
    for words in ("责任人 assignee", "韩小梅", "领导包案 Leader in charge", "王志刚", "指定责任人 韩小梅",
                  "确定包案领导 王志刚：领导包案"):
        assert words in html, words
    assert "usr-han" not in html.split("办理过程")[0]  # the facts name people, not ids
