"""The policy file: durations, defaults, one-line errors, and the pinned form's exact JSON round trip."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.calendar import due_at
from domain.policy import (
    DEFAULT_POLICY,
    Duration,
    PinnedPolicy,
    Policy,
    PolicyError,
    RiskDeadlines,
    parse_policy,
    pin_policy,
)
from domain.vocabulary import RiskLevel

FAST = Path(__file__).resolve().parents[1] / "policies" / "fast.toml"


def error_of(toml_text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(toml_text)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("policy: ")
    return message


# --- Duration ---------------------------------------------------------------------------------------------


def test_duration_parse_and_format() -> None:
    for text in ("90s", "15m", "8h", "3d", "3wd", "4wh", "0s"):
        assert str(Duration.parse(text)) == text
    assert Duration.parse("3wd") == Duration(amount=3, unit="wd")


@pytest.mark.parametrize("text", ["", "3", "wd", "3x", "-1d", "1.5h", "3 d", "3D", " 3d", "3d\n", "３d"])
def test_duration_parse_errors(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        Duration.parse(text)


def test_duration_as_a_field_validates_from_and_dumps_to_text() -> None:
    deadlines = RiskDeadlines.model_validate({"acknowledge_within": "4h", "reply_within": "3wd"})
    assert deadlines.reply_within == Duration(amount=3, unit="wd")
    assert deadlines.model_dump(mode="json") == {"acknowledge_within": "4h", "reply_within": "3wd"}
    assert Duration.model_validate("8h") == Duration(amount=8, unit="h")


# --- defaults and merging ---------------------------------------------------------------------------------


def test_default_policy_is_calibrated_on_domain() -> None:
    p = DEFAULT_POLICY
    assert p.calendar == "cn" and p.timezone == "Asia/Shanghai"
    assert p.working_hours == ("09:00-12:00", "13:30-17:30")
    assert [str(p.risk[level].reply_within) for level in RiskLevel] == ["15wd", "7wd", "3wd", "1wd"]
    # acknowledge limits in working time on the cn calendar (an emergency keeps its wall clock)
    assert [str(p.risk[level].acknowledge_within) for level in RiskLevel] == ["8wh", "8wh", "4wh", "2h"]
    assert p.escalation.remind_at == (0.5, 0.8)
    assert str(p.escalation.flag_after) == "5wd"
    assert str(p.follow_up.within) == "3wd" and p.follow_up.reopen_on_dissatisfied == 1


def test_empty_file_gives_the_defaults() -> None:
    assert parse_policy("") == DEFAULT_POLICY


def test_file_merges_over_defaults() -> None:
    p = parse_policy('[risk.high]\nreply_within = "2wd"\n[escalation]\nremind_at = [0.75]\n')
    assert str(p.risk[RiskLevel.high].reply_within) == "2wd"
    assert str(p.risk[RiskLevel.high].acknowledge_within) == "4wh"  # kept from the default table
    assert p.risk[RiskLevel.low] == DEFAULT_POLICY.risk[RiskLevel.low]  # levels missing get defaults
    assert p.escalation.remind_at == (0.75,)
    assert p.escalation.flag_after == DEFAULT_POLICY.escalation.flag_after


def test_fast_policy_file() -> None:
    p = parse_policy(FAST.read_text(encoding="utf-8"))
    assert p.calendar == "continuous"
    for level in RiskLevel:
        assert (str(p.risk[level].acknowledge_within), str(p.risk[level].reply_within)) == ("6s", "12s")
    assert p.escalation.remind_at == (0.5,)
    assert (str(p.escalation.warn_after), str(p.escalation.flag_after)) == ("0s", "3s")
    assert str(p.follow_up.within) == "10s" and p.follow_up.reopen_on_dissatisfied == 1


# --- errors name the bad key ------------------------------------------------------------------------------


def test_unknown_keys_are_rejected() -> None:
    assert error_of("[escalaton]\nremind_at = [0.5]\n") == 'policy: unknown key "escalaton"'
    assert error_of("[escalation]\nremnd_at = [0.5]\n") == 'policy: unknown key "escalation.remnd_at"'
    assert error_of('[risk.high]\nreply = "3wd"\n') == 'policy: unknown key "risk.high.reply"'
    assert error_of('[risk.extreme]\nreply_within = "3wd"\nacknowledge_within = "1h"\n') == (
        'policy: unknown key "risk.extreme" (risk levels: low, medium, high, critical)'
    )


def test_bad_values_name_their_key() -> None:
    assert error_of("[escalation]\nremind_at = [0.5, 1.5]\n") == (
        "policy: escalation.remind_at: each fraction must be between 0 and 1 (got 1.5)"
    )
    assert error_of('[risk.high]\nreply_within = "3x"\n') == (
        'policy: risk.high.reply_within: "3x" is not a duration (use 90s, 15m, 8h, 3d, 3wd or 4wh)'
    )
    assert error_of("[escalation]\nremind_at = [0.8, 0.5]\n").startswith(
        "policy: escalation.remind_at: fractions must be in ascending order"
    )
    bad_within = "policy: follow_up.within: 3 is not a duration"
    assert error_of("[follow_up]\nwithin = 3\n").startswith(bad_within)
    assert error_of("[follow_up]\nreopen_on_dissatisfied = -1\n").startswith(
        "policy: follow_up.reopen_on_dissatisfied: "
    )
    assert error_of('calendar = "lunar"\n').startswith("policy: calendar: ")
    assert error_of('timezone = "Mars/Olympus"\n') == (
        'policy: timezone: unknown time zone "Mars/Olympus" (use an IANA name such as "Asia/Shanghai")'
    )


def test_bad_working_hours_name_the_key() -> None:
    assert error_of('working_hours = ["09:00-12:00", "11:00-17:00"]\n').startswith(
        'policy: working_hours: "11:00-17:00": intervals must be in ascending order'
    )
    assert error_of('working_hours = ["9-12"]\n').startswith(
        'policy: working_hours: "9-12" is not a working-hours interval'
    )
    assert error_of("working_hours = []\n").startswith("policy: working_hours: give at least one interval")


def test_invalid_toml_names_the_line() -> None:
    message = error_of('calendar = "cn"\n[escalation\n')
    assert "not valid TOML" in message and "line 2" in message


def test_several_problems_are_counted_on_one_line() -> None:
    message = error_of('calendar = "lunar"\ntimezone = "Nowhere"\n')
    assert message.endswith("(and 1 more problem)")


def test_policy_requires_all_risk_levels() -> None:
    data = DEFAULT_POLICY.model_dump(mode="json")
    del data["risk"]["critical"]
    with pytest.raises(ValueError, match="missing risk level"):
        Policy.model_validate(data)


# --- pinning ----------------------------------------------------------------------------------------------


def _only_json_types(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_json_types(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def test_pinned_policy_round_trips_exactly_through_json() -> None:
    pinned = pin_policy(DEFAULT_POLICY, datetime(2025, 9, 26, 2, tzinfo=UTC))
    dumped = pinned.model_dump(mode="json")
    assert _only_json_types(dumped)
    assert PinnedPolicy.model_validate(dumped) == pinned
    text = json.dumps(dumped, sort_keys=True)
    again = PinnedPolicy.model_validate(json.loads(text))
    assert again == pinned
    assert json.dumps(again.model_dump(mode="json"), sort_keys=True) == text
    assert dumped["calendar"]["holidays"] == sorted(dumped["calendar"]["holidays"])
    assert dumped["calendar"]["workdays"] == sorted(dumped["calendar"]["workdays"])
    assert list(dumped["policy"]["risk"]) == ["low", "medium", "high", "critical"]


def test_pin_covers_the_received_year_and_two_more() -> None:
    pinned = pin_policy(DEFAULT_POLICY, datetime(2025, 12, 31, 17, tzinfo=UTC))  # already 2026 in Shanghai
    years = {x.year for x in pinned.calendar.holidays}
    assert years == {2026, 2027, 2028}
    assert date(2026, 10, 10) in pinned.calendar.workdays


def test_pinned_continuous_policy_and_its_deadlines() -> None:
    policy = parse_policy(FAST.read_text(encoding="utf-8"))
    received = datetime(2025, 9, 30, 9, tzinfo=UTC)
    pinned = pin_policy(policy, received)
    assert pinned.calendar.kind == "continuous" and pinned.calendar.holidays == ()
    assert PinnedPolicy.model_validate(pinned.model_dump(mode="json")) == pinned
    due = due_at(received, policy.risk[RiskLevel.high].reply_within, pinned.calendar)
    assert (due - received).total_seconds() == 12


def test_pinned_calendar_must_match_the_policy() -> None:
    pinned = pin_policy(DEFAULT_POLICY, datetime(2025, 9, 26, tzinfo=UTC))
    fast = parse_policy(FAST.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="does not match"):
        PinnedPolicy(policy=fast, calendar=pinned.calendar)


# --- the sections of the supervision rules as practised -----------------------------------------


def test_new_sections_have_the_documented_defaults() -> None:
    p = parse_policy("")
    assert p.as_practised
    assert p.returns is not None and (p.returns.review, str(p.returns.within)) == ("supervisor", "2wd")
    assert p.extensions is not None and str(p.extensions.max_total) == "10wd"
    assert p.summons is not None and str(p.summons.report_within) == "2wh"
    assert p.notifications is not None
    assert (p.notifications.quiet_hours, p.notifications.urgent) == (("21:00-08:00",), (RiskLevel.critical,))


def test_new_sections_validate_and_name_the_bad_key() -> None:
    assert error_of('[returns]\nreview = "mediator"\n').startswith("policy: returns.review: Input should be")
    assert "returns.within" in error_of('[returns]\nwithin = "soon"\n')
    assert "extensions.max_total" in error_of('[extensions]\nmax_total = 3\n')
    assert "summons.report_within" in error_of('[summons]\nreport_within = "2x"\n')
    assert "notifications.quiet_hours" in error_of('[notifications]\nquiet_hours = ["9pm-8am"]\n')
    assert "the start and the end must differ" in error_of('[notifications]\nquiet_hours = ["08:00-08:00"]\n')
    assert "notifications.urgent" in error_of('[notifications]\nurgent = ["extreme"]\n')
    assert error_of('[summons]\nwithin = "2wh"\n') == 'policy: unknown key "summons.within"'


def test_quiet_hours_may_run_past_midnight() -> None:
    from datetime import time

    n = parse_policy('[notifications]\nquiet_hours = ["21:00-08:00", "12:00-13:00"]\n').notifications
    assert n is not None
    assert [n.is_quiet(time(h, m)) for h, m in ((20, 59), (21, 0), (3, 0), (7, 59), (8, 0), (12, 30))] == [
        False, True, True, True, False, True]


def test_a_policy_pinned_before_the_new_sections_keeps_its_bytes_and_its_old_rules() -> None:
    data = pin_policy(DEFAULT_POLICY, datetime(2025, 9, 26, tzinfo=UTC)).model_dump(mode="json")
    for section in ("returns", "extensions", "summons", "notifications"):
        del data["policy"][section]
    stored = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    old = PinnedPolicy.model_validate_json(stored)
    assert not old.policy.as_practised and old.policy.returns is None
    again = json.dumps(old.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert again == stored  # absent sections stay absent: a stored CaseReceived re-dumps to the same bytes


def test_a_duration_of_more_than_five_digits_is_refused_with_its_limit() -> None:
    with pytest.raises(ValueError, match=r"too long a time limit \(at most 5 digits\)"):
        Duration.parse("104683712d")
    assert Duration.parse("99999d").amount == 99999


def test_the_meetings_section_is_optional_and_names_its_bad_value() -> None:
    assert DEFAULT_POLICY.meetings is None and "meetings" not in DEFAULT_POLICY.model_dump(mode="json")
    p = parse_policy('[meetings]\nround_table_every = "month"\n')
    assert p.meetings is not None and p.meetings.round_table_every == "month"
    empty = parse_policy("[meetings]\n").meetings
    assert empty is not None and empty.round_table_every == "quarter"
    assert "meetings.round_table_every" in error_of('[meetings]\nround_table_every = "weekly"\n')
    assert error_of('[meetings]\nevery = "month"\n') == 'policy: unknown key "meetings.every"'
    pinned = pin_policy(DEFAULT_POLICY, datetime(2026, 12, 1, tzinfo=UTC)).model_dump(mode="json")
    assert "meetings" not in pinned["policy"]  # a case pinned today stores the bytes it stored before
