"""The 会议纪要 form's commitments (承诺事项): filled rows become the command's promises, empty rows are
skipped, and anything wrong is a Chinese message naming the row and the field (never an exception page)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.commands import RecordMeetingMinutes
from entrypoints.workbench.actions import ACTIONS, MAX_COMMITMENT_ROWS, FormProblem, build, commitment_rows
from entrypoints.workbench.labels import TIMEZONE

SOON = (datetime.now(TIMEZONE) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def minutes(*rows: tuple[str, str, str], attended: tuple[str, ...] = ("dept-a", "dept-b")) -> RecordMeetingMinutes:
    form = {"attended": list(attended), "commitment_department": [r[0] for r in rows],
            "commitment_what": [r[1] for r in rows], "commitment_due": [r[2] for r in rows]}
    command = build(ACTIONS["meeting_minutes"], form, "C-1-M1")
    assert isinstance(command, RecordMeetingMinutes)
    return command


def test_filled_rows_become_commitments_and_empty_rows_are_skipped() -> None:
    command = minutes(("dept-a", "三日内核实欠薪数额", SOON), ("", "", ""), ("dept-b", " 督促支付 ", SOON))
    assert command.meeting_id == "C-1-M1" and command.attended == ("dept-a", "dept-b")
    assert [(c.department, c.what) for c in command.commitments] == [("dept-a", "三日内核实欠薪数额"),
                                                                      ("dept-b", "督促支付")]
    assert command.commitments[0].due_at.strftime("%Y-%m-%dT%H:%M") == SOON
    assert command.commitments[0].due_at.utcoffset() == timedelta(hours=8)  # the desk's local time
    assert minutes(("", "", "")).commitments == ()  # minutes without commitments, as before


@pytest.mark.parametrize(("row", "message"), [
    (("", "督促支付", SOON), "承诺事项2：请选择「承诺单位」"),
    (("dept-a", "", SOON), "承诺事项2：请填写「承诺内容」"),
    (("dept-a", "督促支付", ""), "承诺事项2：请填写「办理期限」"),
    (("dept-a", "督促支付", "下周五"), "承诺事项2：「办理期限」格式不正确"),
    (("dept-a", "督促支付", "2020-01-01T09:00"), "承诺事项2：「办理期限」须晚于现在"),
    (("dept-a", "督促支付", "9999-12-31T23:59"), "承诺事项2：「办理期限」须在五年之内"),
    (("dept-a", "督促\x00支付", SOON), "承诺事项2：「承诺内容」含有不允许的字符或过长"),
    (("d" * 300, "督促支付", SOON), "承诺事项2：请从列表中选择「承诺单位」"),
])
def test_a_half_filled_or_wrong_row_is_named_in_chinese(row: tuple[str, str, str], message: str) -> None:
    with pytest.raises(FormProblem) as problem:
        minutes(("", "", ""), row)
    assert str(problem.value) == message


def test_attendance_is_still_required() -> None:
    with pytest.raises(FormProblem, match="请选择「实到单位」"):
        minutes(("dept-a", "督促支付", SOON), attended=())


def test_the_form_shows_the_submitted_rows_and_one_more_when_asked() -> None:
    assert commitment_rows({}) == [("", "", "")] * 2
    form = {"commitment_department": ["dept-a", "", "x"], "commitment_what": ["核实", "", ""],
            "commitment_due": [SOON]}
    assert commitment_rows(form) == [("dept-a", "核实", SOON), ("", "", ""), ("x", "", "")]
    assert len(commitment_rows(form, more=True)) == 4
    many = {"commitment_what": ["x"] * MAX_COMMITMENT_ROWS}
    assert len(commitment_rows(many, more=True)) == MAX_COMMITMENT_ROWS
    with pytest.raises(FormProblem, match="最多"):
        minutes(*[("dept-a", "x", SOON)] * (MAX_COMMITMENT_ROWS + 1))
