"""Each action the desk can offer: its button (docs/api.md §5), the labelled fields of its form, and how the
submitted form becomes the domain's command. Which actions a person may take NOW is not decided here: the
page asks ``available_actions`` (the domain's own rules) and shows only those buttons."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from application import documents as papers
from application import schemas
from domain.commands import (
    AcknowledgeTask,
    ApplyJudicialConfirmation,
    ArchiveCase,
    Command,
    CommitmentPromise,
    ConveneMeeting,
    DecideExtension,
    DecideJudicialConfirmation,
    DecideReturn,
    DeclineCase,
    FulfilCommitment,
    HandUp,
    JudgeComplaint,
    LiftListing,
    ListCase,
    PauseClock,
    RateTask,
    RecordFollowUp,
    RecordMediation,
    RecordMeetingMinutes,
    RecordPerformance,
    RegradeRisk,
    ReplyTask,
    ReportToSummons,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    SubmitResolution,
    VerifyResolution,
)
from domain.handling import LEVEL_NAMES
from domain.organisation import JurisdictionLevel, Organisation, UnknownId
from domain.policy import Duration
from domain.vocabulary import Grade, MediationMethod, NotAcceptedReason, Outcome, RiskLevel, Satisfaction
from entrypoints.workbench import labels

Form = Mapping[str, Any]  # field name -> str, or list[str] for a multiple choice


class FormProblem(Exception):
    """A field the person must correct; the message is Chinese and names the field."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, select, multiselect, datetime, commitments (rows of three fields)
    options: Sequence[tuple[str, str]] = ()  # (value, label)
    required: bool = True
    default: str | Sequence[str] = ""
    hint: str = ""


@dataclass(frozen=True)
class ActionForm:
    kind: str  # the command's kind, as available_actions names it
    button: str  # the accessible name of its button (docs/api.md §5)
    fields: tuple[Field, ...] = ()
    build: Callable[[Form, str | None], Command] | None = None
    on_task: bool = False
    on_ref: bool = False  # on one summons, meeting or commitment of the case (its id comes as ``ref``)
    tone: str = ""  # "danger" for actions that end or refuse something
    extra: dict[str, Any] = field(default_factory=dict)


def _text(form: Form, name: str, label: str, *, required: bool = True) -> str | None:
    value = str(form.get(name) or "").strip()
    if not value:
        if required:
            raise FormProblem(f"请填写「{label}」")
        return None
    try:
        schemas.Reason(reason=value)  # the API's own check: length, no control characters
    except ValidationError as exc:
        raise FormProblem(f"「{label}」含有不允许的字符或过长") from exc
    return value


def _line(form: Form, name: str, label: str) -> str:
    value = _text(form, name, label) or ""
    if len(value) > 200 or "\n" in value:
        raise FormProblem(f"「{label}」请填写一行，最多200字")
    return value


def _choice(form: Form, name: str, label: str, allowed: Sequence[str]) -> str:
    value = str(form.get(name) or "")
    if value not in allowed:
        raise FormProblem(f"请选择「{label}」")
    return value


def _yes(form: Form, name: str, label: str) -> bool:
    return _choice(form, name, label, ("yes", "no")) == "yes"


def _options(mapping: Mapping[Any, str]) -> tuple[tuple[str, str], ...]:
    return tuple((k.value, v) for k, v in mapping.items())


REASON = Field("reason", "原因", "textarea")
YES_NO = (("yes", "是"), ("no", "否"))


# What a liaison asks for, in working time (the policy's extensions.max_total still bounds it): picked from a
# list rather than typed as "3wd", which is the policy file's notation, not a reader's.
EXTENSIONS = tuple((d, labels.duration(d)) for d in ("4wh", "1wd", "2wd", "3wd", "5wd", "7wd", "10wd", "15wd"))


def _extension(form: Form, task: str | None) -> Command:
    extra = _choice(form, "extra", "延长时长", [value for value, _ in EXTENSIONS])
    return RequestExtension(task_id=task or "", extra=extra, reason=_text(form, "reason", "原因") or "")


