"""Every refusal the domain and the application layer can give has a Chinese translation on the desk."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from entrypoints.workbench.messages import is_translated, translate

ROOT = Path(__file__).parents[2]
REFUSALS = ("ActionRefused", "NotPermitted", "Refused", "Forbidden", "NotFound", "InvalidRoute", "MeetingRefused",
            "PermissionError")
SOURCES = [*(ROOT / "domain" / f"{name}.py" for name in ("decide", "rules", "supervision", "summons", "organisation",
                                                              "papers", "meetings")),
           ROOT / "application" / "access.py", ROOT / "application" / "cases.py", ROOT / "application" / "documents.py",
           ROOT / "application" / "meetings.py", ROOT / "application" / "owners.py"]


def _messages() -> list[str]:
    """Each refusal's message as written in the source, with sample values for its placeholders."""
    found = []
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REFUSALS
                    and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                parts = [p.value if isinstance(p, ast.Constant) else "x1" for p in arg.values]
                found.append("".join(str(p) for p in parts))
    return [m for m in found if not m.startswith("unknown command")]


@pytest.mark.parametrize("message", _messages())
def test_every_refusal_has_a_chinese_translation(message: str) -> None:
    assert is_translated(message), message
    assert not re.search(r"[A-Za-z]{5,}", translate(message).replace("x1", "")), translate(message)


def test_translations_name_stages_statuses_and_departments_in_chinese() -> None:
    names = {"dept-a": "东湖司法所"}.get
    assert (translate("the case is in stage triage; this needs coordination")
            == "案件当前处于「待分流」阶段，此操作需要「协调中」阶段")
    assert (translate("task C-1-T1 is acknowledged; this needs pending_ack")
            == "任务当前状态为「办理中」，此操作需要「待签收」")
    assert translate("department dept-a returned this case and may not be routed to again",
                     lambda d: names(d) or d) == "东湖司法所已退回过本案，不能再分流给该单位"
    assert translate("a supervisor may not do this; it is for: mediator") == "督办人无权进行此操作（仅限调解员）"
    assert translate("something new").startswith("操作未被接受：")


def _refusal(decision) -> object:  # type: ignore[no-untyped-def]
    from domain.decide import ActionRefused, NotPermitted

    try:
        decision()
    except (ActionRefused, NotPermitted) as exc:
        return exc
    raise AssertionError("not refused")


def test_coded_refusals_are_worded_from_their_data_not_their_english() -> None:
    from application.errors import from_domain
    from domain.commands import AcknowledgeTask, RouteCase
    from domain.decide import decide
    from entrypoints.workbench.messages import CODES, chinese
    from tests.domain.test_supervision import LEAD, MEDIATOR, SUPERVISOR, liaison, routed

    case = routed()
    stage = _refusal(lambda: decide(case.state, RouteCase(lead_department=LEAD), MEDIATOR, case.now))
    assert (stage.code, stage.data) == ("stage", {"stage": "coordination", "needs": "triage"})  # type: ignore[attr-defined]
    assert chinese(stage) == "案件当前处于「协调中」阶段，此操作需要「待分流」阶段"
    role = _refusal(lambda: decide(case.state, AcknowledgeTask(task_id="C-1-T1"), SUPERVISOR, case.now))
    assert chinese(from_domain(role)) == "督办人无权进行此操作（仅限联络员）"  # type: ignore[arg-type]
    other = _refusal(lambda: decide(case.state, AcknowledgeTask(task_id="C-1-T2"), liaison(LEAD), case.now))
    assert chinese(other, {"co-dept": "东湖司法所"}.get) == "该任务属于东湖司法所，不是您的部门"  # type: ignore[arg-type]
    reworded = type(stage)("the wording changed", "stage", stage="triage", needs="coordination")
    assert chinese(reworded) == "案件当前处于「待分流」阶段，此操作需要「协调中」阶段"
    assert CODES >= {"archived", "not_received", "stage", "no_task", "task_status", "role", "not_your_task"}


def test_meeting_refusals_name_the_role_the_action_and_the_department() -> None:
    names = {"dept-a": "东湖司法所"}.get
    assert translate("a liaison may not decide_item") == "联络员无权审定议题"
    assert translate("a supervisor may not record_minutes") == "督办人无权记录会议纪要"
    assert (translate("department dept-a was not invited to the meeting", lambda d: names(d) or d)
            == "东湖司法所未被邀请参加本次会议")
    assert translate("case C-1 is already on the agenda") == "案件 C-1 已在本次会议的议题中"
    assert translate("no meeting MT-1") == translate("there is no meeting MT-1") == "没有会议 MT-1"
