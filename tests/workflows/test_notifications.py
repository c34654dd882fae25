"""Notifications reach people: delivered through Apprise to real receivers on 127.0.0.1 (a webhook for
``json://``, an SMTP server for ``mailto://``), each outcome recorded in the case's hash-chained stream."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from temporalio.worker import Replayer

from application.case_client import CaseClient
from domain.commands import (
    AcknowledgeTask,
    AssignLeader,
    DecideExtension,
    DecideReturn,
    HandUp,
    JudgeComplaint,
    PauseClock,
    ReceiveCase,
    RecordFollowUp,
    ReplyTask,
    ReportToSummons,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    SummonDepartments,
    VerifyResolution,
)
from domain.events import (
    Actor,
    ClockResumed,
    ExtensionDecided,
    NotificationDeferred,
    NotificationDelivered,
    ResolutionRejected,
)
from domain.organisation import JurisdictionLevel
from domain.vocabulary import Channel, Outcome, RiskLevel, Role, Satisfaction
from infra.audit.dossier import render_dossier_html
from infra.audit.timeline import replay
from infra.event_store import EventStore
from infra.settings import Settings
from infra.temporal import data_converter, load_codec
from tests.conftest import TEST_KEYS
from tests.receivers import Mailbox, Webhook
from tests.workflows.notify_setup import (
    NO_QUIET,
    PUBLIC_URL,
    SECRET,
    issued,
    organisation,
    outcomes,
    posts_for,
    settled,
)
from tests.workflows.scenario import (
    CALM,
    CO,
    FAST,
    LEAD,
    MEDIATOR,
    SUPERVISOR,
    liaison,
    receive_command,
    wait_for_events,
)
from workers.case_worker import build_worker
from workflows.dispute_case import DisputeCaseWorkflow

TASK_QUEUE = "tests-notify"
HISTORIES = Path(__file__).parent.parent / "histories"
# Histories recorded here are named <scenario>-<the workflow change they were recorded after>.json; the older
# ones (``-notify``) stay, for the cases still running under older code.
RECORDED_AFTER = "batch-deliveries"


async def replays(client, case_id: str, scenario: str,  # type: ignore[no-untyped-def]
                  after: str = RECORDED_AFTER) -> None:
    """The case's history so far replays on today's code; recorded with LIANDIAO_RECORD_HISTORIES=1."""
    history = await client.get_workflow_handle(case_id).fetch_history()
    if os.environ.get("LIANDIAO_RECORD_HISTORIES") == "1":
        (HISTORIES / f"{scenario}-{after}.json").write_text(history.to_json())
    # With the payload codec, as every worker runs (tests/conftest.py's key ring).
    await Replayer(workflows=[DisputeCaseWorkflow],
                   data_converter=data_converter(load_codec(TEST_KEYS))).replay_workflow(history)


@pytest.fixture(scope="module")
async def receivers() -> AsyncIterator[tuple[Webhook, Mailbox]]:
    hook, mail = Webhook().start(), Mailbox().start()
    yield hook, mail
    hook.stop()
    mail.stop()


@pytest.fixture(scope="module")
async def notifying(temporal_client, pool: asyncpg.Pool, receivers) -> AsyncIterator[CaseClient]:  # type: ignore[no-untyped-def]
    """A worker whose organisation reaches the departments at the receivers."""
    hook, mail = receivers
    settings = Settings(public_url=PUBLIC_URL, notify_give_up_after_s=600)
    async with build_worker(temporal_client, pool, TASK_QUEUE, org=organisation(hook, mail), settings=settings):
        yield CaseClient(temporal_client, TASK_QUEUE)


async def routed(cases: CaseClient, policy: str, co: tuple[str, ...] = (), **changes: object) -> str:
    case_id = f"N-{uuid.uuid4().hex[:10]}"
    await cases.receive(case_id, receive_command(policy, **changes), MEDIATOR)
    await cases.act(case_id, RouteCase(lead_department=LEAD, co_departments=co), MEDIATOR)
    return case_id


async def test_an_unacknowledged_tasks_reminder_warning_and_listing_reach_the_right_receivers(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    hook, mail = receivers
    store = EventStore(pool)
    case_id = await routed(notifying, FAST + NO_QUIET)
    events = await wait_for_events(
        store, case_id, lambda es: settled(es, "assignment", "reminder", "warning", "listed_supervision"), 90)

    # The liaison is told of the assignment and reminded; the head (webhook and e-mail) and the centre of the
    # street are told of the warning (预警) and of the listing (挂牌督办): no one else.
    # (Sorted: deliveries run side by side, so a loaded machine may deliver them in any order.)
    assert sorted(m.split("】")[0] for m in posts_for(hook, case_id, "/lead/liaison")) == [
        "【联调·催办", "【联调·派单"]
    assert sorted(m.split("】")[0] for m in posts_for(hook, case_id, "/lead/head")) == [
        "【联调·挂牌督办（红牌）", "【联调·预警（黄牌）"]
    assert sorted(m.split("】")[0] for m in posts_for(hook, case_id, "/street-centre")) == [
        "【联调·挂牌督办（红牌）", "【联调·预警（黄牌）"]
    mails = [m for m in mail.mails if case_id in m.subject]
    assert [m.to for m in mails] == [["head@huayuan.example"]] * 2
    assert sorted("预警" in m.body for m in mails) == [False, True]
    assert sorted("挂牌督办" in m.body for m in mails) == [False, True]
    assert not posts_for(hook, case_id, "/police") and not posts_for(hook, case_id, "/district-centre")

    # The messages say what is due, by when (local time), the level, the case and a link; the record shows
    # who was told, on which channel, and that it arrived.
    reminder = next(m for m in posts_for(hook, case_id, "/lead/liaison") if m.startswith("【联调·催办"))
    assert f"{PUBLIC_URL}cases/{case_id}" in reminder and "级别：1 级" in reminder and "前签收" in reminder
    assert "楼上漏水" in reminder
    listing = next(n for n in issued(events) if n.kind == "listed_supervision")
    assert listing.recipients == (f"head:{LEAD}", "liaisons:dept-donghu-zongzhi") and listing.urgent
    done = outcomes(events)
    assert all(isinstance(done[(n.notification_id, t.channel_id)].payload, NotificationDelivered)
               for n in issued(events) for t in n.targets)
    assert {t.address for t in listing.targets} == {f"json://127.0.0.1:{hook.port}", f"mailto://127.0.0.1:{mail.port}"}
    verification = await store.verify(case_id)
    assert verification.valid
    # The timeline and the dossier show the 送达记录.
    state, timeline = replay(events)
    assert f"通知已送达{LEAD}负责人（mailto://127.0.0.1:{mail.port}，1 次尝试）" in [
        t.description for t in timeline]
    dossier = render_dossier_html(state, events, verification, None)
    assert "送达记录" in dossier and "已送达 delivered" in dossier and "/lead/" not in dossier
    await replays(notifying.client, case_id, "notify_ladder")


async def test_a_receiver_that_fails_three_times_then_recovers_gets_the_message_once(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    hook, _ = receivers
    path = f"/co/liaison/{SECRET}"
    hook.refuse[path] = 3
    case_id = await routed(notifying, CALM + NO_QUIET, co=(CO,))
    events = await wait_for_events(EventStore(pool), case_id, lambda es: settled(es, "assignment"), 90)

    assert len(posts_for(hook, case_id, path)) == 1
    to_co = next(n for n in issued(events) if n.recipients == (f"liaisons:{CO}",))
    (target,) = to_co.targets
    delivered = outcomes(events)[(to_co.notification_id, target.channel_id)].payload
    assert isinstance(delivered, NotificationDelivered) and delivered.attempts == 4
    # The URL's secret (here in its path) is in no event: the channel is an id and a redacted address.
    assert target.address == f"json://127.0.0.1:{hook.port}"
    assert not any(SECRET in e.payload.model_dump_json() for e in (await EventStore(pool).read_stream(case_id)))


def _quiet_window() -> tuple[str, datetime]:
    """Quiet hours that began an hour ago and end at a whole minute 90 to 150 s away (time enough to set the
    cases up on a loaded machine)."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    end = (now + timedelta(seconds=150)).replace(second=0, microsecond=0)
    return f'\n[notifications]\nquiet_hours = ["{(now - timedelta(hours=1)):%H:%M}-{end:%H:%M}"]\n', end


