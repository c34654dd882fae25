"""Who is told of what (domain/notifications.py): pure, no fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from domain.case import CaseState, Task, evolve
from domain.events import (
    CaseListed,
    CaseReceived,
    CaseReopened,
    ClockPaused,
    ClockResumed,
    DepartmentsSummoned,
    DueTimes,
    ExtensionDecided,
    ExtensionRequested,
    Party,
    ResolutionRejected,
    ReturnDecided,
    SummonsReported,
    TaskEscalated,
    TaskReminded,
)
from domain.notifications import (
    Audience,
    Intent,
    intents_for,
    is_urgent,
    message,
    quiet_until,
    recipients,
    redact,
    safe_title,
    targets,
    url_for,
)
from domain.organisation import _read_demo, load_organisation
from domain.policy import DEFAULT_POLICY, NotificationPolicy, parse_policy, pin_policy
from domain.vocabulary import Channel, Clock, PartyRole, RiskLevel, TaskRole, TaskStatus

LEAD = "dept-donghu-huayuan-committee"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def org(notify: dict[str, dict[str, list[str]]] | None = None):  # type: ignore[no-untyped-def]
    data = json.loads(_read_demo())
    for d in data["departments"]:
        if notify and d["id"] in notify:
            d["notify"] = notify[d["id"]]
    return load_organisation(json.dumps(data))


def case_with_task() -> CaseState:
    task = Task(task_id="C-1-T1", department=LEAD, role=TaskRole.lead, status=TaskStatus.pending_ack,
                assigned_at=T0, acknowledge_due_at=T0, reply_due_at=T0)
    return CaseState(case_id="C-1", grid_id="grid-donghu-huayuan-1", title="楼上漏水", tasks=(task,))


def test_the_ladder_tells_the_liaison_then_the_head_and_centre_then_the_centre_one_level_up() -> None:
    state, o = case_with_task(), org()
    remind = intents_for(state, TaskReminded(task_id="C-1-T1", clock=Clock.acknowledge, fraction=0.5, due_at=T0))
    warn = intents_for(state, TaskEscalated(task_id="C-1-T1", clock=Clock.acknowledge, level=2, due_at=T0))
    flag = intents_for(state, TaskEscalated(task_id="C-1-T1", clock=Clock.acknowledge, level=3, due_at=T0,
                                            notify_jurisdiction="st-donghu"))
    assert recipients(o, remind[0]) == (f"liaisons:{LEAD}",)
    # The community has no centre: the case's centre is the street's.
    assert recipients(o, warn[0]) == (f"head:{LEAD}", "liaisons:dept-donghu-zongzhi")
    assert recipients(o, flag[0]) == (f"head:{LEAD}", "liaisons:dept-donghu-zongzhi")
    assert [i.level for i in (*remind, *warn, *flag)] == [1, 2, 3]


def test_a_critical_case_alerts_the_police_station_above_the_grid_and_the_district_centre() -> None:
    received = CaseReceived(title="t", description="d", category="leak", channel=Channel.walk_in,
                            grid_id="grid-donghu-huayuan-1", risk_level=RiskLevel.critical, parties=(),
                            policy=pin_policy(DEFAULT_POLICY, T0))
    (alert,) = intents_for(CaseState(case_id="C-1"), received)
    assert recipients(org(), alert) == ("liaisons:dept-donghu-police", "liaisons:dept-linjiang-zongzhi")
    assert is_urgent(alert, RiskLevel.critical, NotificationPolicy())


def test_channels_are_recorded_redacted_and_found_again_by_their_hash() -> None:
    hook = "json://127.0.0.1:9000/hook/SECRET"
    robot = "wecombot://SECRETKEY"
    mail = "mailto://user:SECRETPASS@smtp.example.org?to=head@example.org"
    o = org({LEAD: {"liaisons": [hook, robot], "head": [mail]}})
    found = targets(o, f"liaisons:{LEAD}") + targets(o, f"head:{LEAD}")
    assert [t.address for t in found] == ["json://127.0.0.1:9000", "wecombot://***", "mailto://smtp.example.org"]
    assert not any("SECRET" in t.model_dump_json() for t in found)
    assert [url_for(o, t.channel_id) for t in found] == [hook, robot, mail]
    # Once the organisation drops a URL, its channel cannot be sent to any more.
    assert url_for(org(), found[0].channel_id) is None
    assert redact("not a url") == "?://***"


def test_quiet_hours_cross_midnight_and_end_in_local_time() -> None:
    policy = NotificationPolicy()  # 21:00-08:00 in Asia/Shanghai
    at_2230 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    assert quiet_until(at_2230, policy, "Asia/Shanghai") == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), policy, "Asia/Shanghai") == \
        datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 07:00 local
    assert quiet_until(T0, policy, "Asia/Shanghai") is None  # 09:00 local
    assert quiet_until(at_2230, NotificationPolicy(quiet_hours=()), "Asia/Shanghai") is None
    back_to_back = NotificationPolicy(quiet_hours=("12:00-13:30", "13:30-14:00"))
    assert quiet_until(datetime(2026, 3, 2, 4, 15, tzinfo=UTC), back_to_back, "Asia/Shanghai") == \
        datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_the_policy_reads_its_notifications_section() -> None:
    policy = parse_policy('[notifications]\nquiet_hours = ["22:00-07:00"]\nurgent = ["high", "critical"]\n')
    assert policy.notifications.quiet_hours == ("22:00-07:00",)
    assert policy.notifications.urgent == (RiskLevel.high, RiskLevel.critical)
    assert DEFAULT_POLICY.notifications.quiet_hours == ("21:00-08:00",)


def test_messages_are_chinese_with_the_due_time_in_local_time_and_no_personal_data() -> None:
    state = CaseState(case_id="C-1", title="张三家漏水 13800001234 求助",
                      parties=(Party(name="张三", role=PartyRole.applicant, phone="13800001234"),))
    title = safe_title(state)
    assert title == "**家漏水 *********** 求助"
    intent = Intent(kind="reminder", level=1, task_id="C-1-T1", clock=Clock.reply, due_at=T0,
                    audiences=(Audience(kind="liaisons", ref=LEAD),))
    subject, body = message(intent, "C-1", title, "Asia/Shanghai", "https://x.example/cases/C-1")
    assert subject == "【联调·催办】案件 C-1"
    assert "2026年03月02日 09:00 前答复" in body and "级别：1 级" in body and "https://x.example/cases/C-1" in body
    assert "张三" not in body and "13800001234" not in body


def test_a_persons_channels_are_recorded_by_id_and_redacted_address_and_found_again_by_hash() -> None:
    from domain.notifications import person_channels_problem, person_of, person_targets, person_url, url_hash

    urls = ("wecombot://ROBOTKEY42", "mailto://wang:pw@mail.example?to=wang@x.cn")
    first, second = person_targets("usr-0a1b2c", urls)
    assert first.channel_id == f"user/usr-0a1b2c/0/{url_hash(urls[0])}" and first.address == "wecombot://***"
    assert (second.role, second.department, second.address) == ("user", "usr-0a1b2c", "mailto://mail.example")
    assert person_targets("usr-0a1b2c", ()) == ()
    assert person_of(first.channel_id) == "usr-0a1b2c"
    assert person_of(f"dept-donghu-labour/liaisons/0/{url_hash(urls[0])}") is None
    assert person_of("user/broken") is None
    # found by its hash wherever it now sits; gone once the person no longer has it
    assert person_url(second.channel_id, (urls[1],)) == urls[1]
    assert person_url(first.channel_id, (urls[1],)) is None
    assert person_channels_problem(list(urls)) is None and person_channels_problem([]) is None
    assert person_channels_problem(["json://h/1"] * 6) == "at most 5 channels a person, not 6"
    assert person_channels_problem(["json://h/1", "wecombot:/KEY"]) == \
        "channel 2 is not an Apprise URL (scheme://…, no spaces): wecombot://***"


def test_a_listing_by_hand_says_it_was_listed_without_a_deadline_it_does_not_have() -> None:
    (intent,) = intents_for(case_with_task(), CaseListed(leader="usr-1", reason="存在民转刑风险", leader_user="usr-1"))
    assert intent.kind == "listed_supervision" and intent.due_at is None
    subject, body = message(intent, "C-1", "楼上漏水", "Asia/Shanghai", "https://x.example/cases/C-1")
    assert subject == "【联调·挂牌督办（红牌）】案件 C-1"
    assert body.startswith("【联调·挂牌督办（红牌）】案件 C-1「楼上漏水」已挂牌督办，请立即办理并报告。"), body
    assert "None" not in body and "时限" not in body


def test_an_extension_request_tells_the_centre_that_decides_it_with_the_deadline_it_would_move() -> None:
    state = case_with_task()
    (intent,) = intents_for(state, ExtensionRequested(task_id="C-1-T1", extra="2wd", reason="等待补充材料"))
    assert (intent.kind, intent.level, intent.clock, intent.due_at) == ("extension_requested", 0, Clock.reply, T0)
    assert intent.audiences == (Audience(kind="centre_of", ref="grid-donghu-huayuan-1"),)
    assert recipients(org(), intent) == ("liaisons:dept-donghu-zongzhi",)
    subject, body = message(intent, "C-1", "楼上漏水", "Asia/Shanghai", "https://x.example/cases/C-1")
    assert subject == "【联调·延期申请】案件 C-1"
    assert "责任单位申请延期，现答复时限 2026年03月02日 09:00，请督办人在此前审批。" in body
    assert intents_for(state, ExtensionRequested(task_id="C-1-T9", extra="2wd", reason="x")) == []  # no such task


def test_a_department_sent_back_to_work_is_told_with_its_new_reply_deadline() -> None:
    state, later = case_with_task(), datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
    again = (DueTimes(task_id="C-1-T1", acknowledge_due_at=T0, reply_due_at=later),
             DueTimes(task_id="C-1-T9", acknowledge_due_at=T0, reply_due_at=later))  # no such task: no one told
    told = {}
    for event in (ResolutionRejected(note="材料不全", reopened=again),
                  CaseReopened(reason="回访不满意，经督办人认定合理: 确未解决", reopen_count=1, reopened=again)):
        (intent,) = intents_for(state, event)
        assert intent.audiences == (Audience(kind="liaisons", ref=LEAD),)
        assert (intent.level, intent.task_id, intent.clock, intent.due_at) == (0, "C-1-T1", Clock.reply, later)
        told[intent.kind] = message(intent, "C-1", "楼上漏水", "Asia/Shanghai", "https://x/c")[1]
    assert told["verification_rejected"].startswith("【联调·验收退回】案件 C-1「楼上漏水」办理结果验收未通过，"
                                                   "已退回本单位重新办理，请于 2026年03月05日 09:00 前答复。")
    assert told["case_reopened"].startswith("【联调·重新办理】案件 C-1「楼上漏水」回访当事人不满意，案件重新办理，"
                                            "请于 2026年03月05日 09:00 前答复。")
    assert all("材料不全" not in text and "确未解决" not in text for text in told.values())  # free text stays out
    assert intents_for(state, ResolutionRejected(note="x")) == []  # nothing reopened (no lead had replied)


def test_a_paused_clock_tells_each_department_at_work_and_its_resumption_the_deadline_moved() -> None:
    state, later = case_with_task(), datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
    done = Task(task_id="C-1-T2", department="dept-donghu-justice", role=TaskRole.co, status=TaskStatus.replied,
                assigned_at=T0, acknowledge_due_at=T0, reply_due_at=T0)
    state = state.model_copy(update={"tasks": (*state.tasks, done)})  # replied: no deadline left to stop or move
    (paused,) = intents_for(state, ClockPaused(reason="等待鉴定"))
    (resumed,) = intents_for(state, ClockResumed(reason="鉴定完成", due_times=(
        DueTimes(task_id="C-1-T1", acknowledge_due_at=later, reply_due_at=T0),)))
    for intent in (paused, resumed):
        assert intent.audiences == (Audience(kind="liaisons", ref=LEAD),) and intent.clock is Clock.acknowledge
    assert resumed.due_at == later  # the deadline it is on (签收, not yet acknowledged), moved by the pause
    told = [message(i, "C-1", "楼上漏水", "Asia/Shanghai", "https://x/c")[1] for i in (paused, resumed)]
    assert told[0].startswith("【联调·中止计时】案件 C-1「楼上漏水」"
                              "已中止计时，签收时限暂停计算；恢复计时后将告知新的时限。")
    assert told[1].startswith("【联调·恢复计时】案件 C-1「楼上漏水」已恢复计时，签收时限顺延至 2026年03月06日 09:00。")
    assert all("鉴定" not in text for text in told)


def test_the_centre_that_summoned_is_told_when_the_last_department_reported() -> None:
    justice = "dept-donghu-justice"
    state = evolve(case_with_task(), DepartmentsSummoned(summons_id="C-1-S1", departments=(LEAD, justice),
                                                         reason="吹哨报到", due_at=T0), T0)
    first = SummonsReported(summons_id="C-1-S1", department=justice, note="已到场")
    assert intents_for(state, first) == []  # one still to report
    (done,) = intents_for(evolve(state, first, T0), SummonsReported(summons_id="C-1-S1", department=LEAD))
    assert (done.kind, done.level, done.count) == ("summons_reported", 0, 2)
    assert recipients(org(), done) == ("liaisons:dept-donghu-zongzhi",)
    subject, body = message(done, "C-1", "楼上漏水", "Asia/Shanghai", "https://x/c")
    assert subject == "【联调·全部报到】案件 C-1" and "「楼上漏水」吹哨召集的2个单位已全部报到。" in body
    assert intents_for(state, SummonsReported(summons_id="C-1-S9", department=LEAD)) == []  # no such summons


def test_each_decision_on_a_request_tells_the_department_that_asked() -> None:
    state, later = case_with_task(), datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    told = {}
    for event in (ExtensionDecided(task_id="C-1-T1", approved=True, reply_due_at=later),
                  ExtensionDecided(task_id="C-1-T1", approved=False, note="理由不足", reply_due_at=T0),
                  ReturnDecided(task_id="C-1-T1", approved=True), ReturnDecided(task_id="C-1-T1", approved=False)):
        (intent,) = intents_for(state, event)
        assert intent.audiences == (Audience(kind="liaisons", ref=LEAD),) and intent.level == 0
        told[(intent.kind, intent.approved)] = message(intent, "C-1", "楼上漏水", "Asia/Shanghai", "https://x/c")[1]
    assert "延期申请已批准，答复时限延至 2026年03月04日 09:00。" in told[("extension_decided", True)]
    assert "延期申请未获批准，请于 2026年03月02日 09:00 前答复。" in told[("extension_decided", False)]
    assert "退回申请已批准，任务已退回。" in told[("return_decided", True)]
    assert "退回申请未获批准（强制派单），请本单位继续办理。" in told[("return_decided", False)]
    assert all("理由不足" not in text for text in told.values())  # the note is free text: never in a message
    assert all(text.startswith(("【联调·延期审批】", "【联调·退回审批】")) for text in told.values())
