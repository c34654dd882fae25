"""Who is told of what, and when (docs/domain.md "Notifications (送达)"). Pure.

Two steps, so the workflow (which has no organisation) and the resolver (which has it) each do their part:

1. :func:`intents_for` - from the case alone: what is due, how urgent, for whom in the abstract (a department's
   liaisons, its head, the centre of a jurisdiction, the police station above the grid).
2. :func:`resolve` - through the organisation: the departments and the channels (Apprise URLs) that reach them,
   recorded as :class:`DeliveryTarget` (a stable id and a redacted address, never the URL and its secrets).

Also here: the Chinese message (:func:`message`), the title with parties' data masked (:func:`safe_title`) and
quiet hours (:func:`quiet_until`)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, time, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import SerializerFunctionWrapHandler, TypeAdapter, ValidationError, model_serializer

from domain.case import CaseState
from domain.describe import NOTIFICATION_KIND
from domain.events import (
    CaseHandedUp,
    CaseListed,
    CaseReceived,
    CaseReopened,
    ClockPaused,
    ClockResumed,
    ClusterDetected,
    DeliveryTarget,
    DepartmentsSummoned,
    DomainEvent,
    ExtensionDecided,
    ExtensionRequested,
    Frozen,
    JudicialConfirmationApplied,
    LeaderAssigned,
    NotificationKind,
    ResolutionRejected,
    ReturnDecided,
    ReturnRequested,
    RiskRegraded,
    SummonsReported,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
)
from domain.handling import LEVEL_NAMES, place_at
from domain.organisation import Department, JurisdictionLevel, NotifyUrl, Organisation, UnknownId
from domain.policy import NotificationPolicy
from domain.vocabulary import WATCH_CLOCKS, Clock, RiskLevel

# ----------------------------------------------------------------------------------------------- intents

AudienceKind = Literal["liaisons", "head", "centre_of", "centre_above", "police_above", "district_centre",
                       "centre_at", "street_centre", "user"]


class Audience(Frozen):
    """Who, before the organisation is consulted: ``ref`` is a department id (liaisons, head; centre_above: the
    centre one jurisdiction level above the department's) or a jurisdiction id (centre_of: the 综治中心 of it or
    nearest above; street_centre: of the street that holds it; police_above, district_centre: from it up;
    centre_at: the centre of its ancestor at ``level``, or the nearest above that) or, for ``user``, a
    user's id (a 包案 leader: told in the workbench, by id, and on the person's own channels when the admin has
    given them some: :func:`person_targets`)."""

    kind: AudienceKind
    ref: str
    level: JurisdictionLevel | None = None  # centre_at only

    @model_serializer(mode="wrap")
    def _without_absent_level(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # the other audiences serialize as they did before there was a level (activity inputs in histories)
        data: dict[str, Any] = handler(self)
        if data.get("level") is None:
            data.pop("level", None)
        return data


class Intent(Frozen):
    kind: NotificationKind
    level: int
    task_id: str | None = None
    clock: Clock | None = None
    due_at: datetime | None = None
    audiences: tuple[Audience, ...]
    # 聚集预警: what the message names (a community, a category, how many cases); nothing about any party.
    jurisdiction: str | None = None
    category: str | None = None
    count: int | None = None
    approved: bool | None = None  # a decision on a department's request: what the message tells it


def intents_for(state: CaseState, event: DomainEvent) -> list[Intent]:
    """The notifications ``event`` calls for, given the case ``state`` before it."""
    match event:
        case CaseReceived() if event.risk_level is RiskLevel.critical:
            # 民转刑 / 群体性事件 risk: the district centre and the police station above the grid, at once.
            return [_critical_alert(event.grid_id)]
        # Supervision as practised.
        case RiskRegraded() if event.risk_level is RiskLevel.critical and event.previous is not RiskLevel.critical:
            return [_critical_alert(state.grid_id)]
        case TaskReminded() | TaskEscalated() if event.clock in WATCH_CLOCKS:
            return _watch_intents(state, event)
        case DepartmentsSummoned():  # 吹哨: each summoned department must report (报到) by the deadline
            return [Intent(kind="summons", level=0, clock=Clock.report, due_at=event.due_at,
                           audiences=tuple(Audience(kind="liaisons", ref=d) for d in event.departments))]
        case SummonsReported():  # the last of a summons's departments reported: the centre that summoned can go on
            summons = state.summons_by_id(event.summons_id)
            if summons is None or [d.department for d in summons.departments if d.reported_at is None] \
                    != [event.department]:
                return []
            return [Intent(kind="summons_reported", level=0, count=len(summons.departments),
                           audiences=(Audience(kind="centre_of", ref=state.grid_id),))]
        case ClusterDetected() if event.opened:
            # 聚集预警: the street's and the district's centres, at once (the other cases of the alert are quiet).
            return [Intent(kind="cluster_alert", level=3, jurisdiction=event.jurisdiction, category=event.category,
                           count=len(event.case_ids),
                           audiences=(Audience(kind="street_centre", ref=event.jurisdiction),
                                      Audience(kind="district_centre", ref=event.jurisdiction)))]
        case CaseListed():  # 挂牌督办 by hand: the centre one level up and the heads of the departments at work
            lead = next((t for t in state.tasks if t.role.value == "lead"), None)
            above = Audience(kind="centre_above", ref=lead.department) if lead else \
                Audience(kind="district_centre", ref=state.grid_id)
            return [Intent(kind="listed_supervision", level=3,
                           audiences=(above, *(Audience(kind="head", ref=t.department) for t in state.active_tasks)))]
        case CaseHandedUp():  # 上交: the centre of the level it now goes to takes it over
            return [Intent(kind="handed_up", level=0, audiences=(
                Audience(kind="centre_at", ref=state.grid_id, level=event.to_level),))]
        case LeaderAssigned():  # 包案: the leader named, addressed to that one user
            return [Intent(kind="leader_assignment", level=0, audiences=(Audience(kind="user", ref=event.user),))]
        case JudicialConfirmationApplied():  # 司法确认: the court applied to reviews it and enters its ruling
            return [Intent(kind="judicial_confirmation", level=0, clock=Clock.judicial_confirmation,
                           audiences=(Audience(kind="liaisons", ref=event.court_department),))]
        case ExtensionRequested():  # 延期审批: the centre of the case's jurisdiction decides, before the reply is due
            task = state.task(event.task_id)
            return [Intent(kind="extension_requested", level=0, task_id=event.task_id, clock=Clock.reply,
                           due_at=task.reply_due_at,
                           audiences=(Audience(kind="centre_of", ref=state.grid_id),))] if task else []
        case ExtensionDecided():  # the department that asked is told, with its reply deadline as it now stands
            task = state.task(event.task_id)
            return [Intent(kind="extension_decided", level=0, task_id=event.task_id, clock=Clock.reply,
                           due_at=event.reply_due_at, approved=event.approved,
                           audiences=(Audience(kind="liaisons", ref=task.department),))] if task else []
        case ReturnDecided():  # the department that asked is told: returned, or 强制派单 (it carries on)
            task = state.task(event.task_id)
            return [Intent(kind="return_decided", level=0, task_id=event.task_id, approved=event.approved,
                           audiences=(Audience(kind="liaisons", ref=task.department),))] if task else []
        case ResolutionRejected() | CaseReopened():
            # 验收不通过 or a reopened case (回访不满意): each department sent back to work is told, with its new reply
            # deadline; the reason is free text and stays in the case.
            kind: NotificationKind = "verification_rejected" if isinstance(event, ResolutionRejected) \
                else "case_reopened"
            return [Intent(kind=kind, level=0, task_id=due.task_id, clock=Clock.reply, due_at=due.reply_due_at,
                           audiences=(Audience(kind="liaisons", ref=task.department),))
                    for due in event.reopened if (task := state.task(due.task_id)) is not None]
        case ClockPaused():  # 中止计时: each department at work is told its deadline stopped (none hurries for nothing)
            return [Intent(kind="clock_paused", level=0, task_id=t.task_id, clock=t.open_clock,
                           audiences=(Audience(kind="liaisons", ref=t.department),)) for t in state.active_tasks]
        case ClockResumed():  # 恢复计时: and told the deadline it now works to, moved by the paused time
            return [Intent(kind="clock_resumed", level=0, task_id=due.task_id, clock=clock,
                           due_at=due.acknowledge_due_at if clock is Clock.acknowledge else due.reply_due_at,
                           audiences=(Audience(kind="liaisons", ref=task.department),))
                    for due in event.due_times
                    if (task := state.task(due.task_id)) is not None and (clock := task.open_clock) is not None]
        case ReturnRequested():  # 退回审核: the centre of the case's jurisdiction decides
            task = state.task(event.task_id)
            return [Intent(kind="return_requested", level=0, task_id=event.task_id,
                           audiences=(Audience(kind="centre_of", ref=state.grid_id),))] if task else []
        case TaskAssigned():
            return [Intent(kind="assignment", level=0, task_id=event.task_id, clock=Clock.acknowledge,
                           due_at=event.acknowledge_due_at,
                           audiences=(Audience(kind="liaisons", ref=event.department),))]
        case TaskReminded():
            task = state.task(event.task_id)
            if task is None:
                return []
            return [Intent(kind="reminder", level=1, task_id=task.task_id, clock=event.clock, due_at=event.due_at,
                           audiences=(Audience(kind="liaisons", ref=task.department),))]
        case TaskEscalated():
            task = state.task(event.task_id)
            if task is None:
                return []
            if event.level == 2:
                # 预警: the department head, and the centre of the case's own jurisdiction.
                return [Intent(kind="warning", level=2, task_id=task.task_id, clock=event.clock, due_at=event.due_at,
                               audiences=(Audience(kind="head", ref=task.department),
                                          Audience(kind="centre_of", ref=state.grid_id)))]
            # 挂牌督办: the centre of the jurisdiction one level up (as recorded on the task when it was routed,
            # else found from the department's own jurisdiction).
            up = event.notify_jurisdiction or task.escalate_to
            return [Intent(kind="listed_supervision", level=3, task_id=task.task_id, clock=event.clock,
                           due_at=event.due_at,
                           audiences=(Audience(kind="head", ref=task.department),
                                      Audience(kind="centre_of", ref=up) if up else
                                      Audience(kind="centre_above", ref=task.department)))]
    return []


def _critical_alert(grid_id: str) -> Intent:
    return Intent(kind="critical_alert", level=3, audiences=(
        Audience(kind="police_above", ref=grid_id), Audience(kind="district_centre", ref=grid_id)))


def _watch_intents(state: CaseState, event: TaskReminded | TaskEscalated) -> list[Intent]:
    """The ladder of a summons report, a commitment or the follow-up: the department (the centre for the
    follow-up, which is its own work), then its head and the centre, then the jurisdiction one level up."""
    watch = state.watch(event.task_id)
    if watch is None:
        return []
    own = Audience(kind="liaisons", ref=watch.department) if watch.department else \
        Audience(kind="centre_of", ref=state.grid_id)
    if isinstance(event, TaskReminded):
        return [Intent(kind="reminder", level=1, clock=event.clock, due_at=event.due_at, audiences=(own,))]
    head = (Audience(kind="head", ref=watch.department),) if watch.department else ()
    if event.level == 2:
        return [Intent(kind="warning", level=2, clock=event.clock, due_at=event.due_at,
                       audiences=(*head, Audience(kind="centre_of", ref=state.grid_id)))]
    up = event.notify_jurisdiction
    above = Audience(kind="centre_of", ref=up) if up else \
        Audience(kind="centre_above", ref=watch.department) if watch.department else \
        Audience(kind="district_centre", ref=state.grid_id)
    return [Intent(kind="listed_supervision", level=3, clock=event.clock, due_at=event.due_at,
                   audiences=(*head, above))]


def is_urgent(intent: Intent, risk: RiskLevel, policy: NotificationPolicy) -> bool:
    """Goes out even in quiet hours: a case of an urgent risk level, listed supervision, a critical or cluster
    alert."""
    return intent.kind in ("listed_supervision", "critical_alert", "cluster_alert") or risk in policy.urgent


# ----------------------------------------------------------------------------------------------- resolving

ZONGZHI, POLICE = "zongzhi", "police"


def _of_kind_from(org: Organisation, kind: str, jurisdiction_id: str, top_only: bool = False) -> Department | None:
    """The department of ``kind`` in the jurisdiction or the nearest one above it (or only at the top)."""
    try:
        chain = org.ancestors(jurisdiction_id)
    except UnknownId:
        return None
    for place in chain[-1:] if top_only else chain:
        for d in org.departments:
            if d.kind == kind and d.jurisdiction == place.id:
                return d
    return None


def _centre_above(org: Organisation, department_id: str) -> Department | None:
    """The centre one level above the department's jurisdiction; a district department's own district centre."""
    try:
        home = org.department(department_id).jurisdiction
    except UnknownId:
        return None
    up = org.parent_of(home)
    return _of_kind_from(org, ZONGZHI, up.id if up else home)


def _street_centre(org: Organisation, jurisdiction_id: str) -> Department | None:
    """The 综治中心 of the street that holds the jurisdiction (or the nearest one above, as for centre_of)."""
    try:
        chain = org.ancestors(jurisdiction_id)
    except UnknownId:
        return None
    street = next((j for j in chain if j.level is JurisdictionLevel.street), None)
    return _of_kind_from(org, ZONGZHI, street.id if street else jurisdiction_id)


def recipients(org: Organisation, intent: Intent) -> tuple[str, ...]:
    """``"{role}:{department}"`` for each audience the organisation can name, without repeats. A centre or a
    police station is told through its liaisons (the duty desk)."""
    found: list[str] = []
    for a in intent.audiences:
        if a.kind in ("liaisons", "head", "user"):
            found.append(f"{a.kind}:{a.ref}")
            continue
        if a.kind == "centre_at":
            place = place_at(org, a.ref, a.level) if a.level is not None else None
            dept = _of_kind_from(org, ZONGZHI, place) if place is not None else None
            if dept is not None:
                found.append(f"liaisons:{dept.id}")
            continue
        dept = (_of_kind_from(org, ZONGZHI, a.ref) if a.kind == "centre_of" else
                _street_centre(org, a.ref) if a.kind == "street_centre" else
                _centre_above(org, a.ref) if a.kind == "centre_above" else
                _of_kind_from(org, POLICE, a.ref) if a.kind == "police_above" else
                _of_kind_from(org, ZONGZHI, a.ref, top_only=True))
        if dept is not None:
            found.append(f"liaisons:{dept.id}")
    return tuple(dict.fromkeys(found))


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


# Schemes whose host is a real host; for the others (wecombot://KEY, dingtalk://TOKEN, ...) it is a secret.
_HOST_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "ntfy", "ntfys"})


def redact(url: str) -> str:
    """``scheme://host[:port]`` for schemes with a real host, else ``scheme://***``: no user, password, path or
    query (where robot keys and tokens live)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower() or "?"
        if scheme in _HOST_SCHEMES and parts.hostname:
            return f"{scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        scheme = "?"
    return f"{scheme}://***"