async def test_quiet_hours_defer_a_medium_risk_reminder_and_let_a_critical_alert_through(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    hook, _ = receivers
    store = EventStore(pool)
    quiet, end = _quiet_window()
    slow_ladder = FAST.replace('acknowledge_within = "2s"', 'acknowledge_within = "4s"').replace(
        'flag_after = "1s"', 'flag_after = "1h"')
    medium = await routed(notifying, slow_ladder + quiet)
    critical = f"N-{uuid.uuid4().hex[:10]}"
    await notifying.receive(critical, receive_command(CALM + quiet, risk_level=RiskLevel.critical), MEDIATOR)

    # The critical case's alert goes at once to the police station above the grid and the district centre.
    await wait_for_events(store, critical, lambda es: settled(es, "critical_alert"), 60)
    assert len(posts_for(hook, critical, "/police")) == 1 and len(posts_for(hook, critical, "/district-centre")) == 1
    # The medium case's reminder falls due in quiet hours: deferred to their end, not sent.
    events = await wait_for_events(store, medium, lambda es: any(n.kind == "reminder" for n in issued(es)), 60)
    reminder = next(n for n in issued(events) if n.kind == "reminder")
    deferred = [e.payload for e in events if isinstance(e.payload, NotificationDeferred)
                and e.payload.notification_id == reminder.notification_id]
    assert [d.until for d in deferred] == [end]
    if datetime.now(ZoneInfo("Asia/Shanghai")) < end - timedelta(seconds=2):
        assert not posts_for(hook, medium, "/lead/liaison")

    # When the quiet hours end, the durable timer fires and it goes out.
    events = await wait_for_events(store, medium, lambda es: settled(es, "assignment", "reminder"), 240)
    sent = outcomes(events)[(reminder.notification_id, reminder.targets[0].channel_id)]
    assert isinstance(sent.payload, NotificationDelivered) and sent.occurred_at >= end
    # Released together at the end of the quiet hours: in no particular order.
    assert {"【联调·派单", "【联调·催办"} <= {m.split("】")[0] for m in posts_for(hook, medium, "/lead/liaison")}
    await replays(notifying.client, medium, "notify_quiet")


async def test_no_personal_data_in_any_message(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    hook, mail = receivers
    # A title typed with a party's name and phone in it: the message masks them.
    command: ReceiveCase = receive_command(CALM + NO_QUIET, title="张三家楼上漏水 13800001234")
    case_id = f"N-{uuid.uuid4().hex[:10]}"
    await notifying.receive(case_id, command, MEDIATOR)
    await notifying.act(case_id, RouteCase(lead_department=LEAD, co_departments=(CO,)), MEDIATOR)
    await wait_for_events(EventStore(pool), case_id, lambda es: settled(es, "assignment"), 60)
    texts = [p.body["message"] + p.body["title"] for p in hook.posts if case_id in p.body["message"]]
    texts += [m.subject + m.body for m in mail.mails if case_id in m.subject]
    assert texts
    for text in texts:
        for party in command.parties:
            for value in (party.name, party.phone, party.id_number):
                assert not value or value not in text
    assert "**家楼上漏水" in texts[0]
    await asyncio.sleep(0)


async def test_a_hand_up_reaches_the_next_levels_centre_and_no_one_else(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    """上交: a grid worker's report (at the community) handed up reaches the street's centre at its receiver; handed
    up again, the district's; the message names the case and the level, never a party."""
    hook, _ = receivers
    store = EventStore(pool)
    worker = Actor(role=Role.grid_worker, id="gw-1", jurisdiction="grid-donghu-huayuan-1")
    case_id = f"N-{uuid.uuid4().hex[:10]}"
    await notifying.receive(case_id, receive_command(CALM + NO_QUIET, channel=Channel.grid_report), worker)
    await notifying.act(case_id, HandUp(reason="张三与李四的纠纷涉及两个社区"), worker)
    await wait_for_events(store, case_id, lambda es: settled(es, "handed_up"), 60)
    [to_street] = posts_for(hook, case_id, "/street-centre")
    assert to_street.startswith(f"【联调·上交】案件 {case_id}") and "已上交至街道，请本中心接办" in to_street
    assert f"{PUBLIC_URL}cases/{case_id}" in to_street
    assert "张三" not in to_street and "李四" not in to_street and "13800001234" not in to_street
    assert not posts_for(hook, case_id, "/district-centre")

    await notifying.act(case_id, HandUp(reason="街道协调不了", from_level=JurisdictionLevel.street), MEDIATOR)
    events = await wait_for_events(
        store, case_id, lambda es: settled(es) and sum(n.kind == "handed_up" for n in issued(es)) == 2, 60)
    [to_district] = posts_for(hook, case_id, "/district-centre")
    assert "已上交至区，请本中心接办" in to_district
    assert len(posts_for(hook, case_id, "/street-centre")) == 1
    assert [n.recipients for n in issued(events) if n.kind == "handed_up"] == [
        ("liaisons:dept-donghu-zongzhi",), ("liaisons:dept-linjiang-zongzhi",)]
    done = outcomes(events)
    assert all(isinstance(done[(n.notification_id, t.channel_id)].payload, NotificationDelivered)
               for n in issued(events) for t in n.targets)
    assert (await store.verify(case_id)).valid
    await replays(notifying.client, case_id, "hand_up")


async def test_a_departments_requests_reach_the_centre_and_the_decisions_reach_the_department(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    """延期申请 reaches the centre of the case's jurisdiction (who decides), with the reply deadline it would move,
    as a return request does; each decision (延期审批, 退回审批) reaches the department that asked: an approved
    extension with its new deadline, a refused return as 强制派单. No message names a party."""
    hook, _ = receivers
    store = EventStore(pool)
    case_id = await routed(notifying, CALM + NO_QUIET, co=(CO,))
    lead, co = f"{case_id}-T1", f"{case_id}-T2"
    await notifying.act(case_id, AcknowledgeTask(task_id=lead), liaison(LEAD))
    await notifying.act(case_id, RequestExtension(task_id=lead, extra="2h", reason="等待张三补交材料"), liaison(LEAD))
    events = await wait_for_events(store, case_id, lambda es: settled(es, "extension_requested"), 60)
    [asked] = [n for n in issued(events) if n.kind == "extension_requested"]
    assert asked.recipients == ("liaisons:dept-donghu-zongzhi",) and asked.level == 0
    [to_centre] = [p for p in posts_for(hook, case_id, "/street-centre") if "延期" in p]
    assert to_centre.startswith(f"【联调·延期申请】案件 {case_id}"), to_centre
    assert "责任单位申请延期，现答复时限" in to_centre and "请督办人在此前审批" in to_centre
    assert not [p for p in posts_for(hook, case_id, "/lead/liaison") + posts_for(hook, case_id, "/lead/head")
                if "延期" in p]  # not told its own request

    await notifying.act(case_id, DecideExtension(task_id=lead, approve=True), SUPERVISOR)
    await notifying.act(case_id, ReturnTask(task_id=co, reason="非本单位职责"), liaison(CO))
    await notifying.act(case_id, DecideReturn(task_id=co, approve=False, note="属本单位职责"), SUPERVISOR)
    events = await wait_for_events(store, case_id, lambda es: settled(es, "extension_decided", "return_decided"), 60)
    [approved] = [p for p in posts_for(hook, case_id, "/lead/liaison") if "延期" in p]
    moved = next(e.payload.reply_due_at for e in events if isinstance(e.payload, ExtensionDecided))
    assert f"延期申请已批准，答复时限延至 {moved.astimezone(ZoneInfo('Asia/Shanghai')):%Y年%m月%d日 %H:%M}" in approved
    [refused] = [p for p in posts_for(hook, case_id, f"/co/liaison/{SECRET}") if "退回" in p]
    assert refused.startswith(f"【联调·退回审批】案件 {case_id}"), refused
    assert "退回申请未获批准（强制派单），请本单位继续办理" in refused
    for text in (to_centre, approved, refused):
        assert "张三" not in text and "13800001234" not in text and "属本单位职责" not in text
    assert (await store.verify(case_id)).valid
    await replays(notifying.client, case_id, "requests", after="request-notices")


async def test_a_department_sent_back_to_work_is_told_at_once_with_its_new_reply_deadline(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    """验收不通过 and a case reopened by a dissatisfied follow-up each send the lead department back to work with a
    new reply deadline: its liaisons hear it then, not from the first reminder. The reason given stays out."""
    hook, _ = receivers
    store = EventStore(pool)
    case_id = await routed(notifying, CALM + NO_QUIET)
    lead = f"{case_id}-T1"
    await notifying.act(case_id, AcknowledgeTask(task_id=lead), liaison(LEAD))
    await notifying.act(case_id, ReplyTask(task_id=lead, summary="已处理"), liaison(LEAD))
    await notifying.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    await notifying.act(case_id, VerifyResolution(accepted=False, note="张三的材料不全"), SUPERVISOR)
    events = await wait_for_events(store, case_id, lambda es: settled(es, "verification_rejected"), 60)
    [sent_back] = [n for n in issued(events) if n.kind == "verification_rejected"]
    reopened = next(e.payload.reopened for e in events if isinstance(e.payload, ResolutionRejected))
    assert sent_back.recipients == (f"liaisons:{LEAD}",) and sent_back.due_at == reopened[0].reply_due_at
    [rejected] = [p for p in posts_for(hook, case_id, "/lead/liaison") if "验收" in p]
    due = f"{reopened[0].reply_due_at.astimezone(ZoneInfo('Asia/Shanghai')):%Y年%m月%d日 %H:%M}"
    assert rejected.startswith(f"【联调·验收退回】案件 {case_id}"), rejected
    assert f"办理结果验收未通过，已退回本单位重新办理，请于 {due} 前答复" in rejected

    await notifying.act(case_id, ReplyTask(task_id=lead, summary="补充答复"), liaison(LEAD))
    await notifying.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    await notifying.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    await notifying.act(case_id, RecordFollowUp(satisfaction=Satisfaction.dissatisfied), MEDIATOR)
    await notifying.act(case_id, JudgeComplaint(reasonable=True, reason="确未解决"), SUPERVISOR)
    events = await wait_for_events(store, case_id, lambda es: settled(es, "case_reopened"), 60)
    [again] = [p for p in posts_for(hook, case_id, "/lead/liaison") if "重新办理】" in p]
    assert "回访当事人不满意，案件重新办理，请于" in again
    for text in (rejected, again):
        assert "张三" not in text and "13800001234" not in text and "材料不全" not in text and "确未解决" not in text
    assert (await store.verify(case_id)).valid
    await replays(notifying.client, case_id, "reopen", after="deadline-notices")


async def test_a_paused_clock_and_its_resumption_reach_every_department_at_work(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    """中止计时 tells each department with a task open that its deadline stopped; 恢复计时, the deadline it now
    works to (签收 or 答复, whichever it is on), moved by the paused time. The reason stays in the case."""
    hook, _ = receivers
    store = EventStore(pool)
    case_id = await routed(notifying, CALM + NO_QUIET, co=(CO,))
    await notifying.act(case_id, AcknowledgeTask(task_id=f"{case_id}-T1"), liaison(LEAD))
    await notifying.act(case_id, PauseClock(reason="等待张三的伤情鉴定"), SUPERVISOR)
    events = await wait_for_events(store, case_id, lambda es: settled(es, "clock_paused"), 60)
    assert sorted(n.recipients for n in issued(events) if n.kind == "clock_paused") == [
        (f"liaisons:{CO}",), (f"liaisons:{LEAD}",)]
    [stopped] = [p for p in posts_for(hook, case_id, "/lead/liaison") if "中止计时】" in p]
    assert "已中止计时，答复时限暂停计算" in stopped

    await notifying.act(case_id, ResumeClock(reason="鉴定完成"), SUPERVISOR)
    events = await wait_for_events(store, case_id, lambda es: settled(es, "clock_resumed"), 60)
    moved = {d.task_id: d for e in events if isinstance(e.payload, ClockResumed) for d in e.payload.due_times}
    def local(at: datetime) -> str:
        return f"{at.astimezone(ZoneInfo('Asia/Shanghai')):%Y年%m月%d日 %H:%M}"

    [lead] = [p for p in posts_for(hook, case_id, "/lead/liaison") if "恢复计时】" in p]
    assert f"已恢复计时，答复时限顺延至 {local(moved[f'{case_id}-T1'].reply_due_at)}" in lead
    [co] = [p for p in posts_for(hook, case_id, f"/co/liaison/{SECRET}") if "恢复计时】" in p]
    assert f"签收时限顺延至 {local(moved[f'{case_id}-T2'].acknowledge_due_at)}" in co
    for text in (stopped, lead, co):
        assert "张三" not in text and "鉴定" not in text
    assert (await store.verify(case_id)).valid
    await replays(notifying.client, case_id, "pause", after="deadline-notices")


async def test_the_centre_that_summoned_hears_when_the_last_department_reported(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    """吹哨报到: each summoned department is told to report; once the last has reported, the centre of the case's
    jurisdiction is told, once, so it can go on (a meeting, mediation). A report's note stays in the case."""
    hook, _ = receivers
    store = EventStore(pool)
    case_id = await routed(notifying, CALM + NO_QUIET, co=(CO,))
    await notifying.act(case_id, SummonDepartments(departments=(LEAD, CO), reason="吹哨报到"), SUPERVISOR)
    await notifying.act(case_id, ReportToSummons(summons_id=f"{case_id}-S1", note="张三已到场"), liaison(CO))
    await notifying.act(case_id, ReportToSummons(summons_id=f"{case_id}-S1"), liaison(LEAD))
    events = await wait_for_events(store, case_id, lambda es: settled(es, "summons", "summons_reported"), 60)
    assert [n.recipients for n in issued(events) if n.kind == "summons_reported"] == [
        ("liaisons:dept-donghu-zongzhi",)]
    [all_in] = [p for p in posts_for(hook, case_id, "/street-centre") if "报到" in p]
    assert all_in.startswith(f"【联调·全部报到】案件 {case_id}") and "吹哨召集的2个单位已全部报到" in all_in
    assert "张三" not in all_in and "已到场" not in all_in
    assert (await store.verify(case_id)).valid
    await replays(notifying.client, case_id, "summons", after="summons-notice")


async def test_a_leader_is_told_on_their_own_channel_and_a_leader_without_one_in_the_workbench_only(
    notifying: CaseClient, receivers, pool: asyncpg.Pool  # type: ignore[no-untyped-def]
) -> None:
    """包案: the leader the admin gave a channel gets the assignment there (delivered, recorded with the redacted
    address and the person as recipient); a leader with none is told in the workbench alone, as before."""
    from application.people import People

    hook, _ = receivers
    store = EventStore(pool)
    people = People(pool, organisation(hook, None))
    run = uuid.uuid4().hex[:8]
    path = f"/leader/{run}/{SECRET}"
    told = await people.add_user(name="王志刚", role=Role.leader, login=f"leader-{run}")
    await people.set_channels(told.user.login, [hook.url(path)])
    quiet = await people.add_user(name="刘副区长", role=Role.leader, login=f"quiet-{run}")

    case_id = await routed(notifying, CALM + NO_QUIET)
    await notifying.act(case_id, AssignLeader(user=told.user.id, reason="重大疑难", user_role=Role.leader), SUPERVISOR)
    events = await wait_for_events(store, case_id, lambda es: settled(es, "leader_assignment"), 60)
    [message_] = posts_for(hook, case_id, path)
    assert message_.startswith("【联调·") and f"{PUBLIC_URL}cases/{case_id}" in message_ and "王志刚" not in message_
    [assignment] = [n for n in issued(events) if n.kind == "leader_assignment"]
    assert assignment.recipients == (f"user:{told.user.id}",)
    [target] = assignment.targets
    assert (target.role, target.department, target.address) == ("user", told.user.id, f"json://127.0.0.1:{hook.port}")
    assert isinstance(outcomes(events)[(assignment.notification_id, target.channel_id)].payload,
                      NotificationDelivered)
    stored = await pool.fetch("SELECT data::text AS data FROM events WHERE case_id = $1", case_id)
    assert not any(SECRET in r["data"] for r in stored)  # the URL's secret never reaches the record

    other = await routed(notifying, CALM + NO_QUIET)
    await notifying.act(other, AssignLeader(user=quiet.user.id, reason="重大疑难", user_role=Role.leader), SUPERVISOR)
    events = await wait_for_events(store, other, lambda es: settled(es, "leader_assignment"), 60)
    [assignment] = [n for n in issued(events) if n.kind == "leader_assignment"]
    assert assignment.recipients == (f"user:{quiet.user.id}",) and assignment.targets == ()
    assert not [p for p in hook.accepted() if other in p.body["message"] and p.path.startswith("/leader/")]
