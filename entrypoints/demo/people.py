"""The demo's people: one user per role, with fixed demo passwords printed by `make run`. The demo cases are
recorded as their actions, so the timeline shows named people from the start."""

from __future__ import annotations

from dataclasses import dataclass

from application.people import People
from domain.events import Actor
from domain.vocabulary import Role
from infra.users import User, user_by_login


@dataclass(frozen=True)
class DemoPerson:
    login: str
    name: str
    role: Role
    department: str | None
    jurisdiction: str | None = None  # a grid worker's grid

    @property
    def user_id(self) -> str:
        return f"usr-demo-{self.login}"

    @property
    def password(self) -> str:
        return f"demo-{self.login}"  # a demo only: printed, and the same on every start

    @property
    def actor(self) -> Actor:
        return Actor(role=self.role, id=self.user_id, department=self.department, name=self.name,
                     jurisdiction=self.jurisdiction)


CENTRE = "dept-donghu-zongzhi"
LEAD = "dept-donghu-labour"  # leads the 拖欠工资 case that climbs the escalation ladder while you watch
MEDIATOR = DemoPerson("mediator", "王敏", Role.mediator, CENTRE)
SUPERVISOR = DemoPerson("supervisor", "陈静", Role.supervisor, CENTRE)
AUDITOR = DemoPerson("auditor", "周平", Role.auditor, None)
ADMIN = DemoPerson("admin", "赵磊", Role.admin, None)
LEADER = DemoPerson("leader", "王志刚", Role.leader, None)  # reads the district's figures (考核)
LIAISON = DemoPerson("liaison", "李强", Role.liaison, LEAD)
GRID_WORKER = DemoPerson("grid", "刘洋", Role.grid_worker, None, "grid-donghu-huayuan-1")  # 花园社区第一网格
# Liaisons of the other departments the demo cases are routed to: their steps carry a person too.
_LIAISON_NAMES = {
    "dept-donghu-huayuan-committee": "孙丽", "dept-xicheng-housing": "钱峰", "dept-xicheng-taoyuan-committee": "吴芳",
    "dept-donghu-justice": "郑伟", "dept-xicheng-land": "冯涛", "dept-xicheng-market": "何静",
    "dept-donghu-housing": "韩梅", "dept-xicheng-labour": "曹阳", "dept-xicheng-gulou-committee": "林芳",
}
PEOPLE = (MEDIATOR, LIAISON, SUPERVISOR, AUDITOR, ADMIN, LEADER, GRID_WORKER)


def liaison_of(department: str) -> DemoPerson:
    if department == LEAD:
        return LIAISON
    short = department.removeprefix("dept-")
    return DemoPerson(f"liaison-{short}", _LIAISON_NAMES.get(department, "联络员"), Role.liaison, department)


async def ensure_demo_people(people: People, departments: list[str]) -> list[DemoPerson]:
    """Add the demo users that are not there yet (a restart on the same data dir finds them)."""
    everyone = [*PEOPLE, *(liaison_of(d) for d in departments if d != LEAD)]
    for person in everyone:
        existing: User | None = await user_by_login(people.pool, person.login)
        if existing is None:
            await people.add_user(name=person.name, role=person.role, department=person.department,
                                  login=person.login, password=person.password, user_id=person.user_id,
                                  jurisdiction=person.jurisdiction)
    return everyone
