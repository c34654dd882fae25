"""Refusals in Chinese. The domain and the application explain a refusal in English (logs, API clients) and
with a code and its data (domain/rules.py ``Refusal``, application/errors.py); the desk words the code, so a
reworded English message changes no page. A test finds every refusal in domain/ and application/ and fails
one whose code has no Chinese here, so a new rule without its words fails the suite rather than the user."""

from __future__ import annotations

import re
from collections.abc import Callable

from domain.handling import LEVEL_NAMES
from domain.organisation import JurisdictionLevel, Organisation, UnknownId
from domain.vocabulary import Role, Stage, TaskStatus
from entrypoints.workbench.labels import ROLE, STAGE, TASK_STATUS

Names = Callable[[str], str]


def _stages(text: str) -> str:
    return "或".join(f"「{STAGE.get(Stage(s), s)}」" if s in Stage.__members__ else s for s in text.split(" or "))


def _statuses(text: str) -> str:
    return "或".join(f"「{TASK_STATUS.get(TaskStatus(s), s)}」" if s in TaskStatus.__members__ else s
                    for s in text.split(" or "))


_SWEEP_ACTS = {"start_sweep": "发起排查", "report_sweep": "上报排查结果", "remind_grid": "催办网格",
               "escalate_grid": "督办网格"}
_MEETING_ACTS = {"call_meeting": "召集会议", "propose_item": "提议议题", "decide_item": "审定议题",
                 "record_minutes": "记录会议纪要"}

# Input errors (422) that quote what was typed; every refusal is worded from its code (``_CODES`` below).
# (pattern, template): templates get the match's groups.
_PATTERNS: list[tuple[str, Callable[[re.Match[str], Names], str]]] = [
    (r"unknown department '?([^']+)'?", lambda m, n: f"没有这个单位：{m[1]}"),
    (r".* is not a duration .*", lambda m, n: "时长格式不正确，例如 3wd（3个工作日）、8wh（8个工作小时）、2d"),
    # a sweep's due (排查时限) and its jurisdiction
    (r"due: due \"(.*)\" is neither a duration .*",
     lambda m, n: "「时限」格式不对：请填写如 3wd（3个工作日）、8wh、2d，或选择截止时间"),
    (r"due: due \"(.*)\" is no time at all.*", lambda m, n: "「时限」不能为零"),
    (r"due: due \"(.*)\" needs an offset.*", lambda m, n: "截止时间须带时区"),
    (r"due: due \"(.*)\" is more than a year away.*", lambda m, n: "排查时限最长一年（366天）"),
    (r"due: due (\S+) has already passed", lambda m, n: "截止时间须晚于现在"),
    (r"jurisdiction: (\S+) is a grid; .*", lambda m, n: "排查范围请选择街道、社区或区，不能是单个网格"),
    (r"jurisdiction: (\S+) has no grid under it", lambda m, n: "该辖区下没有网格"),
]
_COMPILED = [(re.compile(p), t) for p, t in _PATTERNS]


def department_namer(org: Organisation) -> Names:
    def name(department_id: str) -> str:
        try:
            return org.department(department_id).name
        except UnknownId:
            return department_id

    return name


def _role(value: str) -> str:
    return ROLE.get(Role(value), value) if value in Role.__members__ else value


_PAPER_NOT_READY = {"mediation_record": "尚未记录调解，不能出具调解记录",
                    "agreement": "没有达成协议的调解，不能出具协议书",
                    "supervision_notice": "督办通知单用于已预警或挂牌督办的任务，本案没有",
                    "follow_up_record": "尚未回访，不能出具回访记录"}

def _level(value: str) -> str:
    return LEVEL_NAMES.get(JurisdictionLevel(value), value) if value in JurisdictionLevel.__members__ else value


