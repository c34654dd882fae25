"""Each event of a case told in one Chinese line: the one describer behind the workbench's 办理过程, the
auditor's timeline (``liandiao audit replay``, the workbench's replay page) and the dossier.

Pure: the state comes from the domain's own fold (``evolve``), departments, places and categories are named
from the organisation the case was received under (their ids only when it does not know them), times are
shown in the timezone of the policy pinned to the case, and free text is masked with the parties' data
(:func:`domain.masking.redact`) unless the reader may see it. An event this module does not know (a newer
version) is told by its type name rather than failing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.case import CaseState, evolve
from domain.events import (
    Actor,
    AgendaItemDecided,
    AgendaItemProposed,
    AttachmentAdded,
    CalendarUpdated,
    CaseArchived,
    CaseHandedUp,
    CaseListed,
    CaseMarkedDuplicate,
    CaseNotAccepted,
    CaseReceived,
    CaseReopened,
    CaseRouted,
    ClockPaused,
    ClockResumed,
    ClusterDetected,
    CommitmentFulfilled,
    ComplaintJudged,
    DepartmentsSummoned,
    DocumentIssued,
    EscalationCleared,
    ExtensionDecided,
    ExtensionRequested,
    FollowUpRecorded,
    FollowUpScheduled,
    JudicialConfirmationApplied,
    JudicialConfirmationDecided,
    JudicialConfirmationWindowOpened,
    LeaderAssigned,
    ListingLifted,
    MediationRecorded,
    MeetingConvened,
    MeetingEvent,
    MeetingMinutesRecorded,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationIssued,
    PerformanceRecorded,
    RecordedEvent,
    ResolutionRejected,
    ResolutionSubmitted,
    ResolutionVerified,
    ReturnDecided,
    ReturnRequested,
    RiskRegraded,
    SignedAgreementFiled,
    StandingMeetingCalled,
    StandingMeetingMinuted,
    SummonsReported,
    TaskAcknowledged,
    TaskAssigned,
    TaskAssigneeNamed,
    TaskEscalated,
    TaskRated,
    TaskReminded,
    TaskReplied,
    TaskReturned,
    TaskWithdrawn,
    WatchedDeadlinesMoved,
)
from domain.handling import LEVEL_NAMES
from domain.masking import redact
from domain.organisation import Organisation
from domain.policy import Duration
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    DocumentKind,
    Grade,
    MediationMethod,
    NotAcceptedReason,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)

DEFAULT_TIMEZONE = "Asia/Shanghai"

# The domain's words in Chinese (the workbench shows the same ones).
ROLE = {Role.mediator: "调解员", Role.liaison: "联络员", Role.supervisor: "督办人", Role.auditor: "审计",
        Role.admin: "管理员", Role.grid_worker: "网格员",
        Role.leader: "领导", Role.system: "系统"}
CHANNEL = {Channel.walk_in: "来访", Channel.hotline: "12345热线", Channel.grid_report: "网格上报",
           Channel.online: "网上"}
STAGE = {Stage.intake: "受理", Stage.triage: "待分流", Stage.coordination: "协调中", Stage.supervision: "督办验收",
         Stage.archived: "已归档"}
PARTY_ROLE = {PartyRole.applicant: "申请人", PartyRole.respondent: "被申请人", PartyRole.third_party: "第三人"}
RISK = {RiskLevel.low: "低", RiskLevel.medium: "中", RiskLevel.high: "高", RiskLevel.critical: "极高"}
TASK_ROLE = {TaskRole.lead: "牵头", TaskRole.co: "协办"}
TASK_STATUS = {TaskStatus.pending_ack: "待签收", TaskStatus.acknowledged: "办理中",
               TaskStatus.return_requested: "申请退回（待审批）", TaskStatus.returned: "已退回",
               TaskStatus.replied: "已答复", TaskStatus.cancelled: "已撤销"}
CLOCK = {Clock.acknowledge: "签收", Clock.reply: "答复", Clock.report: "报到", Clock.commitment: "承诺办理",
         Clock.follow_up: "回访", Clock.performance: "协议履行", Clock.judicial_confirmation: "申请司法确认"}
DOCUMENT = {DocumentKind.registration: "人民调解登记表", DocumentKind.mediation_record: "人民调解记录",
            DocumentKind.agreement: "人民调解协议书", DocumentKind.supervision_notice: "督办通知单",
            DocumentKind.follow_up_record: "回访记录", DocumentKind.case_file: "卷宗"}
LEVEL = {1: "催办", 2: "预警", 3: "挂牌督办"}
OUTCOME = {Outcome.mediated: "调解成功", Outcome.partially_resolved: "部分解决",
           Outcome.referred_to_litigation: "引导诉讼/仲裁", Outcome.withdrawn: "撤回", Outcome.no_basis: "诉求不合理",
           Outcome.resolved_on_spot: "就地化解"}
GRADE = {Grade.excellent: "优秀", Grade.good: "良好", Grade.fair: "一般", Grade.poor: "差"}
SATISFACTION = {Satisfaction.satisfied: "满意", Satisfaction.basically_satisfied: "基本满意",
                Satisfaction.dissatisfied: "不满意"}
METHOD = {MediationMethod.people: "人民调解", MediationMethod.administrative: "行政调解",
          MediationMethod.judicial: "司法调解", MediationMethod.public_security: "治安调解"}
NOT_ACCEPTED = {NotAcceptedReason.out_of_scope: "不属于受理范围",
                NotAcceptedReason.in_litigation: "已进入诉讼或仲裁程序",
                NotAcceptedReason.duplicate: "重复件", NotAcceptedReason.other: "其他"}
ARCHIVE = {ArchiveReason.resolved: "办结", ArchiveReason.not_accepted: "不予受理", ArchiveReason.duplicate: "重复件"}
NOTIFICATION_KIND = {"assignment": "派单", "reminder": "催办", "warning": "预警", "listed_supervision": "挂牌督办",
                     "critical_alert": "紧急预警", "summons": "吹哨报到", "return_requested": "退回申请",
                     "judicial_confirmation": "司法确认申请", "monthly_report": "月度研判报告",
                     "handed_up": "上交", "cluster_alert": "聚集预警",
                     "leader_assignment": "包案通知", "extension_requested": "延期申请",
                     "extension_decided": "延期审批", "return_decided": "退回审批",
                     "verification_rejected": "验收退回", "case_reopened": "重新办理",
                     "clock_paused": "中止计时", "clock_resumed": "恢复计时", "summons_reported": "全部报到"}
RECIPIENT_ROLE = {"liaisons": "联络员", "head": "负责人"}


class Names:
    """Department, jurisdiction and category names from an organisation; the id itself without one. People
    (责任人, 包案领导) are recorded by user id: ``people`` (id -> name, from the users table) names them."""

    def __init__(self, org: Organisation | None = None, people: dict[str, str] | None = None) -> None:
        self.org = org
        self.people = people or {}

    def person(self, id: str) -> str:
        return self.people.get(id, id)

    def department(self, id: str) -> str:
        return self.org.department_name(id) if self.org is not None else id

    def departments(self, ids: Sequence[str]) -> str:
        return "、".join(self.department(d) for d in ids)

    def place(self, id: str) -> str:
        return self.org.jurisdiction_name(id) if self.org is not None else id

    def category(self, id: str) -> str:
        return self.org.category_name(id) if self.org is not None else id


def case_timezone(state: CaseState) -> ZoneInfo:
    """The timezone of the policy pinned to the case: its deadlines were computed in it."""
    name = state.policy.policy.timezone if state.policy is not None else DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_time(value: datetime | None, tz: ZoneInfo) -> str:
    return "—" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def actor_label(actor: Actor, names: Names) -> str:
    """Who took a step: 王敏（调解员，东湖街道综治中心）; the engine itself is 系统."""
    if actor.role is Role.system:
        return ROLE[Role.system]
    where = f"，{names.department(actor.department)}" if actor.department else ""
    return f"{actor.name or actor.id}（{ROLE.get(actor.role, actor.role.value)}{where}）"


def recipient_label(recipient: str, names: Names) -> str:
    """``"liaisons:{department}"`` as 花园社区居委会联络员; ``"user:{id}"`` as the person's name."""
    role, _, department = recipient.partition(":")
    if role == "user":
        return names.person(department)
    return f"{names.department(department)}{RECIPIENT_ROLE.get(role, role)}"