def targets(org: Organisation, recipient: str) -> tuple[DeliveryTarget, ...]:
    """The channels that reach ``"{role}:{department}"`` (none when the organisation names no URL)."""
    role, _, department = recipient.partition(":")
    try:
        notify = org.department(department).notify
    except UnknownId:
        return ()
    if notify is None or role not in ("liaisons", "head"):
        return ()
    urls = notify.liaisons if role == "liaisons" else notify.head
    return tuple(
        DeliveryTarget(channel_id=f"{department}/{role}/{i}/{url_hash(url)}", department=department,
                       role="liaisons" if role == "liaisons" else "head", address=redact(url))
        for i, url in enumerate(urls))


# A person's own channels (a 包案 leader's, set by the admin on the person: infra/users.py) are recorded as
# "user/{user id}/{index}/{hash}", with ``role`` "user" and the person's id where a department's would be, so
# that ``f"{role}:{department}"`` is the recipient they reach ("user:{id}") as for a department's channels.
PERSON_CHANNEL = "user"


def person_targets(user_id: str, urls: tuple[str, ...]) -> tuple[DeliveryTarget, ...]:
    """The channels that reach ``"user:{user_id}"``: the person's own URLs (none when the admin gave none)."""
    return tuple(
        DeliveryTarget(channel_id=f"{PERSON_CHANNEL}/{user_id}/{i}/{url_hash(url)}", department=user_id,
                       role="user", address=redact(url))
        for i, url in enumerate(urls))


