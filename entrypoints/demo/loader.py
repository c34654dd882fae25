"""`liandiao up --demo`: a dozen realistic cases in varied stages, so a newcomer sees a living system.

Most cases run on the default policy (China working days). A few are pinned to a fast demo policy so that,
within minutes of start-up, they climb the escalation ladder live: reminder, warning, listed supervision.
Loading is idempotent: case ids and request ids are fixed, and nothing is loaded twice. Every case goes through
the application layer, as a mediator's would: intake checks, the duplicate check, the routing rules' suggestion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from application import supervision, sweeps
from application.cases import Application, Intake
from application.people import People
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    Command,
    DeclineCase,
    ListCase,
    PauseClock,
    RecordFollowUp,
    RecordMediation,
    ReplyTask,
    RequestExtension,
    ReturnTask,
    SubmitResolution,
    VerifyResolution,
)
from domain.events import Actor, Party
from domain.organisation import demo_organisation, suggest_route
from domain.policy import DEFAULT_POLICY, parse_policy, pin_policy
from domain.vocabulary import (
    Channel,
    MediationMethod,
    NotAcceptedReason,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
)
from entrypoints.demo import people as demo_people
from entrypoints.demo.people import PEOPLE, liaison_of
from infra.embedded import StackError
from infra.logging import get_logger

if TYPE_CHECKING:
    from bootstrap.stack import Stack

log = get_logger(__name__)
# The demo's steps are taken by its people (entrypoints/demo/people.py), so every step names a person.
MEDIATOR = demo_people.MEDIATOR.actor
SUPERVISOR = demo_people.SUPERVISOR.actor
GRID_WORKER = demo_people.GRID_WORKER.actor
# Deadlines in minutes, on the wall clock: escalations happen while you watch.
FAST = """calendar = "continuous"
[risk.low]
acknowledge_within = "3m"
reply_within = "10m"
[risk.medium]
acknowledge_within = "2m"
reply_within = "8m"
[risk.high]
acknowledge_within = "90s"
reply_within = "6m"
[risk.critical]
acknowledge_within = "1m"
reply_within = "5m"
[escalation]
remind_at = [0.5, 0.8]
warn_after = "0s"
flag_after = "2m"
"""


@dataclass
class DemoCase:
    number: int
    title: str
    category: str
    grid: str
    description: str
    applicant: tuple[str, str]
    respondent: str
    steps: list[str]
    risk: RiskLevel = RiskLevel.medium
    channel: Channel = Channel.walk_in
    fast: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    by_grid_worker: bool = False  # reported by the demo grid worker (网格上报): handled at the community
    @property
    def case_id(self) -> str:
        return f"C-DEMO-{self.number:02d}"


CASES = [
    DemoCase(1, "楼上漏水", "leak", "grid-donghu-huayuan-1", "楼上卫生间防水层老化，我家天花板渗水三周，墙皮脱落。",
             ("张建国", "13800138001"), "李卫东", ["route", "ack", "mediate", "reply", "resolve", "verify",
                                                   "follow_up", "archive"]),
    DemoCase(2, "拖欠工资", "wages", "grid-donghu-binhe-1",
             "某装修公司拖欠五名工人三个月工资共计六万元，工人情绪激动。",
             ("王师傅", "13900139002"), "某装修工程有限公司", ["route"], risk=RiskLevel.high,
             channel=Channel.hotline, fast=True),
    DemoCase(3, "物业费纠纷", "property_fee", "grid-xicheng-taoyuan-1",
             "业主以电梯长期故障为由拒交物业费，物业公司威胁停水。",
             ("陈女士", "13700137003"), "某物业服务有限公司", ["route", "ack", "reply", "resolve"]),
    DemoCase(4, "小区车辆乱停", "parking", "grid-xicheng-gulou-2", "小区消防通道长期被私家车占用，救护车曾无法进入。",
             ("刘大爷", "13600136004"), "部分车主", [], channel=Channel.grid_report),
    DemoCase(5, "冬季供暖不热", "heating", "grid-donghu-huayuan-2", "入冬以来室温不足十四度，家中有老人和婴儿。",
             ("赵女士", "13500135005"), "某热力公司", ["route"], channel=Channel.hotline, fast=True),
    DemoCase(6, "宠物扰民", "pet_noise", "grid-xicheng-taoyuan-2", "邻居饲养三条大型犬，夜间吠叫，且未拴绳遛狗。",
             ("孙先生", "13400134006"), "周某", ["route", "ack", "extension"], channel=Channel.online),
    DemoCase(7, "婚姻家庭", "family", "grid-donghu-binhe-2", "夫妻因子女抚养和房产分割发生争执，双方父母介入。",
             ("吴女士", "13300133007"), "郑某", ["route", "return"]),
    DemoCase(8, "土地边界", "land_boundary", "grid-xicheng-gulou-1", "两户宅基地边界争议，涉及一堵院墙，需重新测绘。",
             ("冯老汉", "13200132008"), "褚某", ["route", "ack", "summon", "pause"], risk=RiskLevel.high),
    DemoCase(9, "邻里纠纷", "neighbour", "grid-donghu-huayuan-1", "邻居装修噪音纠纷，当事人已向法院起诉。",
             ("卫先生", "13100131009"), "蒋某", ["decline"]),
    DemoCase(10, "消费纠纷", "consumer", "grid-xicheng-taoyuan-1", "健身房预付卡跑路，三十余名会员要求退款。",
             ("沈女士", "13000130010"), "某健身会所", ["route", "ack", "reply", "resolve", "verify"],
             channel=Channel.online),
    DemoCase(11, "小区车辆乱停", "parking", "grid-xicheng-gulou-2", "消防通道被占，同一反映人再次来电。",
             ("刘大爷", "13600136004"), "部分车主", [], channel=Channel.hotline),
    DemoCase(12, "拖欠工资（有过激言行）", "wages", "grid-xicheng-gulou-1",
             "农民工讨薪无果，扬言采取过激行为，存在民转刑风险。",
             ("韩师傅", "13800138012"), "某建筑劳务公司", ["route", "list"], risk=RiskLevel.critical,
             channel=Channel.hotline, fast=True),
    # 刘洋's report he could not settle on the spot: in the 东湖 centre's triage, handled at the community (上交 it)
    DemoCase(13, "楼道堆物", "neighbour", "grid-donghu-huayuan-1", "三楼住户在楼道堆放杂物，邻居多次劝说未果。",
             ("杨阿姨", "13900139013"), "三楼住户", [], channel=Channel.grid_report, by_grid_worker=True),
]


def _liaison(department: str) -> Actor:
    return liaison_of(department).actor


ROUTE = "route"  # steps that are not plain commands: the application resolves their departments
SUMMON = "summon"


def _commands(case: DemoCase, lead: str) -> list[tuple[Command | str, Actor]]:
    task = f"{case.case_id}-T1"
    steps: dict[str, tuple[Command | str, Actor]] = {
        "route": (ROUTE, MEDIATOR),
        "ack": (AcknowledgeTask(task_id=task), _liaison(lead)),
        "mediate": (RecordMediation(method=MediationMethod.people, agreement_reached=True,
                                    terms="责任方承担维修费用并于两周内完工"), MEDIATOR),
        "reply": (ReplyTask(task_id=task, summary="已会同相关方现场核实并提出处理意见"), _liaison(lead)),
        "resolve": (SubmitResolution(outcome=Outcome.mediated, summary="经调解双方达成一致"), MEDIATOR),
        "verify": (VerifyResolution(accepted=True, note="材料齐全，验收通过"), SUPERVISOR),
        "follow_up": (RecordFollowUp(satisfaction=Satisfaction.satisfied, note="当事人表示满意"), MEDIATOR),
        "archive": (ArchiveCase(), MEDIATOR),
        "return": (ReturnTask(task_id=task, reason="涉及财产分割诉讼，建议转人民法庭诉调对接"), _liaison(lead)),
        "extension": (RequestExtension(task_id=task, extra="3wd", reason="需联系畜牧部门核查犬只登记"), _liaison(lead)),
        "pause": (PauseClock(reason="等待自然资源部门重新测绘"), SUPERVISOR),
        "summon": (SUMMON, SUPERVISOR),
        # under the demo's leader user (王志刚), who then finds it under 我的包案
        "list": (ListCase(leader=demo_people.LEADER.user_id, leader_user=demo_people.LEADER.user_id,
                          reason="存在民转刑风险，领导包案"), SUPERVISOR),
        "decline": (DeclineCase(reason="当事人已向人民法院起诉，不予受理", reason_code=NotAcceptedReason.in_litigation),
                    MEDIATOR),
    }
    return [steps[name] for name in case.steps]


async def load_demo(stack: Stack, *, print_tokens: bool) -> None:
    app = stack.services
    if app.org.fingerprint != demo_organisation().fingerprint:
        raise StackError("--demo loads cases of the built-in demo district: leave out --org (or --demo)")
    leads = sorted({suggest_route(app.org, case.category, case.grid).lead for case in CASES})
    people = await demo_people.ensure_demo_people(People(app.pool, app.org), leads)
    exists = await app.case_exists(CASES[0].case_id)
    if not exists:
        now = app.clock()
        fast = pin_policy(parse_policy(FAST), now)
        normal = pin_policy(DEFAULT_POLICY, now - timedelta(days=1))
        for case in CASES:
            intake = Intake(
                title=case.title, description=case.description, category=case.category, channel=case.channel,
                grid_id=case.grid, risk_level=case.risk,
                parties=(Party(name=case.applicant[0], role=PartyRole.applicant, phone=case.applicant[1]),
                         Party(name=case.respondent, role=PartyRole.respondent)),
            )
            # Case 11 repeats case 4's parties: the application's duplicate check marks it 重复件.
            received = await app.receive(GRID_WORKER if case.by_grid_worker else MEDIATOR, intake,
                                         f"{case.case_id}-0", case_id=case.case_id,
                                         policy=fast if case.fast else normal)
            suggested = received.suggested_route
            lead = suggested.lead if suggested else ""
            for n, (step, actor) in enumerate(_commands(case, lead), start=1):
                request_id = f"{case.case_id}-{n}"
                if step == ROUTE:
                    assert suggested is not None, f"the demo organisation routes {case.category}"
                    await app.route(actor, case.case_id, suggested.lead, suggested.co, request_id=request_id)
                elif step == SUMMON:
                    assert suggested is not None
                    await supervision.summon(app, actor, case.case_id, (suggested.lead, *suggested.co),
                                             "边界争议现场勘界，吹哨报到", request_id=request_id)
                else:
                    assert not isinstance(step, str)
                    await app.act(actor, case.case_id, step, request_id)
        log.info("demo cases loaded", cases=len(CASES))
        await _demo_sweep(app)
    if print_tokens:
        await _print_people(stack, people)


async def _demo_sweep(app: Application) -> None:
    """排查 over 花园社区: its second grid has answered 排查无纠纷, the demo grid worker's (第一网格) is awaited on
    their phone page."""
    sweep = await sweeps.start_sweep(app, MEDIATOR, "cm-donghu-huayuan", "3wd", "年底矛盾纠纷大排查",
                                     request_id="demo-sweep-1")
    second = Actor(role=Role.grid_worker, id="demo-grid-2", name="周网格", jurisdiction="grid-donghu-huayuan-2")
    await sweeps.report(app, second, sweep.sweep_id, "grid-donghu-huayuan-2", [], "本网格排查无纠纷",
                        request_id="demo-sweep-1-grid-2")


async def _print_people(stack: Stack, everyone: list[demo_people.DemoPerson]) -> None:
    """Logins, passwords and a fresh token for each demo person (demo passwords: never outside a demo)."""
    app = stack.services
    people = People(app.pool, app.org)
    base = f"http://{stack.settings.api_host}:{stack.settings.api_port}"
    lines = ["", f"Demo people (sign in to the workbench {base}/login with login and password; each token is",
             "theirs, only its hash is stored):",
             f"  {'role':<11} {'login':<12} {'password':<18} {'name':<6} token"]
    for person in PEOPLE:
        token = await people.issue_token(role=None, user_login=person.login, name=f"demo {person.login}")
        where = f"  ({app.org.department(person.department).name})" if person.department else \
            f"  ({app.org.jurisdiction(person.jurisdiction).name})" if person.jurisdiction else ""
        lines.append(f"  {person.role.value:<11} {person.login:<12} {person.password:<18} {person.name:<6}"
                     f"{token}{where}")
    others = [p.login for p in everyone if p not in PEOPLE]
    lines.append(f"  liaisons of the other demo departments (password demo-<login>): {', '.join(others)}")
    api = f"http://{stack.settings.api_host}:{stack.settings.api_port}/api/v1"
    lines += ["", "Try:", f'  curl -H "Authorization: Bearer <mediator token>" {api}/cases',
              f'  curl -H "Authorization: Bearer <supervisor token>" {api}/supervision/board', ""]
    print("\n".join(lines), flush=True)