def _when(form: Form, name: str, label: str, *, required: bool = True, future: bool = False) -> datetime | None:
    """A datetime-local field, read in the district's time zone."""
    raw = str(form.get(name) or "").strip()
    if not raw:
        if required:
            raise FormProblem(f"请填写「{label}」")
        return None
    try:
        at = datetime.fromisoformat(raw).replace(tzinfo=labels.TIMEZONE)
    except ValueError as exc:
        raise FormProblem(f"「{label}」格式不正确") from exc
    now = datetime.now(UTC)
    if future and at <= now:
        raise FormProblem(f"「{label}」须晚于现在")
    if abs(at - now) > timedelta(days=5 * 366):  # far-off dates make no deadline (and overflow)
        raise FormProblem(f"「{label}」须在五年之内")
    return at


def _mediation(form: Form, task: str | None) -> Command:
    return RecordMediation(
        method=MediationMethod(_choice(form, "method", "调解方式", [m.value for m in MediationMethod])),
        agreement_reached=_yes(form, "agreement_reached", "是否达成协议"),
        terms=_text(form, "terms", "协议内容", required=False),
        disputes=_text(form, "disputes", "争议事项及责任", required=False),
        performance_method=_text(form, "performance_method", "履行方式", required=False),
        performance_due=_when(form, "performance_due", "履行期限", required=False, future=True))


def _performance(form: Form, task: str | None) -> Command:
    performed = _yes(form, "performed", "是否已履行")
    due = _when(form, "performance_due", "新的履行期限", required=False, future=True)
    if performed and due is not None:
        raise FormProblem("已履行的协议不需要「新的履行期限」")
    return RecordPerformance(performed=performed, note=_text(form, "note", "履行情况", required=False),
                             performance_due=due)


def _confirmation(form: Form, task: str | None) -> Command:
    court = str(form.get("court_department") or "")
    if not court:
        raise FormProblem("请选择「人民法庭」")
    return ApplyJudicialConfirmation(court_department=court,
                                     applied_at=_when(form, "applied_at", "申请时间") or datetime.now(UTC))


def _hand_up(form: Form, task: str | None) -> Command:
    seen = str(form.get("from_level") or "")
    return HandUp(reason=_text(form, "reason", "原因") or "",
                  from_level=JurisdictionLevel(seen) if seen in JurisdictionLevel.__members__ else None)


def hand_up_fields(level: JurisdictionLevel) -> tuple[Field, ...]:
    """上交's form: the level it is handled at now (sent back, so a case handed up meanwhile is not taken two
    levels up) and the reason."""
    up = level.above
    shown = LEVEL_NAMES[level] + (f"（上交至{LEVEL_NAMES[up]}）" if up else "")
    return (Field("from_level", "现办理层级", "select", ((level.value, shown),), default=level.value),
            Field("reason", "原因", "textarea", hint="说明本级为什么无法化解，上一级综治中心将收到通知"))


def _meeting(form: Form, task: str | None) -> Command:
    raw = str(form.get("at") or "")
    try:
        at = datetime.fromisoformat(raw).replace(tzinfo=labels.TIMEZONE)
    except ValueError as exc:
        raise FormProblem("请填写「会议时间」") from exc
    departments = tuple(str(d) for d in form.get("departments") or ())
    if not departments:
        raise FormProblem("请选择「参会单位」")
    return ConveneMeeting(at=at, departments=departments, agenda=_text(form, "agenda", "议题") or "")