MAX_PERSON_CHANNELS = 5
_NOTIFY_URL: TypeAdapter[str] = TypeAdapter(NotifyUrl)


def person_channels_problem(urls: list[str]) -> str | None:
    """What is wrong with ``urls`` as a person's own channels, or ``None``: Apprise URLs as a department's
    (``scheme://...``), at most five. A problem names a URL by its redacted form only (it may hold a key)."""
    if len(urls) > MAX_PERSON_CHANNELS:
        return f"at most {MAX_PERSON_CHANNELS} channels a person, not {len(urls)}"
    for i, url in enumerate(urls, 1):
        try:
            _NOTIFY_URL.validate_python(url)
        except ValidationError:
            return f"channel {i} is not an Apprise URL (scheme://…, no spaces): {redact(url)}"
    return None


def person_of(channel_id: str) -> str | None:
    """The person a recorded channel reaches, when it is a person's own (else ``None``: a department's)."""
    kind, _, rest = channel_id.partition("/")
    return rest.rsplit("/", 2)[0] if kind == PERSON_CHANNEL and rest.count("/") >= 2 else None


def person_url(channel_id: str, urls: tuple[str, ...]) -> str | None:
    """The URL a person's recorded channel stands for among their URLs now (by its hash, wherever it now sits
    in the list); ``None`` when they no longer have it."""
    digest = channel_id.rsplit("/", 1)[-1]
    return next((u for u in urls if url_hash(u) == digest), None)