def recipients_label(recipients: Sequence[str], names: Names) -> str:
    return "、".join(recipient_label(r, names) for r in recipients)


def tell(events: Iterable[RecordedEvent], names: Names | None = None, *,
         masked: bool = True) -> Iterator[tuple[RecordedEvent, CaseState, str]]:
    """Fold ``events`` (oldest first) and yield each with the case as it stood after it and its line."""
    state: CaseState | None = None
    for recorded in events:
        before = state if state is not None else CaseState(case_id=recorded.case_id)
        state = evolve(before, recorded.payload, recorded.occurred_at, recorded.seq, recorded.actor)
        yield recorded, state, describe(recorded, before, state, names, masked=masked)


DURATION_UNIT = {"s": "秒", "m": "分钟", "h": "小时", "d": "天", "wd": "个工作日", "wh": "个工作小时"}


def duration_words(text: str) -> str:
    """A policy duration as a reader says it: ``"3wd"`` as 3个工作日, ``"8wh"`` as 8个工作小时. The text was
    validated when the step was taken; anything that does not parse (a newer unit) is shown as it is."""
    try:
        duration = Duration.parse(text)
    except ValueError:
        return text
    return f"{duration.amount}{DURATION_UNIT[duration.unit]}"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 ** 2:.1f} MB" if size < 1024 ** 3 else f"{size / 1024 ** 3:.1f} GB"