ACTIONS: dict[str, ActionForm] = {a.kind: a for a in (
    ActionForm("not_accepted", "不予受理", (
        Field("reason_code", "不予受理类型", "select", _options(labels.NOT_ACCEPTED), default="out_of_scope"),
        REASON), tone="danger",
        build=lambda f, t: DeclineCase(reason=_text(f, "reason", "原因") or "", reason_code=NotAcceptedReason(
            _choice(f, "reason_code", "不予受理类型", [r.value for r in NotAcceptedReason])))),
    ActionForm("route", "分流"),  # its form needs the organisation: see route_fields()
    ActionForm("acknowledge", "签收", on_task=True, build=lambda f, t: AcknowledgeTask(task_id=t or "")),
    ActionForm("return", "退回", (REASON,), on_task=True, tone="danger",
               build=lambda f, t: ReturnTask(task_id=t or "", reason=_text(f, "reason", "原因") or "")),
    ActionForm("request_extension", "申请延期", (
        Field("extra", "延长时长", "select", EXTENSIONS, default="3wd"), REASON),
        on_task=True, build=_extension),
    ActionForm("decide_extension", "审批延期", (
        Field("approve", "是否批准", "select", (("yes", "批准"), ("no", "不批准")), default="yes"),
        Field("note", "审批意见", "textarea", required=False)), on_task=True,
        build=lambda f, t: DecideExtension(task_id=t or "", approve=_yes(f, "approve", "是否批准"),
                                           note=_text(f, "note", "审批意见", required=False))),
    ActionForm("reply", "答复", (Field("summary", "答复内容", "textarea"),), on_task=True,
               build=lambda f, t: ReplyTask(task_id=t or "", summary=_text(f, "summary", "答复内容") or "")),
    ActionForm("rate", "评定", (
        Field("grade", "评定等级", "select", _options(labels.GRADE), default="good"),
        Field("note", "评定意见", "textarea", required=False)), on_task=True,
        build=lambda f, t: RateTask(
            task_id=t or "", grade=Grade(_choice(f, "grade", "评定等级", [g.value for g in Grade])),
            note=_text(f, "note", "评定意见", required=False))),
    ActionForm("pause_clock", "中止", (REASON,),
               build=lambda f, t: PauseClock(reason=_text(f, "reason", "原因") or "")),
    ActionForm("resume_clock", "恢复", (REASON,),
               build=lambda f, t: ResumeClock(reason=_text(f, "reason", "原因") or "")),
    ActionForm("convene_meeting", "联席会议"),  # its form needs the organisation: see meeting_fields()
    ActionForm("record_mediation", "记录调解", (
        Field("method", "调解方式", "select", _options(labels.METHOD), default="people"),
        Field("agreement_reached", "是否达成协议", "select", YES_NO, default="yes"),
        Field("terms", "协议内容", "textarea", required=False),
        Field("disputes", "争议事项及责任", "textarea", required=False, hint="写入协议书：争议事项和各方责任"),
        Field("performance_method", "履行方式", required=False, hint="如：银行转账、现金支付"),
        Field("performance_due", "履行期限", "datetime", required=False,
              hint="填写后系统按期提醒；到期未记录履行情况的，按督办规则预警")),
        build=_mediation),
    ActionForm("submit_resolution", "提交办结", (
        Field("outcome", "办结结果", "select", _options(labels.OUTCOME), default="mediated"),
        Field("summary", "办结说明", "textarea")),
        build=lambda f, t: SubmitResolution(
            outcome=Outcome(_choice(f, "outcome", "办结结果", [o.value for o in Outcome])),
            summary=_text(f, "summary", "办结说明") or "")),
    ActionForm("verify", "验收", (
        Field("accepted", "验收结论", "select", (("yes", "通过"), ("no", "不通过，退回重办")), default="yes"),
        Field("note", "验收意见", "textarea", required=False)),
        build=lambda f, t: VerifyResolution(accepted=_yes(f, "accepted", "验收结论"),
                                            note=_text(f, "note", "验收意见", required=False))),
    ActionForm("follow_up", "回访", (
        Field("satisfaction", "满意度", "select", _options(labels.SATISFACTION), default="satisfied"),
        Field("note", "回访记录", "textarea", required=False)),
        build=lambda f, t: RecordFollowUp(
            satisfaction=Satisfaction(_choice(f, "satisfaction", "满意度", [s.value for s in Satisfaction])),
            note=_text(f, "note", "回访记录", required=False))),
    ActionForm("archive", "归档", build=lambda f, t: ArchiveCase()),
    ActionForm("hand_up", "上交", build=_hand_up),  # its form names the level it is handled at: hand_up_fields()
    # Supervision as practised
    ActionForm("decide_return", "审批退回", (
        Field("approve", "是否同意退回", "select", (("yes", "同意退回"), ("no", "不同意，强制派单")), default="yes"),
        Field("note", "审批意见", "textarea", required=False)), on_task=True,
        build=lambda f, t: DecideReturn(task_id=t or "", approve=_yes(f, "approve", "是否同意退回"),
                                        note=_text(f, "note", "审批意见", required=False))),
    ActionForm("summon", "吹哨"),  # its form needs the organisation: see summon_fields()
    ActionForm("report", "报到", (Field("note", "报到说明", "textarea", required=False),), on_ref=True,
               build=lambda f, t: ReportToSummons(summons_id=t or "",
                                                  note=_text(f, "note", "报到说明", required=False))),
    # its leader is a select of leader users when there are any: see people_fields()
    ActionForm("list", "挂牌督办", (Field("leader", "包案领导"), REASON), tone="danger",
               build=lambda f, t: ListCase(leader=_line(f, "leader", "包案领导"),
                                           reason=_text(f, "reason", "原因") or "")),
    # 责任人 and 包案: their forms list people (see people_fields()); the application resolves the user chosen
    ActionForm("name_assignee", "更换责任人", on_task=True),
    ActionForm("assign_leader", "包案领导"),
    ActionForm("lift_listing", "解除挂牌", (REASON,),
               build=lambda f, t: LiftListing(reason=_text(f, "reason", "原因") or "")),
    ActionForm("regrade_risk", "调整风险", (
        Field("risk_level", "风险等级", "select", _options(labels.RISK), default="high"), REASON),
        build=lambda f, t: RegradeRisk(
            risk_level=RiskLevel(_choice(f, "risk_level", "风险等级", [r.value for r in RiskLevel])),
            reason=_text(f, "reason", "原因") or "")),
    ActionForm("judge_complaint", "研判不满意", (
        Field("reasonable", "诉求是否合理", "select", (("yes", "合理，重新办理"), ("no", "不合理，予以归档")),
              default="no"),
        REASON),
        build=lambda f, t: JudgeComplaint(reasonable=_yes(f, "reasonable", "诉求是否合理"),
                                          reason=_text(f, "reason", "原因") or "")),
    # mediation papers: 履行 and 司法确认
    ActionForm("record_performance", "履行情况", (
        Field("performed", "是否已履行", "select", (("yes", "已履行"), ("no", "未履行")), default="yes"),
        Field("note", "履行情况", "textarea", required=False),
        Field("performance_due", "新的履行期限", "datetime", required=False,
              hint="未履行且再给期限的填写；不填则交调解员另行处理")),
        build=_performance),
    ActionForm("apply_judicial_confirmation", "申请司法确认"),  # its form needs the courts: confirmation_fields()
    ActionForm("decide_judicial_confirmation", "司法确认结果", (
        Field("confirmed", "确认结果", "select", (("yes", "确认协议有效"), ("no", "不予确认")), default="yes"),
        Field("ruling_no", "裁定书文号", required=False),
        Field("note", "说明", "textarea", required=False)),
        build=lambda f, t: DecideJudicialConfirmation(
            confirmed=_yes(f, "confirmed", "确认结果"),
            ruling_no=_line(f, "ruling_no", "裁定书文号") if str(f.get("ruling_no") or "").strip() else None,
            note=_text(f, "note", "说明", required=False))),
    ActionForm("meeting_minutes", "会议纪要", on_ref=True),  # its form needs the organisation: minutes_fields()
    ActionForm("fulfil_commitment", "履行承诺", (Field("note", "办理情况", "textarea", required=False),), on_ref=True,
               build=lambda f, t: FulfilCommitment(commitment_id=t or "",
                                                   note=_text(f, "note", "办理情况", required=False))),
)}