def url_for(org: Organisation, channel_id: str) -> str | None:
    """The URL a recorded channel stands for: the department's URL of that role with the recorded hash (wherever
    it now sits in the list); ``None`` when the organisation no longer has it."""
    department, role, _, digest = [*channel_id.split("/"), "", "", ""][:4]
    try:
        notify = org.department(department).notify
    except UnknownId:
        return None
    if notify is None:
        return None
    urls = notify.liaisons if role == "liaisons" else notify.head if role == "head" else ()
    return next((u for u in urls if url_hash(u) == digest), None)


# ----------------------------------------------------------------------------------------------- messages

# The kinds' names of domain.describe, with the card colours a message names (the pages show the colours).
_KIND_NAMES: dict[str, str] = {**NOTIFICATION_KIND, "warning": "预警（黄牌）", "listed_supervision": "挂牌督办（红牌）"}
_ACTION = {Clock.acknowledge: "签收", Clock.reply: "答复", Clock.report: "报到", Clock.commitment: "落实承诺事项",
           Clock.follow_up: "回访", Clock.performance: "督促履行调解协议",
           Clock.judicial_confirmation: "申请司法确认"}
_DIGITS = re.compile(r"\d{6,}")


def safe_title(state: CaseState) -> str:
    """The case title with every party's name, phone and ID number masked, and any long digit run (a phone or
    ID number typed into the title) masked too: a title is written by people and may name a party."""
    title = state.title
    for party in state.parties:
        for value in (party.name, party.phone, party.id_number):
            if value:
                title = title.replace(value, "*" * len(value))
    return _DIGITS.sub(lambda m: "*" * len(m.group()), title)


