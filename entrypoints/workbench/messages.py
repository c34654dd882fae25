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
    (r"the case has not been received yet", lambda m, n: "案件尚未受理"),
    (r"the case has already been received", lambda m, n: "案件已经受理过"),
    (r"the case is archived: its record is sealed", lambda m, n: "案件已归档，记录已封存，不能再操作"),
    (r"a (\w+) may not do this; it is for: (.+)",
     lambda m, n: f"{ROLE.get(Role(m[1]), m[1]) if m[1] in Role.__members__ else m[1]}无权进行此操作"
                  f"（仅限{_roles(m[2])}）"),
    (r"task (\S+) belongs to department (\S+)", lambda m, n: f"该任务属于{n(m[2])}，不是您的部门"),
    (r"the case is in stage (\w+); this needs (.+)",
     lambda m, n: f"案件当前处于{_stages(m[1])}阶段，此操作需要{_stages(m[2])}阶段"),
    (r"the case has no task (\S+)", lambda m, n: f"案件没有任务 {m[1]}"),
    (r"task (\S+) is (\w+); this needs (.+)",
     lambda m, n: f"任务当前状态为{_statuses(m[2])}，此操作需要{_statuses(m[3])}"),
    (r"task (\S+) already has an extension request awaiting decision", lambda m, n: "该任务已有待审批的延期申请"),
    (r"task (\S+) is already rated", lambda m, n: "该任务已评定，不能重复评定"),
    (r"the case's calendar already holds (\S+) as announced", lambda m, n: f"本案的工作日历已是 {m[1]} 年公布的安排"),
    (r"department (\S+) is not in the organisation this case was received under",
     lambda m, n: f"{n(m[1])}不在本案受理时的组织架构中，不能分流给它"),
    (r"task (\S+) has no extension request awaiting decision", lambda m, n: "该任务没有待审批的延期申请"),
    (r"the clock is already paused", lambda m, n: "计时已经中止"),
    (r"the clock is not paused", lambda m, n: "计时没有中止，无需恢复"),
    (r"the resolution is already verified", lambda m, n: "办结结果已经验收"),
    (r"a case is archived after its verification.*", lambda m, n: "案件须先验收、回访，才能归档"),
    (r"a department appears twice in the route", lambda m, n: "同一单位在分流中出现了两次"),
    (r"department (\S+) returned this case and (?:may not|cannot) be routed (?:to )?(?:it )?again",
     lambda m, n: f"{n(m[1].strip(chr(39)))}已退回过本案，不能再分流给该单位"),
    (r"the lead department has not replied yet.*", lambda m, n: "牵头单位尚未答复，目前只能以「撤回」提交办结"),
    (r"follow-up \(回访\) comes after the resolution is verified.*", lambda m, n: "回访须在验收通过之后"),
    (r"already reminded", lambda m, n: "已经催办过"),
    (r"already escalated to this level", lambda m, n: "已经升级到该督办级别"),
    (r"task (\S+) is not running on its (\w+) clock", lambda m, n: "该任务的计时未在进行"),
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
    (r"a task can be returned only within (\S+) of its assignment.*",
     lambda m, n: f"派单后 {m[1]} 内才能申请退回，已超过期限"),
    (r"an extension must be asked before the reply deadline passes.*", lambda m, n: "延期须在答复时限届满前申请"),
    (r"commitment (\S+) belongs to department (\S+)", lambda m, n: f"该承诺属于{n(m[2])}"),
    (r"commitment (\S+) was already fulfilled", lambda m, n: "该承诺已经履行"),
    (r"commitments need the meeting's attendance.*", lambda m, n: "记录承诺前须先填写实到单位"),
    (r"department (\S+) already reported to (\S+)", lambda m, n: f"{n(m[1])}已经报到"),
    (r"department (\S+) did not attend and cannot take on a commitment", lambda m, n: f"{n(m[1])}未参会，不能承担承诺"),
    (r"department (\S+) has no task on this case and may not record a mediation",
     lambda m, n: f"{n(m[1])}在本案没有任务，不能记录调解"),
    (r"department (\S+) holds no task on this case", lambda m, n: f"{n(m[1])}在本案没有任务"),
    (r"department (\S+) was not summoned by (\S+)", lambda m, n: f"{n(m[1])}不在此次吹哨之列"),
    (r"extensions of task (\S+) may add at most (\S+) in all.*", lambda m, n: f"延期累计不得超过 {m[2]}"),
    (r"no dissatisfied follow-up awaits a judgement", lambda m, n: "没有待研判的不满意回访"),
    (r"report_within: .*", lambda m, n: "「报到时限」格式不正确，例如 2wh（2个工作小时）"),
    (r"task (\S+) already has a return awaiting a supervisor's decision", lambda m, n: "该任务已有待审批的退回申请"),
    (r"task (\S+) was dispatched by order.*", lambda m, n: "该任务已强制派单，不能再次退回"),
    (r"the case has no (commitment|meeting|summons) (\S+)",
     lambda m, n: f"案件没有这个{ {'commitment': '承诺', 'meeting': '会议', 'summons': '吹哨'}[m[1]] }"),
    (r"the case is already listed.*", lambda m, n: "案件已经挂牌督办"),
    # 责任人 and 包案
    (r"task (\S+) is not acknowledged yet: acknowledge it first", lambda m, n: "任务尚未签收，请先签收"),
    (r"user (\S+) is not of department (\S+): a task's 责任人 is one of its own department",
     lambda m, n: f"责任人须是本任务所属单位（{n(m[2])}）的人员"),
    (r"user (\S+) is already the 责任人 of task (\S+)", lambda m, n: "此人已经是该任务的责任人"),
    (r"user (\S+) is a (\w+), not a leader: 包案 is a leader's", lambda m, n: "包案领导须是「领导」角色的人员"),
    (r"user (\S+) is already the case's leader \(包案领导\)", lambda m, n: "此人已经是本案的包案领导"),
    (r"case (\S+) is not among this leader's cases.*",
     lambda m, n: "此案件不是您包案的案件，领导只能查看本人包案的案件"),
    (r"no active user (\S+)", lambda m, n: "所选人员不存在或已停用"),
    (r"the case is not listed.*", lambda m, n: "案件没有挂牌督办"),
    (r"the case was already reopened .*", lambda m, n: "重新办理次数已达政策上限，只能研判为不合理后归档"),
    (r"the commitment of (\S+) is due (\S+), which has already passed", lambda m, n: "承诺的办理期限已过"),
    (r"the dissatisfied follow-up awaits a supervisor's judgement before archiving",
     lambda m, n: "不满意回访须经督办人研判后才能归档"),
    (r"the last follow-up's complaint awaits a supervisor's judgement",
     lambda m, n: "上次回访的不满意须先经督办人研判"),
    (r"the minutes of meeting (\S+) are already recorded", lambda m, n: "该会议纪要已经记录"),
    (r"the resolution is already verified: nothing is left to supervise", lambda m, n: "办结结果已验收，无需再督办"),
    (r"the risk is already (\w+)", lambda m, n: "风险等级没有变化"),
    (r"this file is already attached.*", lambda m, n: "该文件已经上传过"),
    (r"(\S+) is not running on its (\w+) clock", lambda m, n: "该时限的计时未在进行"),
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
    (r"this grid worker is bound to no grid", lambda m, n: "您的账号没有绑定网格，请联系管理员"),
    (r"a grid worker of (\S+) may not (?:act|report) in grid (\S+?)(?::.*)?",
     lambda m, n: "网格员只能在本网格上报和办理，不能在其他网格"),
    (r"a grid worker reports through the channel grid_report.*", lambda m, n: "网格员上报的来源渠道须为「网格上报」"),
    (r"case (\S+) is not in grid (\S+): a grid worker reads only their own grid's cases",
     lambda m, n: "此案件不在您的网格，网格员只能查看本网格的案件"),
    (r"a mediator verifies only a settlement on the spot.*",
     lambda m, n: "调解员只能验收就地化解的案件，其他案件由督办人验收"),
    (r"the case has been routed to departments: it can no longer be settled on the spot",
     lambda m, n: "案件已分流到部门，不能再就地化解"),
    (r"a settlement on the spot needs the parties' agreement.*",
     lambda m, n: "就地化解须当事人达成一致；未达成一致的，请不勾选就地化解上报，由社区分流办理"),
    (r"resolved_on_spot is a grid worker's settlement on the spot.*",
     lambda m, n: "「就地化解」只能由网格员在上报时记录，不能作为办结结果提交"),
    (r"a settlement on the spot \(on_spot\) is a grid worker's.*", lambda m, n: "只有网格员可以记录就地化解"),
    # Mediation papers, 履行 and 司法确认
    (r"no mediation has been recorded .*", lambda m, n: "尚未记录调解，不能出具调解记录"),
    (r"no mediation reached an agreement.*", lambda m, n: "没有达成协议的调解，不能出具协议书"),
    (r"a supervision notice .* is for a warned or listed task.*",
     lambda m, n: "督办通知单用于已预警或挂牌督办的任务，本案没有"),
    (r"no follow-up .* has been recorded yet", lambda m, n: "尚未回访，不能出具回访记录"),
    (r"the case's papers are numbered (\S+), not (\S+)", lambda m, n: f"本案文书编号为{m[1]}"),
    (r"this (\w+) is already issued as (\S+)", lambda m, n: "该文书已经出具，内容没有变化"),
    (r"a performance deadline .* needs an agreement", lambda m, n: "只有达成协议才能设定履行期限"),
    (r"the performance deadline (\S+) has already passed", lambda m, n: "履行期限须晚于现在"),
    (r"a signed agreement belongs to an issued agreement.*", lambda m, n: "请先出具协议书，再上传签字版"),
    (r"(\S+) is not an issued agreement", lambda m, n: "所选文书不是已出具的协议书"),
    (r"no agreement's performance .* is awaited.*", lambda m, n: "没有待履行的协议（记录调解时可设定履行期限）"),
    (r"a new performance deadline is for an agreement not carried out",
     lambda m, n: "已履行的协议不需要新的履行期限"),
    (r"the new deadline (\S+) has already passed", lambda m, n: "新的履行期限须晚于现在"),
    (r"issue the agreement first .*", lambda m, n: "请先出具协议书：司法确认的申请期限自协议书起算"),
    (r"司法确认 was already applied for on (\S+)", lambda m, n: "已经申请过司法确认"),
    (r"applied_at needs a time zone offset", lambda m, n: "申请时间须带时区"),
    (r"applied_at is in the future", lambda m, n: "申请时间不能晚于现在"),
    (r"applied_at is before the agreement was issued", lambda m, n: "申请时间早于协议书出具时间"),
    (r"the window for 司法确认 closed on (\S+)", lambda m, n: "司法确认的申请期限已经届满"),
    (r"司法确认 has not been applied for", lambda m, n: "尚未申请司法确认"),
    (r"the court has already decided .*", lambda m, n: "人民法庭已经作出司法确认结果"),
    (r"the ruling is entered by the liaison of the court applied to .*",
     lambda m, n: "司法确认结果由受理申请的人民法庭联络员录入"),
    (r"the agreement's performance .* is awaited until (\S+): record it before archiving",
     lambda m, n: "协议尚待履行，须先记录履行情况才能归档"),
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
    # 责任人 and 包案
    "assignee_department": lambda d, n: f"责任人须是本任务所属单位（{n(d['department'])}）的人员",
    "already_assignee": lambda d, n: "此人已经是该任务的责任人",
    "not_a_leader": lambda d, n: "包案领导须是「领导」角色的人员",
    "already_leader": lambda d, n: "此人已经是本案的包案领导",
    "not_your_case": lambda d, n: "此案件不是您包案的案件，领导只能查看本人包案的案件",
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