def _departments(org: Organisation) -> tuple[tuple[str, str], ...]:
    return tuple((d.id, d.name) for d in sorted(org.departments, key=lambda d: (d.level.rank, d.id), reverse=True))


def route_choices(org: Organisation, grid_id: str, returned_by: Sequence[str] = ()) -> tuple[tuple[str, str], ...]:
    """The departments a case in ``grid_id`` can go to: those of its grid, community, street and district
    (where routing looks), lowest level first, less those that returned it (the domain refuses them again)."""
    try:
        chain = org.ancestors(grid_id)
    except UnknownId:
        return _departments(org)
    return tuple((d.id, d.name) for j in chain for d in org.departments_in(j.id) if d.id not in returned_by)


def route_fields(org: Organisation, suggestion: Mapping[str, Any] | None, grid_id: str,
                 returned_by: Sequence[str]) -> tuple[Field, ...]:
    """The routing form, pre-filled with the routing rules' proposal."""
    lead = suggestion["lead_department"] if suggestion else ""
    co = tuple(suggestion["co_departments"]) if suggestion else ()
    choices = route_choices(org, grid_id, returned_by)
    return (Field("lead_department", "牵头单位", "select", choices, default=lead),
            Field("co_departments", "协办单位", "multiselect", choices, required=False, default=co,
                  hint="可多选：电脑上按住 Ctrl 点选，手机上直接点选"),
            Field("note", "分流说明", "textarea", required=False))


