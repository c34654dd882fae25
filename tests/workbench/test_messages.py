"""Every refusal the domain and the application layer can give has a Chinese translation on the desk."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from domain.rules import Refusal
from entrypoints.workbench.messages import translate

ROOT = Path(__file__).parents[2]
REFUSALS = ("ActionRefused", "NotPermitted", "Refused", "Forbidden", "NotFound", "InvalidRoute", "MeetingRefused",
            "MeetingNotPermitted", "SweepRefused", "SweepNotPermitted")
# Every refusal of the domain and the application layer carries a code and its data: the desk words those.
SOURCES = sorted([*(ROOT / "domain").glob("*.py"), *(ROOT / "application").glob("*.py")])


def _refusal_calls(source: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REFUSALS
            and node.args]


def _sample(arg: ast.expr) -> str:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr):
        return "".join(str(p.value) if isinstance(p, ast.Constant) else "x1" for p in arg.values)
    return "x1"


def _codes() -> list[tuple[str, str, frozenset[str]]]:
    """(where, code, the data's keys) of each coded refusal; the code may be chosen by a conditional expression."""
    found = []
    for source in SOURCES:
        for call in _refusal_calls(source):
            if _sample(call.args[0]).startswith("unknown command"):
                continue
            where = f"{source.name}:{call.lineno}"
            keys = {k.arg for k in call.keywords if k.arg}  # a domain Refusal's data: keyword arguments
            data = call.args[2] if len(call.args) > 2 else None  # an application error's: a dict
            if isinstance(data, ast.Dict):
                keys |= {k.value for k in data.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            code = call.args[1] if len(call.args) > 1 else None
            if isinstance(code, ast.Attribute | ast.Name):  # passed on from the refusal it translates
                continue
            options = [code.body, code.orelse] if isinstance(code, ast.IfExp) else [code]
            found += [(where, o.value if isinstance(o, ast.Constant) else "", frozenset(keys)) for o in options]
    return found


@pytest.mark.parametrize(("where", "code", "keys"), _codes())
def test_every_refusal_carries_a_code_the_desk_words_in_chinese(
        where: str, code: str, keys: frozenset[str]) -> None:
    from entrypoints.workbench.messages import CODES, chinese

    assert code in CODES, f"{where}: refusal without a code the desk knows ({code!r})"
    refusal = Refusal("an English message the desk must not need", code, **dict.fromkeys(keys, "x1"))
    worded = chinese(refusal)
    assert not worded.startswith("操作未被接受") and not re.search(r"[A-Za-z]{5,}", worded), (where, worded)


def test_translations_name_stages_statuses_and_departments_in_chinese() -> None:
    from entrypoints.workbench.messages import chinese

    names = {"dept-a": "东湖司法所"}.get
    assert (chinese(Refusal("", "stage", stage="triage", needs="coordination"))
            == "案件当前处于「待分流」阶段，此操作需要「协调中」阶段")
    assert (chinese(Refusal("", "task_status", task="C-1-T1", status="acknowledged", needs="pending_ack"))
            == "任务当前状态为「办理中」，此操作需要「待签收」")
    assert chinese(Refusal("", "returned_before", department="dept-a"),
                   lambda d: names(d) or d) == "东湖司法所已退回过本案，不能再分流给该单位"
    assert chinese(Refusal("", "role", role="supervisor", allowed="mediator")) == "督办人无权进行此操作（仅限调解员）"
    assert translate("something new").startswith("操作未被接受：")
    assert chinese(Refusal("something new", "a_code_from_a_newer_worker")).startswith("操作未被接受：")


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
    from entrypoints.workbench.messages import chinese

    names = {"dept-a": "东湖司法所"}.get
    assert chinese(Refusal("", "meeting_role", role="liaison", act="decide_item")) == "联络员无权审定议题"
    assert chinese(Refusal("", "meeting_role", role="supervisor", act="record_minutes")) == "督办人无权记录会议纪要"
    assert (chinese(Refusal("", "not_invited", department="dept-a"), lambda d: names(d) or d)
            == "东湖司法所未被邀请参加本次会议")
    assert chinese(Refusal("", "already_on_agenda", case="C-1")) == "案件 C-1 已在本次会议的议题中"
    assert chinese(Refusal("", "no_standing_meeting", meeting="MT-1")) == "没有会议 MT-1"