def describe(recorded: RecordedEvent, before: CaseState, after: CaseState, names: Names | None = None, *,
             masked: bool = True) -> str:
    """One Chinese line on what ``recorded`` did, given the case before and after it. ``masked``: the
    parties' names, phones and ID numbers in free text are masked (the default; only a reader who may see
    them unmasked passes False)."""
    names = names or Names()
    tz = case_timezone(after)

    def free(text: str | None, width: int = 80) -> str:
        text = text or ""
        return _clip(redact(text, after.parties) if masked else text, width)  # masked before it is cut

    def when(value: datetime | None) -> str:
        return local_time(value, tz)

    def holder(id: str) -> str:
        """The department a task or a watched deadline (report, commitment) belongs to."""
        task = before.task(id) or after.task(id)
        if task is not None:
            return names.department(task.department)
        watch = before.watch(id) or after.watch(id)
        return names.department(watch.department) if watch is not None and watch.department else ""

    def on_time(due: datetime) -> str:
        return "（按时）" if recorded.occurred_at <= due else "（超时）"

    def delivery(notification_id: str, channel_id: str, attempts: int) -> str:
        """Whom a delivery reached and its redacted address (never the URL)."""
        for n in after.notifications:
            for d in n.deliveries:
                if n.notification_id == notification_id and d.channel_id == channel_id:
                    return f"{recipient_label(f'{d.role}:{d.department}', names)}（{d.address}，{attempts} 次尝试）"
        return f"（{attempts} 次尝试）"

    def but(note: str | None, sep: str = "：") -> str:
        return f"{sep}{free(note)}" if note else ""

    e = recorded.payload
    match e:
        case CaseReceived():
            text = (f"受理登记「{free(e.title, 40)}」：{names.category(e.category)}，来源{CHANNEL[e.channel]}，"
                    f"网格 {names.place(e.grid_id)}，风险{RISK[e.risk_level]}，当事人 {len(e.parties)} 人")
            text += f"，由{LEVEL_NAMES[e.handling_level]}办理" if e.handling_level else ""
            text += f"，疑似与 {e.duplicate_of} 重复" if e.duplicate_of else ""
            return text + (f"，重复来访（此前案件 {'、'.join(e.repeat_of)}）" if e.repeat_of else "")
        case CaseNotAccepted():
            return f"不予受理（{NOT_ACCEPTED[e.reason_code]}）：{free(e.reason)}"
        case CaseMarkedDuplicate():
            return f"认定为重复件，并入 {e.duplicate_of}"
        case CaseRouted():
            text = f"分流：牵头 {names.department(e.lead_department)}"
            if e.co_departments:
                text += f"，协办 {names.departments(e.co_departments)}"
            if e.suggested_lead and e.suggested_lead != e.lead_department:
                text += f"（规则建议牵头 {names.department(e.suggested_lead)}）"
            return text + but(e.note, "；说明：")
        case TaskAssigned():
            return (f"派单给{names.department(e.department)}（{TASK_ROLE[e.role]}），"
                    f"签收时限 {when(e.acknowledge_due_at)}，答复时限 {when(e.reply_due_at)}")
        case TaskAcknowledged():
            task = before.task(e.task_id)
            return f"{holder(e.task_id)}签收" + (on_time(task.acknowledge_due_at) if task else "")
        case TaskReturned():
            return f"{holder(e.task_id)}退回：{free(e.reason)}"
        case TaskReminded():
            return (f"催办{holder(e.task_id)}：{CLOCK[e.clock]}时限已过{e.fraction:.0%}，"
                    f"截止 {when(e.due_at)}")
        case TaskEscalated():
            text = f"{LEVEL[e.level]}：{holder(e.task_id)}{CLOCK[e.clock]}已超时（时限 {when(e.due_at)}）"
            return text + (f"，报{names.place(e.notify_jurisdiction)}" if e.notify_jurisdiction else "")
        case EscalationCleared():
            return f"解除{LEVEL.get(e.level, '督办')}：{holder(e.task_id)}{CLOCK[e.clock]}已办理"
        case ExtensionRequested():
            return f"{holder(e.task_id)}申请延期{duration_words(e.extra)}：{free(e.reason)}"
        case ExtensionDecided():
            verdict = "批准" if e.approved else "不批准"
            return f"延期审批：{verdict}，{holder(e.task_id)}答复时限 {when(e.reply_due_at)}" + but(e.note, "；意见：")
        case ClockPaused():
            return f"中止计时：{free(e.reason)}"
        case ClockResumed():
            moved = f"；{len(e.due_times)} 项任务时限顺延" if e.due_times else ""
            return f"恢复计时：{free(e.reason)}{moved}"
        case TaskReplied():
            task = before.task(e.task_id)
            return f"{holder(e.task_id)}答复{on_time(task.reply_due_at) if task else ''}：{free(e.summary)}"
        case MeetingConvened():
            return f"召开联席会议（{when(e.at)}，{names.departments(e.departments)}）：{free(e.agenda)}"
        case MediationRecorded():
            reached = "达成协议" if e.agreement_reached else "未达成协议"
            text = f"{METHOD[e.method]}：{reached}" + but(e.terms, "，协议内容：")
            return text + (f"，履行期限 {when(e.performance_due)}" if e.performance_due else "")
        case ResolutionSubmitted():
            return f"提交办结：{OUTCOME[e.outcome]}，{free(e.summary)}"
        case ResolutionVerified():
            return "验收通过" + but(e.note)
        case ResolutionRejected():
            again = f"（{len(e.reopened)} 项任务重新办理）" if e.reopened else ""
            return f"验收不通过，退回重办{again}" + but(e.note)
        case FollowUpRecorded():
            return f"回访：{SATISFACTION[e.satisfaction]}" + but(e.note, "，")
        case CaseReopened():
            return f"重新办理（第{e.reopen_count}次）：{free(e.reason)}"
        case CaseArchived():
            return f"归档：{ARCHIVE[e.reason]}"
        # notifications (送达)
        case NotificationIssued():
            channels = f"{len(e.targets)} 个渠道" if e.targets else "仅站内"
            return (f"发出{NOTIFICATION_KIND.get(e.kind, e.kind)}通知，发送至"
                    f"{recipients_label(e.recipients, names) or '—'}（{channels}{'，紧急' if e.urgent else ''}）")
        case NotificationDeferred():
            return f"通知暂缓，免打扰时段结束后（{when(e.until)}）发送"
        case NotificationDelivered():
            return f"通知已送达{delivery(e.notification_id, e.channel_id, e.attempts)}"
        case NotificationFailed():
            return f"通知送达失败：{delivery(e.notification_id, e.channel_id, e.attempts)}：{free(e.reason, 40)}"
        # attachments
        case AttachmentAdded():
            return f"上传附件「{free(e.name, 40)}」（{e.media_type}，{_size(e.size)}，sha256 {e.sha256[:12]}…）"
        # supervision as practised (督办规则)
        case ReturnRequested():
            return f"{holder(e.task_id)}申请退回：{free(e.reason)}"
        case ReturnDecided():
            verdict = "批准退回" if e.approved else "不批准，强制派单"
            return f"退回审核：{holder(e.task_id)}，{verdict}" + but(e.note, "；意见：")
        case TaskWithdrawn():
            return f"{holder(e.task_id)}退出协办：{free(e.reason)}"
        case DepartmentsSummoned():
            return f"吹哨：{names.departments(e.departments)}须于 {when(e.due_at)} 前报到：{free(e.reason)}"
        case SummonsReported():
            return f"{names.department(e.department)}报到" + but(e.note)
        case MeetingMinutesRecorded():
            meeting = next((m for m in before.meetings if m.meeting_id == e.meeting_id), None)
            of = f"（{when(meeting.at)} 联席会议）" if meeting is not None else ""
            text = f"会议纪要{of}：到会 {names.departments(e.attended) or '—'}"
            return text + "".join(f"；{names.department(c.department)}承诺于 {when(c.due_at)} 前{free(c.what, 40)}"
                                  for c in e.commitments)
        case CommitmentFulfilled():
            commitment = before.commitment(e.commitment_id)
            if commitment is None:
                return "履行承诺事项" + but(e.note)
            return (f"{names.department(commitment.department)}履行承诺「{free(commitment.what, 40)}」"
                    + but(e.note))
        case CaseHandedUp():
            return f"上交：由{LEVEL_NAMES[e.from_level]}上交至{LEVEL_NAMES[e.to_level]}办理，原因：{free(e.reason)}"
        case CaseListed():
            leader = names.person(e.leader_user) if e.leader_user else free(e.leader, 20)
            return f"挂牌督办，包案领导 {leader}：{free(e.reason)}"
        case LeaderAssigned():
            return f"确定包案领导 {names.person(e.user)}：{free(e.reason)}"
        case TaskAssigneeNamed():
            return f"{holder(e.task_id)}指定责任人 {names.person(e.user)}"
        case ListingLifted():
            return f"解除挂牌：{free(e.reason)}"
        case RiskRegraded():
            return f"风险调整：{RISK[e.previous]} → {RISK[e.risk_level]}，原因：{free(e.reason)}"
        case FollowUpScheduled():
            return f"回访时限 {when(e.due_at)}"
        case ComplaintJudged():
            verdict = "诉求合理，重新办理" if e.reasonable else "诉求不合理，归档"
            return f"不满意认定：{verdict}；理由：{free(e.reason)}"
        case WatchedDeadlinesMoved():
            return f"恢复计时，{len(e.due_times)} 项报到、承诺和回访时限顺延"
        case CalendarUpdated():
            text = f"按国务院公布的 {e.year} 年节假日安排更新工作日历"
            if not e.moved:
                return text + "，各项时限不变"
            return text + f"，{len(e.moved)} 项时限顺延：" + "；".join(
                f"{CLOCK[m.clock]}时限 {when(m.before)} → {when(m.after)}" for m in e.moved)
        case TaskRated():
            return f"评定{holder(e.task_id)}的办理：{GRADE[e.grade]}" + but(e.note, "；")
        # mediation papers
        case DocumentIssued():
            return f"出具{DOCUMENT[e.kind]} {e.number}（PDF，{_size(e.size)}，sha256 {e.sha256[:12]}…）"
        case SignedAgreementFiled():
            issued = after.document(e.document_id)
            of = f"，对应 {issued.number}" if issued else ""
            return f"归入当事人签字的协议书（附件 sha256 {e.sha256[:12]}…）{of}"
        case PerformanceRecorded():
            if e.performed:
                return "协议已履行" + but(e.note)
            again = f"，重新限期至 {when(e.performance_due)} 履行" if e.performance_due else "，交调解员处理"
            return f"协议未履行{again}" + but(e.note, "；情况：")
        case JudicialConfirmationWindowOpened():
            return f"可于 {when(e.due_at)} 前共同申请司法确认"
        case JudicialConfirmationApplied():
            return f"当事人于 {when(e.applied_at)} 向{names.department(e.court_department)}申请司法确认"
        case JudicialConfirmationDecided():
            verdict = "确认协议有效" if e.confirmed else "不予确认"
            return f"司法确认：{verdict}" + (f"（{free(e.ruling_no, 40)}）" if e.ruling_no else "") + but(e.note, "；")
        case ClusterDetected():
            how = "触发" if e.opened else "列入"
            return (f"聚集预警 {e.alert_id}：{how}{names.place(e.jurisdiction)}{names.category(e.category)}类"
                    f"聚集预警（共 {len(e.case_ids)} 件）")
    return recorded.type  # an event this version does not know yet: its name at least