def summon_fields(org: Organisation, grid_id: str) -> tuple[Field, ...]:
    return (Field("departments", "报到单位", "multiselect", route_choices(org, grid_id)), REASON,
            Field("report_within", "报到时限", required=False, hint="不填按政策默认；如 2wh = 2个工作小时"))


# 会议纪要's commitments (承诺事项): rows of 承诺单位, 承诺内容 and 办理期限, submitted as three repeated fields.
COMMITMENT_FIELDS = ("commitment_department", "commitment_what", "commitment_due")
COMMITMENT_ROWS = 2  # shown at first; 增加一项承诺 adds one more, up to MAX_COMMITMENT_ROWS
MAX_COMMITMENT_ROWS = 10
ADD_COMMITMENT = "add_commitment"  # the name of the button that adds a row (the form is re-shown, nothing saved)
LIST_FIELDS = ("co_departments", "departments", "attended", *COMMITMENT_FIELDS)  # fields that repeat


def minutes_fields(org: Organisation, involved: Sequence[str]) -> tuple[Field, ...]:
    return (Field("attended", "实到单位", "multiselect", _departments(org), default=tuple(involved)),
            Field("commitments", "承诺事项", "commitments", _departments(org), required=False,
                  hint="哪个单位承诺办理什么、何时办结；办理期限到期前未履行的，按督办规则提醒和预警。"
                       "承诺单位须为实到单位。没有承诺的行留空即可。"))


def _submitted_rows(form: Form) -> list[tuple[str, str, str]]:
    columns = [[str(v).strip() for v in form.get(name) or ()] for name in COMMITMENT_FIELDS]
    count = max(len(c) for c in columns)
    department, what, due = ([*c, *[""] * (count - len(c))] for c in columns)
    return list(zip(department, what, due, strict=True))


def commitment_rows(form: Form, *, more: bool = False) -> list[tuple[str, str, str]]:
    """The minutes form's commitment rows (承诺单位, 承诺内容, 办理期限) as submitted, at least the default
    number of them, one more when asked."""
    rows = _submitted_rows(form)
    count = min(max(len(rows), COMMITMENT_ROWS) + (1 if more else 0), MAX_COMMITMENT_ROWS)
    return (rows + [("", "", "")] * count)[:count]


def _commitments(form: Form) -> tuple[CommitmentPromise, ...]:
    """The filled commitment rows; a row left wholly empty is skipped, a half-filled one names what is missing."""
    rows = _submitted_rows(form)
    if len(rows) > MAX_COMMITMENT_ROWS:
        raise FormProblem(f"承诺事项最多{MAX_COMMITMENT_ROWS}项")
    promises: list[CommitmentPromise] = []
    for n, (department, what, due) in enumerate(rows):
        if not (department or what or due):
            continue
        row = f"承诺事项{n + 1}："
        if not department:
            raise FormProblem(f"{row}请选择「承诺单位」")
        if not what:
            raise FormProblem(f"{row}请填写「承诺内容」")
        try:
            schemas.Reason(reason=what)  # the API's own check: length, no control characters
        except ValidationError as exc:
            raise FormProblem(f"{row}「承诺内容」含有不允许的字符或过长") from exc
        if not due:
            raise FormProblem(f"{row}请填写「办理期限」")
        try:
            due_at = datetime.fromisoformat(due).replace(tzinfo=labels.TIMEZONE)
        except ValueError as exc:
            raise FormProblem(f"{row}「办理期限」格式不正确") from exc
        now = datetime.now(UTC)
        if due_at <= now:
            raise FormProblem(f"{row}「办理期限」须晚于现在")
        if due_at > now + timedelta(days=5 * 366):  # far-off dates make no deadline (and overflow)
            raise FormProblem(f"{row}「办理期限」须在五年之内")
        try:
            promises.append(CommitmentPromise(department=department, what=what, due_at=due_at))
        except ValidationError as exc:
            raise FormProblem(f"{row}请从列表中选择「承诺单位」") from exc
    return tuple(promises)


