"""The words of docs/domain.md as closed sets. Their string values are the API's names."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    intake = "intake"
    triage = "triage"
    coordination = "coordination"
    supervision = "supervision"
    archived = "archived"


class Role(StrEnum):
    mediator = "mediator"
    liaison = "liaison"
    supervisor = "supervisor"
    auditor = "auditor"
    admin = "admin"
    grid_worker = "grid_worker"  # 网格员: one grid; reports from the street, settles small disputes on the spot
    leader = "leader"  # 领导: takes charge of named cases (包案), reads the district's figures
    system = "system"  # the engine itself: timers, reminders, escalations


class Channel(StrEnum):
    walk_in = "walk_in"  # 来访
    hotline = "hotline"  # 12345
    grid_report = "grid_report"  # 网格上报
    online = "online"  # 网上


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class TaskRole(StrEnum):
    lead = "lead"
    co = "co"


class TaskStatus(StrEnum):
    pending_ack = "pending_ack"
    acknowledged = "acknowledged"
    return_requested = "return_requested"  # 退回审核: waiting for a supervisor's decision; its clocks run on
    returned = "returned"
    replied = "replied"
    cancelled = "cancelled"


class Clock(StrEnum):
    """The two deadlines of every department task."""

    acknowledge = "acknowledge"  # 签收时限
    reply = "reply"  # 答复/办结时限
    # Deadlines watched beside the tasks'; their "task_id" in the ladder's events is the watch's id.
    report = "report"  # 报到时限 of a summoned department (吹哨报到)
    commitment = "commitment"  # 答复时限 a department took on at a joint meeting
    follow_up = "follow_up"  # 回访时限 after verification
    # An agreement's own deadlines, watched on until they are met even after the case is resolved.
    performance = "performance"  # 履行期限 the agreement set (人民调解法 Art. 31)
    judicial_confirmation = "judicial_confirmation"  # 司法确认 must be applied for within 30 days (Art. 33)


AGREEMENT_CLOCKS = frozenset({Clock.performance, Clock.judicial_confirmation})
WATCH_CLOCKS = frozenset({Clock.report, Clock.commitment, Clock.follow_up, *AGREEMENT_CLOCKS})


class DocumentKind(StrEnum):
    """The papers of a people's mediation, in the case file's order."""

    registration = "registration"  # 人民调解申请（登记）表
    mediation_record = "mediation_record"  # 人民调解记录
    agreement = "agreement"  # 人民调解协议书
    supervision_notice = "supervision_notice"  # 督办通知单
    follow_up_record = "follow_up_record"  # 回访记录
    case_file = "case_file"  # 卷宗: cover, contents and every paper above


class Outcome(StrEnum):
    mediated = "mediated"
    partially_resolved = "partially_resolved"
    referred_to_litigation = "referred_to_litigation"
    withdrawn = "withdrawn"
    no_basis = "no_basis"
    resolved_on_spot = "resolved_on_spot"  # 就地化解: settled by the grid worker where it arose, no department task


class Grade(StrEnum):
    """评定: a supervisor's grade of a department's handling of its task."""

    excellent = "excellent"  # 优秀
    good = "good"  # 良好
    fair = "fair"  # 一般
    poor = "poor"  # 差


# The points of each grade when grades are averaged (rating_avg): 4 for 优秀 down to 1 for 差.
GRADE_POINTS = {Grade.excellent: 4, Grade.good: 3, Grade.fair: 2, Grade.poor: 1}


class Satisfaction(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


class MediationMethod(StrEnum):
    people = "people"  # 人民调解
    administrative = "administrative"  # 行政调解
    judicial = "judicial"  # 司法调解
    public_security = "public_security"  # 治安调解


class PartyRole(StrEnum):
    applicant = "applicant"  # 申请人
    respondent = "respondent"  # 被申请人
    third_party = "third_party"


class NotAcceptedReason(StrEnum):
    out_of_scope = "out_of_scope"  # 不属于受理范围
    in_litigation = "in_litigation"  # 已进入诉讼或仲裁程序
    duplicate = "duplicate"  # 重复件
    other = "other"


class ArchiveReason(StrEnum):
    resolved = "resolved"
    not_accepted = "not_accepted"
    duplicate = "duplicate"