DETAIL = "详情："  # the last line of a message: where it opens (a sweep's rung gives the link bare)


def without_link(text: str, link: str) -> str:
    """``text`` without the line that only gives ``link`` (a message's last, above): for a reader already on the
    page the link opens, such as the workbench's bell."""
    lines = [line for line in text.splitlines()
             if not link or line.strip().removeprefix(DETAIL).strip() != link]
    return "\n".join(lines) or text


def local_time(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y年%m月%d日 %H:%M")


def message(intent: Intent, case_id: str, title: str, timezone: str, link: str,
            org: Organisation | None = None) -> tuple[str, str]:
    """(title, body) in Chinese: what is due, by when (local time), the level, the case id and title, the link.
    ``title`` must already be :func:`safe_title`; nothing else about the case is used. A cluster alert names the
    community, the category (through ``org``) and the count, and no case title at all: it is about many cases."""
    name = _KIND_NAMES[intent.kind]
    if intent.kind == "cluster_alert":
        return _cluster_message(intent, case_id, link, org)
    action = _ACTION.get(intent.clock, "办理") if intent.clock else "办理"
    due = local_time(intent.due_at, timezone) if intent.due_at else None
    what = {
        "assignment": f"已派至本单位，请于 {due} 前{action}。",
        "reminder": f"请于 {due} 前{action}。",
        "warning": f"已于 {due} 超过{action}时限，请单位负责人督促办理。",
        # by the ladder: since a deadline; by hand (a supervisor's 挂牌, no deadline passed): no time to give
        "listed_supervision": f"自 {due} 起超过{action}时限，已挂牌督办，请立即办理并报告。" if due else
                              "已挂牌督办，请立即办理并报告。",
        "critical_alert": "为重大风险案件（可能民转刑或引发群体性事件），请立即关注处置。",
        "summons": f"请于 {due} 前报到。",
        "summons_reported": f"吹哨召集的{intent.count}个单位已全部报到。",
        "return_requested": "责任单位申请退回，请督办人审核。",
        "extension_requested": f"责任单位申请延期，现答复时限 {due}，请督办人在此前审批。",
        "extension_decided": f"延期申请已批准，答复时限延至 {due}。" if intent.approved else
                             f"延期申请未获批准，请于 {due} 前答复。",
        "return_decided": "退回申请已批准，任务已退回。" if intent.approved else
                          "退回申请未获批准（强制派单），请本单位继续办理。",
        "verification_rejected": f"办理结果验收未通过，已退回本单位重新办理，请于 {due} 前答复。",
        "case_reopened": f"回访当事人不满意，案件重新办理，请于 {due} 前答复。",
        "clock_paused": f"已中止计时，{action}时限暂停计算；恢复计时后将告知新的时限。",
        "clock_resumed": f"已恢复计时，{action}时限顺延至 {due}。",
        "judicial_confirmation": "双方当事人已申请司法确认，请审查后录入确认结果。",
        "handed_up": f"已上交至{_handed_to(intent)}，请本中心接办。",
        "leader_assignment": "您已被确定为本案包案领导，请关注办理进展。",
    }[intent.kind]
    subject = f"【联调·{name}】案件 {case_id}"
    body = f"{subject}「{title}」{what}\n级别：{intent.level} 级（{name}）\n{DETAIL}{link}"
    return subject, body


def _handed_to(intent: Intent) -> str:
    level = next((a.level for a in intent.audiences if a.level is not None), None)
    return LEVEL_NAMES[level] if level is not None else "上级"


def _cluster_message(intent: Intent, case_id: str, link: str, org: Organisation | None) -> tuple[str, str]:
    place, category = intent.jurisdiction or "", intent.category or ""
    if org is not None:
        place, category = org.jurisdiction_name(place), org.category_name(category)
    subject = f"【联调·聚集预警】{place}"
    # The delivery's subject is what comes before the first 「 (workflows/dispute_case.py).
    body = (f"{subject}「{category}类矛盾纠纷近期已达 {intent.count or 0} 件」（最新案件 {case_id}），"
            f"可能形成群体性隐患，请立即研判处置。\n级别：{intent.level} 级（聚集预警）\n{DETAIL}{link}")
    return subject, body


# ----------------------------------------------------------------------------------------------- quiet hours


def _intervals(quiet_hours: tuple[str, ...]) -> list[tuple[time, time]]:
    return [(time.fromisoformat(q[:5]), time.fromisoformat(q[6:])) for q in quiet_hours]


def quiet_until(now: datetime, policy: NotificationPolicy, timezone: str) -> datetime | None:
    """When the quiet hours that ``now`` falls in end (UTC-aware, like ``now``), or ``None`` outside them.
    Intervals may cross midnight ("21:00-08:00"); back-to-back intervals are followed to the end."""
    zone = ZoneInfo(timezone)
    at = now.astimezone(zone)
    end: datetime | None = None
    for _ in range(len(policy.quiet_hours) + 1):
        t, day = at.timetz().replace(tzinfo=None), at.date()
        nxt = None
        for start, stop in _intervals(policy.quiet_hours):
            if start < stop and start <= t < stop:
                nxt = datetime.combine(day, stop, zone)
            elif start > stop and t >= start:
                nxt = datetime.combine(day + timedelta(days=1), stop, zone)
            elif start > stop and t < stop:
                nxt = datetime.combine(day, stop, zone)
            if nxt is not None:
                break
        if nxt is None:
            break
        end = at = nxt
    return None if end is None else end.astimezone(now.tzinfo)


# ----------------------------------------------------------------------------------------------- legacy

LegacyChannel = Literal["inbox", "sms"]


class Notification(Frozen):
    """An outbox row of the code before notifications were delivered (placeholder recipients, no delivery)."""

    recipient: str
    channel: LegacyChannel
    kind: str


def legacy_notifications_for(state: CaseState, event: DomainEvent) -> list[Notification]:
    """The outbox rows of workflows that run the code from before notifications were delivered
    (``workflow.patched("notify")`` false)."""
    match event:
        case TaskReminded() | TaskEscalated() if event.clock in WATCH_CLOCKS:
            return _watch_notifications(state, event)
        case DepartmentsSummoned():  # 吹哨: each summoned department is told at once
            return [Notification(recipient=f"liaisons:{d}", channel="sms", kind="summons") for d in event.departments]
        case CaseListed():
            up = next((t.escalate_to for t in reversed(state.tasks) if t.escalate_to), None) or "district"
            return [Notification(recipient=f"centre:{up}", channel="sms", kind="listed_supervision"),
                    *(Notification(recipient=f"head:{t.department}", channel="sms", kind="listed_supervision")
                      for t in state.active_tasks)]
        case RiskRegraded() if event.risk_level is RiskLevel.critical:
            return [Notification(recipient="centre:district", channel="sms", kind="critical_alert"),
                    Notification(recipient=f"police:{state.grid_id}", channel="sms", kind="critical_alert")]
        case ReturnRequested():
            return [Notification(recipient="centre:case", channel="inbox", kind="return_requested")]
        case CaseReceived() if event.risk_level is RiskLevel.critical:
            # 民转刑 / 群体性事件 risk: the district centre and the police are told at once.
            return [Notification(recipient="centre:district", channel="sms", kind="critical_case"),
                    Notification(recipient=f"police:{event.grid_id}", channel="sms", kind="critical_case")]
        case TaskAssigned():
            return [Notification(recipient=f"liaisons:{event.department}", channel="inbox", kind="task_assigned")]
        case TaskReminded():
            task = state.task(event.task_id)
            if task is None:
                return []
            return [Notification(recipient=f"liaisons:{task.department}", channel="inbox", kind="reminder")]
        case TaskEscalated():
            task = state.task(event.task_id)
            if task is None:
                return []
            if event.level == 2:
                return [Notification(recipient=f"head:{task.department}", channel="sms", kind="warning"),
                        Notification(recipient="centre:case", channel="inbox", kind="warning")]
            up = event.notify_jurisdiction or "district"
            return [Notification(recipient=f"centre:{up}", channel="sms", kind="listed_supervision"),
                    Notification(recipient=f"head:{task.department}", channel="sms", kind="listed_supervision")]
    return []


def _watch_notifications(state: CaseState, event: TaskReminded | TaskEscalated) -> list[Notification]:
    """The ladder of a summons report, a commitment or the follow-up: the department (the centre for the
    follow-up, which is its own work), then its head and the centre, then the jurisdiction one level up."""
    watch = state.watch(event.task_id)
    if watch is None:
        return []
    own = f"liaisons:{watch.department}" if watch.department else "centre:case"
    if isinstance(event, TaskReminded):
        return [Notification(recipient=own, channel="inbox", kind="reminder")]
    head = [Notification(recipient=f"head:{watch.department}", channel="sms",
                         kind="warning" if event.level == 2 else "listed_supervision")] if watch.department else []
    if event.level == 2:
        return [*head, Notification(recipient="centre:case", channel="inbox", kind="warning")]
    up = event.notify_jurisdiction or "district"
    return [Notification(recipient=f"centre:{up}", channel="sms", kind="listed_supervision"), *head]
