"""The meeting forms as the desk reads them: the call form (departments, other attendees in pairs) and the
minutes form (one decision per accepted item, commitment rows per item); anything wrong is a Chinese message
naming the field, never an exception page. And the list's order: upcoming soonest first, then past latest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.datastructures import FormData

from domain.meetings import AgendaItem, MeetingState
from domain.vocabulary import Role
from entrypoints.workbench.actions import FormProblem
from entrypoints.workbench.labels import TIMEZONE
from entrypoints.workbench.pages_meetings import read_call, read_minutes, upcoming_then_past

SOON = (datetime.now(TIMEZONE) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def call_form(**change: list[str]) -> FormData:
    fields = {"kind": ["round_table"], "title": ["圆桌议事会"], "at": ["2026-12-06T09:30"],
              "jurisdiction": ["st-donghu"], "departments": ["dept-a", "dept-b"],
              "attendee_name": ["张桂兰", "", "刘德顺"], "attendee_capacity": ["居民代表", "", "居民代表"], **change}
    return FormData([(k, v) for k, values in fields.items() for v in values])


def test_the_call_form_keeps_the_filled_attendee_pairs_in_the_districts_time() -> None:
    command = read_call(call_form())
    assert command.meeting_kind == "round_table" and command.departments == ("dept-a", "dept-b")
    assert [(a.name, a.capacity) for a in command.other_attendees] == [("张桂兰", "居民代表"), ("刘德顺", "居民代表")]
    assert command.at == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": ["weekly"]}, "请选择「会议类型」"),
    ({"title": [" "]}, "请填写「会议名称」"),
    ({"at": ["soon"]}, "「会议时间」格式不正确"),
    ({"departments": []}, "请至少选择一个「参会单位」"),
    ({"attendee_name": ["张桂兰"], "attendee_capacity": [""]}, "其他参会人员1：请同时填写「姓名」和「身份」"),
])
def test_the_call_form_names_what_to_correct(change: dict[str, list[str]], message: str) -> None:
    with pytest.raises(FormProblem, match=message):
        read_call(call_form(**change))


def meeting(*accepted: bool | None) -> MeetingState:
    agenda = tuple(AgendaItem(item_id=f"MT-1-I{n}", case_id=f"C-{n}", proposed_by=Role.liaison, accepted=a)
                   for n, a in enumerate(accepted, start=1))
    return MeetingState(meeting_id="MT-1", kind="round_table", title="圆桌", at=NOW, jurisdiction="st-donghu",
                        departments=("dept-a", "dept-b"), agenda=agenda)


def minutes_form(pairs: list[tuple[str, str]]) -> FormData:
    return FormData(pairs)


def test_the_minutes_form_gives_one_decision_per_accepted_item_and_skips_empty_rows() -> None:
    form = minutes_form([("present", "dept-a"), ("decision_1", "约谈"), ("department_1", "dept-a"),
                         ("what_1", "十日内结清"), ("due_1", SOON), ("department_1", ""), ("what_1", ""),
                         ("due_1", ""), ("decision_2", "检修")])
    command = read_minutes(form, meeting(True, False, True))  # the declined item has no decision
    assert command.present == ("dept-a",)
    assert [(i.case_id, i.decision) for i in command.items] == [("C-1", "约谈"), ("C-3", "检修")]
    assert [(c.department, c.what) for c in command.items[0].commitments] == [("dept-a", "十日内结清")]
    assert command.items[1].commitments == ()


@pytest.mark.parametrize(("pairs", "message"), [
    ([("decision_1", " ")], "议题1：请填写「决定事项」"),
    ([("decision_1", "约谈"), ("department_1", "dept-a"), ("what_1", ""), ("due_1", SOON)],
     "议题1承诺1：请填写「承诺内容」"),
    ([("decision_1", "约谈"), ("department_1", ""), ("what_1", "结清"), ("due_1", SOON)],
     "议题1承诺1：请选择「承诺单位」"),
    ([("decision_1", "约谈"), ("department_1", "dept-a"), ("what_1", "结清"), ("due_1", "2020-01-01T09:00")],
     "议题1承诺1：「办理期限」须晚于现在"),
])
def test_the_minutes_form_names_the_item_the_row_and_the_field(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(FormProblem, match=message):
        read_minutes(minutes_form(pairs), meeting(True))


def test_minutes_need_an_accepted_item() -> None:
    with pytest.raises(FormProblem, match="没有审定同意的议题"):
        read_minutes(minutes_form([]), meeting(None, False))


def test_upcoming_meetings_come_first_soonest_first_then_the_past_latest_first() -> None:
    states = [meeting().model_copy(update={"meeting_id": name, "at": NOW + timedelta(days=days)})
              for name, days in (("past-old", -9), ("soon", 1), ("past-new", -1), ("later", 5))]
    assert [s.meeting_id for s in upcoming_then_past(states, NOW)] == ["soon", "later", "past-new", "past-old"]
