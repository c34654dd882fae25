"""Who may attach a file to a case, and what it records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import CaseState, Task, evolve
from domain.commands import AddAttachment
from domain.decide import ActionRefused, NotPermitted, decide
from domain.events import Actor, AttachmentAdded
from domain.vocabulary import Role, Stage, TaskRole, TaskStatus

NOW = datetime(2026, 5, 6, 10, 0, tzinfo=UTC)
FILE = AddAttachment(sha256="0f" * 32, name="调解协议书.pdf", media_type="application/pdf", size=1234)
STATE = CaseState(case_id="C-1", version=3, stage=Stage.coordination, tasks=(Task(
    task_id="T1", department="dept-a", role=TaskRole.lead, status=TaskStatus.acknowledged, assigned_at=NOW,
    acknowledge_due_at=NOW + timedelta(days=1), reply_due_at=NOW + timedelta(days=5)),))


def test_the_mediator_and_a_liaison_holding_a_task_may_attach() -> None:
    for actor in (Actor(role=Role.mediator, id="m"), Actor(role=Role.liaison, id="l", department="dept-a")):
        assert decide(STATE, FILE, actor, NOW) == [AttachmentAdded(
            sha256=FILE.sha256, name=FILE.name, media_type=FILE.media_type, size=FILE.size)]


@pytest.mark.parametrize("actor", [Actor(role=Role.liaison, id="l", department="dept-b"),
                                   Actor(role=Role.supervisor, id="s"), Actor(role=Role.auditor, id="a")])
def test_others_may_not(actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        decide(STATE, FILE, actor, NOW)


def test_the_same_file_twice_or_on_an_archived_case_is_refused() -> None:
    mediator = Actor(role=Role.mediator, id="m")
    after = evolve(STATE, decide(STATE, FILE, mediator, NOW)[0], NOW)
    assert [(a.sha256, a.name, a.added_at) for a in after.attachments] == [(FILE.sha256, FILE.name, NOW)]
    with pytest.raises(ActionRefused):
        decide(after, FILE, mediator, NOW)
    with pytest.raises(ActionRefused):
        decide(STATE.model_copy(update={"stage": Stage.archived}), FILE, mediator, NOW)