# Refusals that carry a code (domain/rules.py ``Refusal``): worded from their data, whatever the English says.
_CODES: dict[str, Callable[[dict[str, str], Names], str]] = {
    "archived": lambda d, n: "案件已归档，记录已封存，不能再操作",
    "not_received": lambda d, n: "案件尚未受理",
    "stage": lambda d, n: f"案件当前处于{_stages(d['stage'])}阶段，"
                          f"此操作需要{_stages(' or '.join(d['needs'].split()))}阶段",
    "no_task": lambda d, n: f"案件没有任务 {d['task']}",
    "task_status": lambda d, n: f"任务当前状态为{_statuses(d['status'])}，此操作需要"
                                f"{_statuses(' or '.join(d['needs'].split()))}",
    "role": lambda d, n: f"{_role(d['role'])}无权进行此操作（仅限{'、'.join(_role(r) for r in d['allowed'].split())}）",
    "not_your_task": lambda d, n: f"该任务属于{n(d['department'])}，不是您的部门",
    "already_received": lambda d, n: "案件已经受理过",
    # who may act
    "verify_on_spot_only": lambda d, n: "调解员只能验收就地化解的案件，其他案件由督办人验收",
    "no_task_here": lambda d, n: f"{n(d['department'])}在本案没有任务",
    "mediation_needs_task": lambda d, n: f"{n(d['department'])}在本案没有任务，不能记录调解",
    "not_summoned": lambda d, n: f"{n(d['department'])}不在此次吹哨之列",
    "not_the_court": lambda d, n: "司法确认结果由受理申请的人民法庭联络员录入",
    "not_your_commitment": lambda d, n: f"该承诺属于{n(d['department'])}",
    "no_grid": lambda d, n: "您的账号没有绑定网格，请联系管理员",
    "other_grid": lambda d, n: "网格员只能在本网格上报和办理，不能在其他网格",
    "grid_channel": lambda d, n: "网格员上报的来源渠道须为「网格上报」",
    # 就地化解, routing, resolution, follow-up, archive
    "routed_not_on_spot": lambda d, n: "案件已分流到部门，不能再就地化解",
    "on_spot_needs_agreement": lambda d, n: ("就地化解须当事人达成一致；未达成一致的，"
                                             "请不勾选就地化解上报，由社区分流办理"),
    "on_spot_not_a_resolution": lambda d, n: "「就地化解」只能由网格员在上报时记录，不能作为办结结果提交",
    "duplicate_department": lambda d, n: "同一单位出现了两次",
    "returned_before": lambda d, n: f"{n(d['department'])}已退回过本案，不能再分流给该单位",
    "not_in_organisation": lambda d, n: f"{n(d['department'])}不在本案受理时的组织架构中，不能分流给它",
    "lead_not_replied": lambda d, n: "牵头单位尚未答复，目前只能以「撤回」提交办结",
    "already_verified": lambda d, n: "办结结果已经验收",
    "follow_up_too_early": lambda d, n: "回访须在验收通过之后",
    "complaint_pending": lambda d, n: "上次回访的不满意须先经督办人研判",
    "complaint_before_archive": lambda d, n: "不满意回访须经督办人研判后才能归档",
    "no_complaint": lambda d, n: "没有待研判的不满意回访",
    "reopen_limit": lambda d, n: "重新办理次数已达政策上限，只能研判为不合理后归档",
    "archive_too_early": lambda d, n: "案件须先验收、回访，才能归档",
    "performance_awaited": lambda d, n: "协议尚待履行，须先记录履行情况才能归档",
    # returns, extensions, clocks and the ladder
    "return_pending": lambda d, n: "该任务已有待审批的退回申请",
    "dispatched_by_order": lambda d, n: "该任务已强制派单，不能再次退回",
    "return_window_passed": lambda d, n: f"派单后 {d['within']} 内才能申请退回，已超过期限",
    "extension_pending": lambda d, n: "该任务已有待审批的延期申请",
    "no_extension_pending": lambda d, n: "该任务没有待审批的延期申请",
    "extension_too_late": lambda d, n: "延期须在答复时限届满前申请",
    "extension_limit": lambda d, n: f"延期累计不得超过 {d['max_total']}",
    "bad_duration": lambda d, n: ("「报到时限」格式不正确，例如 2wh（2个工作小时）" if d.get("field") == "report_within"
                                  else "时长格式不正确，例如 3wd（3个工作日）、8wh（8个工作小时）、2d"),
    "clock_paused": lambda d, n: "计时已经中止",
    "clock_not_paused": lambda d, n: "计时没有中止，无需恢复",
    "clock_not_running": lambda d, n: "该时限的计时未在进行",
    "calendar_held": lambda d, n: f"本案的工作日历已是 {d['year']} 年公布的安排",
    "already_reminded": lambda d, n: "已经催办过",
    "already_escalated": lambda d, n: "已经升级到该督办级别",
    "nothing_to_supervise": lambda d, n: "办结结果已验收，无需再督办",
    "already_listed": lambda d, n: "案件已经挂牌督办",
    "not_listed": lambda d, n: "案件没有挂牌督办",
    "risk_unchanged": lambda d, n: "风险等级没有变化",
    "already_rated": lambda d, n: "该任务已评定，不能重复评定",
    # summonses and meetings on the case
    "no_summons": lambda d, n: "案件没有这个吹哨",
    "already_reported": lambda d, n: f"{n(d['department'])}已经报到",
    "no_meeting": lambda d, n: "案件没有这个会议",
    "minutes_recorded": lambda d, n: "该会议纪要已经记录",
    "commitments_need_attendance": lambda d, n: "记录承诺前须先填写实到单位",
    "no_commitment": lambda d, n: "案件没有这个承诺",
    "commitment_fulfilled": lambda d, n: "该承诺已经履行",
    "absent_commitment": lambda d, n: f"{n(d['department'])}未参会，不能承担承诺",
    "commitment_due_passed": lambda d, n: "承诺的办理期限已过",
    # mediation papers, 履行 and 司法确认
    "paper_not_ready": lambda d, n: _PAPER_NOT_READY.get(d.get("kind", ""), "尚不能出具该文书"),
    "paper_number": lambda d, n: f"本案文书编号为{d['number']}",
    "already_issued": lambda d, n: "该文书已经出具，内容没有变化",
    "already_attached": lambda d, n: "该文件已经上传过",
    "agreement_first": lambda d, n: "请先出具协议书，再上传签字版",
    "not_an_agreement": lambda d, n: "所选文书不是已出具的协议书",
    "performance_needs_agreement": lambda d, n: "只有达成协议才能设定履行期限",
    "performance_due_passed": lambda d, n: "履行期限须晚于现在",
    "no_performance_awaited": lambda d, n: "没有待履行的协议（记录调解时可设定履行期限）",
    "already_performed": lambda d, n: "已履行的协议不需要新的履行期限",
    "confirmation_needs_agreement": lambda d, n: "请先出具协议书：司法确认的申请期限自协议书起算",
    "confirmation_applied": lambda d, n: "已经申请过司法确认",
    "applied_at_no_offset": lambda d, n: "申请时间须带时区",
    "applied_at_future": lambda d, n: "申请时间不能晚于现在",
    "applied_at_before_agreement": lambda d, n: "申请时间早于协议书出具时间",
    "confirmation_window_closed": lambda d, n: "司法确认的申请期限已经届满",
    "confirmation_not_applied": lambda d, n: "尚未申请司法确认",
    "confirmation_decided": lambda d, n: "人民法庭已经作出司法确认结果",
    "no_document": lambda d, n: "案件没有这份文书",
    "no_attachment": lambda d, n: "案件没有这个附件",
    "file_damaged": lambda d, n: "存储的附件缺失或与其哈希不符，请报告审计人员",
    "may_not_attach": lambda d, n: f"{_role(d['role'])}不能上传附件",
    "no_notification": lambda d, n: "没有这条通知",
    "not_your_notification": lambda d, n: "这条通知不是发给您的",
    "no_user": lambda d, n: f"没有用户名为 {d['login']} 的人员",
    "no_token": lambda d, n: "没有这个令牌（可用令牌本身或令牌列表中的编号）",
    "publicity_off": lambda d, n: "本系统未开启公示",
    "no_signing_key": lambda d, n: "没有签名密钥，无法签署树头",
    "paper_damaged": lambda d, n: "存储的文书缺失或与其哈希不符，请报告审计人员",
    # routing against the organisation
    "unknown_department": lambda d, n: f"没有这个单位：{d['department']}",
    "lead_is_co": lambda d, n: f"{n(d['department'])}既是牵头单位又是协办单位",
    "co_twice": lambda d, n: f"协办单位 {n(d['department'])} 重复",
    # who sees what
    "no_case": lambda d, n: f"没有案件 {d['case']}",
    "not_your_case": lambda d, n: f"案件 {d['case']} 没有{n(d['department'])}的任务",
    "not_your_grid": lambda d, n: "此案件不在您的网格，网格员只能查看本网格的案件",
    "on_spot_grid_only": lambda d, n: "只有网格员可以记录就地化解",
    "liaison_own_department": lambda d, n: f"联络员只能查看本部门（{n(d['department'])}）的"
                                           f"{'待办' if d.get('what') == 'inbox' else '案件'}",
    # standing meetings (联席会议, 圆桌议事会)
    "meeting_role": lambda d, n: f"{_role(d['role'])}无权{_MEETING_ACTS.get(d['act'], '进行此操作')}",
    "meeting_exists": lambda d, n: "该会议已经存在",
    "invited_twice": lambda d, n: "同一单位被邀请了两次",
    "no_standing_meeting": lambda d, n: f"没有会议 {d.get('meeting', '')}".strip(),
    "meeting_changed": lambda d, n: "会议刚被他人修改，请刷新页面后重试",
    "already_on_agenda": lambda d, n: f"案件 {d['case']} 已在本次会议的议题中",
    "no_agenda_item": lambda d, n: "本次会议没有这个议题",
    "item_settled": lambda d, n: "该议题已经审定，不能再改",
    "meeting_not_held": lambda d, n: "会议召开之后才能记录会议纪要",
    "not_invited": lambda d, n: f"{n(d['department'])}未被邀请参加本次会议",
    "not_an_item": lambda d, n: f"案件 {d['case']} 不是审定同意的议题",
    "two_decisions": lambda d, n: f"案件 {d['case']} 有两项决定，每个议题只记一项决定",
    "already_noted": lambda d, n: "本案已列入该聚集预警",
    "no_alert": lambda d, n: "没有这条聚集预警",
    "alert_closed": lambda d, n: "该聚集预警已经关闭",
    # 责任人 and 包案
    "assignee_department": lambda d, n: f"责任人须是本任务所属单位（{n(d['department'])}）的人员",
    "already_assignee": lambda d, n: "此人已经是该任务的责任人",
    "not_a_leader": lambda d, n: "包案领导须是「领导」角色的人员",
    "already_leader": lambda d, n: "此人已经是本案的包案领导",
    "no_active_user": lambda d, n: "所选人员不存在或已停用",
    "not_led_case": lambda d, n: "此案件不是您包案的案件，领导只能查看本人包案的案件",
    # 上交 (hand-up)
    "handling_level": lambda d, n: f"案件已被上交，现由{_level(d['level'])}办理，请刷新后再操作",
    "top_level": lambda d, n: "案件已由区级办理，没有更高层级可以上交",
    "grid_report_level": lambda d, n: "网格员上报的案件由网格或社区办理，不能直接交由更高层级",
    "grid_hand_up_level": lambda d, n: f"案件已由{_level(d['level'])}办理，网格员只能上交网格或社区办理的案件",
    "not_the_handler": lambda d, n: f"此案件由{n(d['handler'])}办理，只有该中心的调解员可以上交",
    # sweeps (排查)
    "sweep_role": lambda d, n: f"{_role(d['role'])}无权{_SWEEP_ACTS.get(d['act'], '进行此操作')}",
    "sweep_exists": lambda d, n: "该排查已经存在",
    "grid_twice": lambda d, n: "同一网格出现了两次",
    "sweep_due_passed": lambda d, n: "排查截止时间须晚于现在",
    "no_sweep": lambda d, n: f"没有排查 {d.get('sweep', '')}".strip(),
    "not_in_sweep": lambda d, n: "该网格不在本次排查范围内",
    "sweep_other_grid": lambda d, n: "网格员只能上报本网格的排查结果",
    "sweep_grid_worker_only": lambda d, n: "排查结果由本网格的网格员上报",
    "sweep_reported": lambda d, n: "本网格已经上报过这次排查的结果",
    "sweep_changed": lambda d, n: "排查刚有变动，请刷新页面后重试",
}
CODES = frozenset(_CODES)


def chinese(refusal: object, names: Names = lambda d: d) -> str:
    """The Chinese form of a refusal (a domain ``Refusal`` or an application error): from its code and data
    when it has them, else from its English message."""
    code, data = getattr(refusal, "code", None), getattr(refusal, "data", None) or {}
    if code in _CODES:
        try:
            return _CODES[code](data, names)
        except KeyError:  # data from an older worker: the message still says it
            pass
    return translate(str(getattr(refusal, "message", refusal)), names)


def translate(message: str, names: Names = lambda d: d) -> str:
    """The Chinese form of a refusal; an unknown one is shown as it came, after a Chinese lead-in."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message.strip())
        if match is not None:
            return template(match, names)
    return f"操作未被接受：{message}"


def is_translated(message: str) -> bool:
    return not translate(message).startswith("操作未被接受：")
