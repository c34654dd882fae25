"""Refusals in Chinese. The domain and the API explain a refusal in English (logs and API clients read
them); the desk shows the same reason translated. One table of patterns, tested against every refusal that
``domain/decide.py`` can raise, so a new rule without a translation fails the suite rather than the user."""

from __future__ import annotations

import re
from collections.abc import Callable

from domain.organisation import Organisation, UnknownId
from domain.vocabulary import Role, Stage, TaskStatus
from entrypoints.workbench.labels import ROLE, STAGE, TASK_STATUS

Names = Callable[[str], str]


def _stages(text: str) -> str:
    return "或".join(f"「{STAGE.get(Stage(s), s)}」" if s in Stage.__members__ else s for s in text.split(" or "))


def _statuses(text: str) -> str:
    return "或".join(f"「{TASK_STATUS.get(TaskStatus(s), s)}」" if s in TaskStatus.__members__ else s
                    for s in text.split(" or "))


def _roles(text: str) -> str:
    return "、".join(ROLE.get(Role(r), r) if r in Role.__members__ else r for r in text.split(", "))


_MEETING_ACTS = {"call_meeting": "召集会议", "propose_item": "提议议题", "decide_item": "审定议题",
                 "record_minutes": "记录会议纪要"}

# (pattern, template): templates get the match's groups, passed through the helpers named in {…|helper}.
_PATTERNS: list[tuple[str, Callable[[re.Match[str], Names], str]]] = [
    (r"the case is archived: its record is sealed", lambda m, n: "案件已归档，记录已封存，不能再操作"),
    (r"a (\w+) may not do this; it is for: (.+)",
     lambda m, n: f"{ROLE.get(Role(m[1]), m[1]) if m[1] in Role.__members__ else m[1]}无权进行此操作"
                  f"（仅限{_roles(m[2])}）"),
    (r"department (\S+) returned this case and (?:may not|cannot) be routed (?:to )?(?:it )?again",
     lambda m, n: f"{n(m[1].strip(chr(39)))}已退回过本案，不能再分流给该单位"),
    (r"unknown department '?([^']+)'?", lambda m, n: f"没有这个单位：{m[1]}"),
    (r"lead department '?([^']+)'? is also among the co-departments",
     lambda m, n: f"{n(m[1])}既是牵头单位又是协办单位"),
    (r"co-department '?([^']+)'? is named twice", lambda m, n: f"协办单位 {n(m[1])} 重复"),
    (r".* is not a duration .*", lambda m, n: "时长格式不正确，例如 3wd（3个工作日）、8wh（8个工作小时）、2d"),
    (r"no case (\S+)", lambda m, n: f"没有案件 {m[1]}"),
    (r"case (\S+) has no task for department (\S+)", lambda m, n: f"案件 {m[1]} 没有{n(m[2])}的任务"),
    (r"case (\S+) has no task (\S+)", lambda m, n: "案件没有这个任务"),
    (r"a liaison sees only the (inbox|cases) of department (\S+)",
     lambda m, n: f"联络员只能查看本部门（{n(m[2])}）的{'待办' if m[1] == 'inbox' else '案件'}"),
    # Supervision as practised
    (r"a department appears twice in the (attendance|summons)", lambda m, n: "同一单位出现了两次"),
    (r"department (\S+) did not attend and cannot take on a commitment", lambda m, n: f"{n(m[1])}未参会，不能承担承诺"),
    (r"the commitment of (\S+) is due (\S+), which has already passed", lambda m, n: "承诺的办理期限已过"),
    (r"the minutes of meeting (\S+) are already recorded", lambda m, n: "该会议纪要已经记录"),
    # Standing meetings (联席会议, 圆桌议事会): domain/meetings.py and application/meetings.py
    (r"a (\w+) may not (\w+)",
     lambda m, n: f"{ROLE.get(Role(m[1]), m[1]) if m[1] in Role.__members__ else m[1]}"
                  f"无权{_MEETING_ACTS.get(m[2], '进行此操作')}"),
    (r"meeting (\S+) already exists", lambda m, n: "该会议已经存在"),
    (r"a department is invited twice", lambda m, n: "同一单位被邀请了两次"),
    (r"(?:there is )?no meeting (\S+)", lambda m, n: f"没有会议 {m[1]}"),
    (r"meeting (\S+) changed meanwhile; try again", lambda m, n: "会议刚被他人修改，请刷新页面后重试"),
    (r"case (\S+) is already on the agenda", lambda m, n: f"案件 {m[1]} 已在本次会议的议题中"),
    (r"the meeting has no agenda item (\S+)", lambda m, n: "本次会议没有这个议题"),
    (r"agenda item (\S+) is already settled", lambda m, n: "该议题已经审定，不能再改"),
    (r"the minutes are recorded once the meeting has been held", lambda m, n: "会议召开之后才能记录会议纪要"),
    (r"department (\S+) was not invited to the meeting", lambda m, n: f"{n(m[1])}未被邀请参加本次会议"),
    (r"case (\S+) is not an accepted item of the agenda", lambda m, n: f"案件 {m[1]} 不是审定同意的议题"),
    (r"case (\S+) has two decisions; one decision per item",
     lambda m, n: f"案件 {m[1]} 有两项决定，每个议题只记一项决定"),
    # The grid: 网格上报 and 就地化解
    (r"a grid worker of (\S+) may not (?:act|report) in grid (\S+?)(?::.*)?",
     lambda m, n: "网格员只能在本网格上报和办理，不能在其他网格"),
    (r"case (\S+) is not in grid (\S+): a grid worker reads only their own grid's cases",
     lambda m, n: "此案件不在您的网格，网格员只能查看本网格的案件"),
    (r"a settlement on the spot \(on_spot\) is a grid worker's.*", lambda m, n: "只有网格员可以记录就地化解"),
    # Mediation papers, 履行 and 司法确认
    (r"case (\S+) has no document (\S+)", lambda m, n: "案件没有这份文书"),
    (r"the stored paper (\S+) is missing or no longer matches its hash.*",
     lambda m, n: "存储的文书缺失或与其哈希不符，请报告审计人员"),
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