_MEETING_KIND = {"joint": "联席会议", "round_table": "圆桌议事会"}


def describe_meeting_event(event: MeetingEvent, names: Names | None = None, *,
                           tz: ZoneInfo | None = None) -> str:
    """A standing meeting's own record, told in Chinese like a case's."""
    names = names or Names()
    zone = tz or ZoneInfo("Asia/Shanghai")
    match event:
        case StandingMeetingCalled():
            others = "、".join(f"{a.capacity}{a.name}" for a in event.other_attendees)
            return (f"召集{_MEETING_KIND[event.kind]}「{event.title}」（{local_time(event.at, zone)}，"
                    f"{names.place(event.jurisdiction)}）：邀请 {names.departments(event.departments)}"
                    + (f"；列席 {others}" if others else ""))
        case AgendaItemProposed():
            by = ROLE.get(event.proposed_by, event.proposed_by.value)
            return f"{by}征集议题 {event.item_id}（案件 {event.case_id}）" + (f"：{event.note}" if event.note else "")
        case AgendaItemDecided():
            return f"审定议题 {event.item_id}：{'列入议程' if event.accepted else '不予上会'}"
        case StandingMeetingMinuted():
            absent = f"；缺席 {names.departments(event.absent)}" if event.absent else ""
            return (f"会议纪要：到会 {names.departments(event.present) or '—'}{absent}；"
                    f"议定 {len(event.items)} 项，承诺 {sum(len(i.commitments) for i in event.items)} 项")
    raise AssertionError(event)  # pragma: no cover
