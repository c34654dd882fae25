"""聚集预警: the cluster rule of domain/clusters.py worked by hand (window edges, threshold, join), the event it
records on a case, the notification it calls for, and the [analysis] policy section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import CaseState, evolve
from domain.clusters import (
    Joins,
    OpenAlert,
    Opens,
    Received,
    alert_id_for,
    community_of,
    grids_of,
    on_intake,
    within,
    worth_locking,
)
from domain.commands import NoteCluster
from domain.decide import ActionRefused, NotPermitted, decide
from domain.events import SYSTEM_ACTOR, CaseReceived, ClusterDetected, payload_data
from domain.notifications import Intent, intents_for, is_urgent, message, recipients
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY, NotificationPolicy, PolicyError, parse_policy, pin_policy
from domain.vocabulary import RiskLevel
from tests.domain.test_supervision import MEDIATOR

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def r(case_id: str, days_before: float) -> Received:
    return Received(case_id, AT - timedelta(days=days_before))


def test_three_within_the_window_open_one_alert_oldest_first() -> None:
    new = r("C3", 0)
    assert on_intake(new, WEEK, 3, None, [r("C2", 1), r("C1", 6.5)]) == Opens(("C1", "C2", "C3"))


def test_the_window_includes_both_edges_and_nothing_beyond() -> None:
    new = r("C3", 0)
    exactly = AT - WEEK
    assert on_intake(new, WEEK, 3, None, [Received("C1", exactly), r("C2", 3)]) == Opens(("C1", "C2", "C3"))
    just_before = exactly - timedelta(microseconds=1)
    assert on_intake(new, WEEK, 3, None, [Received("C1", just_before), r("C2", 3)]) is None
    # A case received after the new one (a concurrent intake) is its own intake's to count, not this one's.
    assert within(AT, WEEK, [r("C1", -0.001), r("C2", 1)]) == [r("C2", 1)]


def test_below_the_threshold_nothing_opens_and_the_new_case_counts_once() -> None:
    new = r("C2", 0)
    assert on_intake(new, WEEK, 3, None, [r("C1", 1)]) is None
    assert on_intake(new, WEEK, 3, None, [r("C1", 1), new]) is None  # already in the read model: not twice
    assert on_intake(new, WEEK, 2, None, [r("C1", 1), new]) == Opens(("C1", "C2"))
    assert on_intake(r("C5", 0), WEEK, 5, None, [r(f"C{i}", i) for i in range(1, 5)]) == Opens(
        ("C4", "C3", "C2", "C1", "C5"))


def test_only_an_open_alert_or_reaching_the_threshold_needs_the_lock() -> None:
    assert not worth_locking(False, 0, 3) and not worth_locking(False, 1, 3)
    assert worth_locking(False, 2, 3)  # with this case, three: it may open one
    assert worth_locking(True, 0, 3)  # an alert is open: the case joins it
    assert worth_locking(False, 1, 2) and not worth_locking(False, 0, 2)


def test_a_later_case_joins_the_open_alert_instead_of_opening_another() -> None:
    alert = OpenAlert("CL-C3", ("C1", "C2", "C3"))
    # Whatever the window: while the alert is open, the community's next case of the category joins it.
    assert on_intake(r("C4", 0), WEEK, 3, alert, []) == Joins("CL-C3", "C4")
    assert on_intake(r("C4", 0), WEEK, 3, alert, [r("C9", 30)]) == Joins("CL-C3", "C4")
    assert on_intake(r("C3", 0), WEEK, 3, alert, []) is None  # a repeated intake of a case it holds


def test_cases_are_counted_by_community_across_its_grids() -> None:
    org = demo_organisation()
    assert community_of(org, "grid-donghu-huayuan-2") == "cm-donghu-huayuan"
    assert grids_of(org, "cm-donghu-huayuan") == ("grid-donghu-huayuan-1", "grid-donghu-huayuan-2")
    assert community_of(org, "grid-gone") == "grid-gone" and grids_of(org, "grid-gone") == ("grid-gone",)
    assert alert_id_for("C-20261120-abc") == "CL-C-20261120-abc"


def received_state() -> CaseState:
    policy = pin_policy(DEFAULT_POLICY, AT)
    event = CaseReceived(title="噪音", description="d", category="neighbour", channel="walk_in",
                         grid_id="grid-donghu-huayuan-1", risk_level=RiskLevel.medium, parties=(), policy=policy)
    return evolve(CaseState(case_id="C3"), event, AT)


def test_the_engine_records_the_alert_once_on_a_case() -> None:
    state = received_state()
    note = NoteCluster(alert_id="CL-C3", jurisdiction="cm-donghu-huayuan", category="neighbour",
                       case_ids=("C1", "C2", "C3"), opened=True)
    with pytest.raises(NotPermitted):
        decide(state, note, MEDIATOR, AT)
    [event] = decide(state, note, SYSTEM_ACTOR, AT)
    assert event == ClusterDetected(alert_id="CL-C3", jurisdiction="cm-donghu-huayuan", category="neighbour",
                                    case_ids=("C1", "C2", "C3"), opened=True)
    after = evolve(state, event, AT)
    assert after.clusters == ("CL-C3",) and after.version == state.version + 1
    with pytest.raises(ActionRefused, match="already records"):
        decide(after, note, SYSTEM_ACTOR, AT)


def test_the_opening_case_tells_the_street_and_district_centres_at_once_without_personal_data() -> None:
    org = demo_organisation()
    state = received_state()
    opened = ClusterDetected(alert_id="CL-C3", jurisdiction="cm-donghu-huayuan", category="neighbour",
                             case_ids=("C1", "C2", "C3"), opened=True)
    [intent] = intents_for(state, opened)
    assert intent.kind == "cluster_alert" and intent.count == 3
    assert recipients(org, intent) == ("liaisons:dept-donghu-zongzhi", "liaisons:dept-linjiang-zongzhi")
    # Urgent even in quiet hours, whatever the case's risk.
    assert is_urgent(intent, RiskLevel.low, NotificationPolicy())
    subject, body = message(intent, "C3", "张三 13800000000 噪音", "Asia/Shanghai", "https://x/cases/C3", org)
    assert subject == "【联调·聚集预警】东湖街道花园社区"
    assert "邻里纠纷类矛盾纠纷近期已达 3 件" in body and "C3" in body
    assert "张三" not in body and "138" not in body  # not even the case's title
    # The other cases of the alert, and a case joining later, are quiet.
    assert intents_for(state, opened.model_copy(update={"opened": False})) == []
    assert not is_urgent(Intent(kind="assignment", level=0, audiences=()), RiskLevel.low, NotificationPolicy())


def test_a_case_received_before_keeps_its_bytes_and_a_repeat_is_recorded() -> None:
    state = received_state()
    plain = CaseReceived(title="噪音", description="d", category="neighbour", channel="walk_in",
                         grid_id="grid-donghu-huayuan-1", risk_level=RiskLevel.medium, parties=(),
                         policy=state.policy)  # type: ignore[arg-type]
    assert "repeat_of" not in payload_data(plain)  # a CaseReceived without a repeat dumps as it always did
    again = plain.model_copy(update={"repeat_of": ("C1", "C0")})
    assert payload_data(again)["repeat_of"] == ["C1", "C0"]
    assert evolve(CaseState(case_id="C3"), again, AT).repeat_of == ("C1", "C0")


def test_the_analysis_section_has_its_defaults_and_names_a_bad_value() -> None:
    assert DEFAULT_POLICY.analysis is None  # absent: a case pinned today stores the bytes it stored before
    rules = DEFAULT_POLICY.analysis_rules
    assert rules.cluster is not None and str(rules.cluster.window) == "7d" and rules.cluster.threshold == 3
    assert str(rules.repeat_window) == "90d"
    given = parse_policy('[analysis]\ncluster = {window = "3d", threshold = 5}\nrepeat_window = "30d"\n')
    assert given.analysis is not None and given.analysis.cluster is not None
    assert (str(given.analysis.cluster.window), given.analysis.cluster.threshold) == ("3d", 5)
    pinned = pin_policy(given, AT)
    assert pinned.model_dump(mode="json")["policy"]["analysis"] == {
        "cluster": {"window": "3d", "threshold": 5}, "repeat_window": "30d"}
    assert type(pinned).model_validate(pinned.model_dump(mode="json")) == pinned  # pinned like the rest
    assert parse_policy("[analysis]\ncluster = false\n").analysis_rules.cluster is None
    for text, expected in [
        ('[analysis]\ncluster = {window = "3wd"}\n', "analysis.cluster.window: the cluster window is counted on "
                                                     'the wall clock: use s, m, h or d (e.g. "7d"), not "3wd"'),
        ("[analysis]\ncluster = {threshold = 1}\n", "analysis.cluster.threshold"),
        ('[analysis]\nrepeat_window = "0d"\n', "analysis.repeat_window: the repeat window must be longer than 0"),
        ("[analysis]\nwindow = 3\n", 'unknown key "analysis.window"'),
    ]:
        with pytest.raises(PolicyError) as caught:
            parse_policy(text)
        assert expected in str(caught.value)