def meeting_fields(org: Organisation, involved: Sequence[str]) -> tuple[Field, ...]:
    return (Field("at", "会议时间", "datetime"),
            Field("departments", "参会单位", "multiselect", _departments(org), default=tuple(involved)),
            Field("agenda", "议题", "textarea"))


# the actions whose form offers people to choose from (the page looks them up: people_choices)
PEOPLE_ACTIONS = ("name_assignee", "assign_leader", "list")


def people_fields(action: ActionForm, people: Sequence[tuple[str, str]]) -> tuple[Field, ...]:
    """The forms that name a person: a select of users (user id, name) the page looked up."""
    if action.kind == "name_assignee":
        return (Field("user", "责任人", "select", people, default=people[0][0] if people else ""),)
    if action.kind == "assign_leader":
        return (Field("user", "包案领导", "select", people, default=people[0][0] if people else ""), REASON)
    if action.kind == "list" and people:  # a leader user, who then also leads the case (包案)
        return (Field("leader", "包案领导", "select", people, default=people[0][0]), REASON)
    return action.fields


def chosen_person(form: Form, name: str, label: str, people: Sequence[tuple[str, str]]) -> str:
    return _choice(form, name, label, [value for value, _ in people])


def reason_of(form: Form) -> str:
    """The form's 原因, checked as every other form's."""
    return _text(form, "reason", "原因") or ""


def fields_of(action: ActionForm, org: Organisation, suggestion: Mapping[str, Any] | None,
              involved: Sequence[str], grid_id: str, returned_by: Sequence[str] = (),
              handling_level: JurisdictionLevel = JurisdictionLevel.street,
              people: Sequence[tuple[str, str]] = ()) -> tuple[Field, ...]:
    if action.kind == "hand_up":
        return hand_up_fields(handling_level)
    if action.kind in PEOPLE_ACTIONS:
        return people_fields(action, people)
    if action.kind == "route":
        return route_fields(org, suggestion, grid_id, returned_by)
    if action.kind == "convene_meeting":
        return meeting_fields(org, involved)
    if action.kind == "summon":
        return summon_fields(org, grid_id)
    if action.kind == "meeting_minutes":
        return minutes_fields(org, involved)
    if action.kind == "apply_judicial_confirmation":
        courts = tuple(papers.courts(org))
        return (Field("court_department", "人民法庭", "select", courts, default=courts[0][0] if courts else ""),
                Field("applied_at", "申请时间", "datetime"))
    return action.fields


def build(action: ActionForm, form: Form, target: str | None) -> Command:
    """The command of a submitted form; ``target`` is the task's id, or the summons', meeting's or
    commitment's for an action on one of those."""
    if action.kind == "convene_meeting":
        return _meeting(form, target)
    if action.kind == "apply_judicial_confirmation":
        return _confirmation(form, target)
    if action.kind == "meeting_minutes":
        attended = tuple(str(d) for d in form.get("attended") or ())
        if not attended:
            raise FormProblem("请选择「实到单位」")
        return RecordMeetingMinutes(meeting_id=target or "", attended=attended, commitments=_commitments(form))
    task_id = target
    assert action.build is not None
    return action.build(form, task_id)


def summons(form: Form) -> tuple[list[str], str, str | None]:
    """吹哨's departments, reason and report time limit (the application resolves the rest)."""
    departments = [str(d) for d in form.get("departments") or ()]
    if not departments:
        raise FormProblem("请选择「报到单位」")
    reason = _text(form, "reason", "原因") or ""
    within = str(form.get("report_within") or "").strip() or None
    if within is not None:
        try:
            Duration.parse(within)
        except ValueError as exc:
            raise FormProblem("「报到时限」格式不正确，例如 2wh（2个工作小时）") from exc
    return departments, reason, within
