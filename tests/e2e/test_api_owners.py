"""Named people through the HTTP API on the real servers: a task's 责任人 and the case's 包案 leader."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.e2e.api_client import Api, assert_problem

LEAD, CO = "dept-donghu-labour", "dept-donghu-police"


@dataclass
class Person:
    id: str
    name: str


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[tuple[Api, dict[str, Person]]]:  # type: ignore[no-untyped-def]
    """Named users (with their own tokens): two liaisons of the lead department, one of the co-department, two
    leaders and a mediator."""
    from application.people import People
    from domain.organisation import demo_organisation
    from domain.vocabulary import Role

    people = People(pool, demo_organisation())
    client = Api(api, dict(tokens))
    who: dict[str, Person] = {}
    run = secrets.token_hex(3)
    for key, name, role, department in (("x", "许责任", Role.liaison, LEAD), ("y", "杨责任", Role.liaison, LEAD),
                                        ("z", "赵协办", Role.liaison, CO), ("l1", "王志刚", Role.leader, None),
                                        ("l2", "刘副区长", Role.leader, None), ("m", "马调解", Role.mediator, None)):
        added = await people.add_user(name=name, role=role, department=department, login=f"{key}-{run}",
                                      password="a-long-password")
        who[key] = Person(added.user.id, name)
        client.tokens[key] = await people.issue_token(role=None, user_login=f"{key}-{run}")
    yield client, who
    await client.http.aclose()


async def _routed(a: Api) -> tuple[str, str, str]:
    case_id = await a.new_case()
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD, "co_departments": [CO]})
    lead, co = [t["task_id"] for t in (await a.ok("mediator", "GET", f"/cases/{case_id}"))["tasks"]]
    return case_id, lead, co


async def test_acknowledging_names_the_liaison_and_a_liaison_reassigns_within_the_department(
        a: tuple[Api, dict[str, Person]]) -> None:
    api, who = a
    case_id, lead, co = await _routed(api)
    c = f"/cases/{case_id}"
    assert [t["assignee"] for t in (await api.ok("mediator", "GET", c))["tasks"]] == [None, None]
    await api.ok("x", "POST", f"{c}/tasks/{lead}/acknowledge", {})
    tasks = (await api.ok("mediator", "GET", c))["tasks"]
    assert tasks[0]["assignee"] == {"id": who["x"].id, "name": "许责任"} and tasks[1]["assignee"] is None
    # before acknowledgement there is nobody to replace
    assert_problem(await api.call("z", "POST", f"{c}/tasks/{co}/assignee", {"user": who["z"].id}), 409, "acknowledge")
    done = await api.ok("x", "POST", f"{c}/tasks/{lead}/assignee", {"user": who["y"].id})
    assert done["events"] == ["TaskAssigneeNamed"]
    assert (await api.ok("mediator", "GET", c))["tasks"][0]["assignee"] == {"id": who["y"].id, "name": "杨责任"}
    inbox = (await api.ok("x", "GET", f"/departments/{LEAD}/inbox?limit=500"))["items"]
    assert next(i for i in inbox if i["task_id"] == lead)["assignee"] == {"id": who["y"].id, "name": "杨责任"}
    events = await api.ok("auditor", "GET", f"{c}/events")
    named = next(e for e in events if e["type"] == "TaskAssigneeNamed")
    assert named["data"] == {"task_id": lead, "user": who["y"].id}  # the id, never the name
    # refused: another department's user, another department's liaison, an unknown user, a supervisor
    assert_problem(await api.call("x", "POST", f"{c}/tasks/{lead}/assignee", {"user": who["z"].id}), 403,
                   "not of department")
    assert_problem(await api.call("z", "POST", f"{c}/tasks/{lead}/assignee", {"user": who["z"].id}), 403,
                   "belongs to department")
    assert_problem(await api.call("x", "POST", f"{c}/tasks/{lead}/assignee", {"user": "usr-nobody"}), 404,
                   "no active user")
    assert_problem(await api.call("supervisor", "POST", f"{c}/tasks/{lead}/assignee", {"user": who["y"].id}), 403)
    assert_problem(await api.call("x", "POST", f"{c}/tasks/{lead}/assignee", {"user": who["y"].id}), 409, "already")
    assert_problem(await api.call("x", "POST", f"{c}/tasks/{lead}-9/assignee", {"user": who["y"].id}), 404)


async def test_a_leader_is_assigned_told_and_sees_only_their_cases(a: tuple[Api, dict[str, Person]]) -> None:
    api, who = a
    case_id, _, _ = await _routed(api)
    other_id, _, _ = await _routed(api)
    c = f"/cases/{case_id}"
    assert_problem(await api.call("x", "POST", f"{c}/leader", {"user": who["l1"].id, "reason": "r"}), 403)
    assert_problem(await api.call("supervisor", "POST", f"{c}/leader", {"user": who["m"].id, "reason": "r"}), 409,
                   "not a leader")
    assert_problem(await api.call("supervisor", "POST", f"{c}/leader", {"user": "usr-nobody", "reason": "r"}), 404)
    done = await api.ok("supervisor", "POST", f"{c}/leader", {"user": who["l1"].id, "reason": "重大疑难，领导包案"})
    assert done["events"][0] == "LeaderAssigned" and "NotificationIssued" in done["events"]
    view = await api.ok("l1", "GET", c)
    assert view["leader"]["user"] == {"id": who["l1"].id, "name": "王志刚"}
    assert view["parties_masked"] is True
    mine = await api.ok("l1", "GET", "/leaders/me/cases")
    assert [i["case_id"] for i in mine["items"]] == [case_id]
    assert mine["items"][0]["leader_reason"] == "重大疑难，领导包案"
    told = (await api.ok("l1", "GET", "/notifications"))["items"]
    assert [(n["case_id"], n["kind"]) for n in told] == [(case_id, "leader_assignment")]
    assert "王志刚" not in told[0]["text"] and told[0]["recipients"] == [f"user:{who['l1'].id}"]
    await api.ok("l1", "POST", f"/notifications/{told[0]['notification_id']}/read", {})
    assert (await api.ok("l2", "GET", "/notifications"))["items"] == []
    assert_problem(await api.call("l2", "POST", f"/notifications/{told[0]['notification_id']}/read", {}), 403)
    # only their own cases: another case, and this one for another leader, are refused alike
    assert_problem(await api.call("l1", "GET", f"/cases/{other_id}"), 403, "not among this leader's cases")
    assert_problem(await api.call("l2", "GET", c), 403)
    assert (await api.ok("l2", "GET", "/leaders/me/cases"))["items"] == []
    assert_problem(await api.call("supervisor", "GET", "/leaders/me/cases"), 403)
    assert_problem(await api.call("l1", "GET", "/cases"), 403)  # a leader lists at /leaders/me/cases
    assert_problem(await api.call("supervisor", "POST", f"{c}/leader", {"user": who["l1"].id, "reason": "r"}), 409,
                   "already")


async def test_a_listing_by_hand_takes_a_leader_user_or_the_old_free_text(a: tuple[Api, dict[str, Person]]) -> None:
    api, who = a
    case_id, _, _ = await _routed(api)
    c = f"/cases/{case_id}"
    assert_problem(await api.call("supervisor", "POST", f"{c}/listing", {"leader": who["m"].id, "reason": "r"}), 409,
                   "not a leader")
    done = await api.ok("supervisor", "POST", f"{c}/listing", {"leader": who["l2"].id, "reason": "民转刑风险"})
    assert done["events"][:2] == ["CaseListed", "LeaderAssigned"]
    view = await api.ok("l2", "GET", c)
    assert view["listing"]["leader"] == "刘副区长"
    assert view["listing"]["leader_user"] == {"id": who["l2"].id, "name": "刘副区长"}
    assert view["leader"]["user"]["id"] == who["l2"].id
    assert case_id in [i["case_id"] for i in (await api.ok("l2", "GET", "/leaders/me/cases"))["items"]]
    board = await api.ok("supervisor", "GET", "/supervision/board?limit=500")
    assert [x["leader"] for x in board["listings"] if x["case_id"] == case_id] == ["刘副区长"]  # a name, not an id
    old_id, _, _ = await _routed(api)
    await api.ok("supervisor", "POST", f"/cases/{old_id}/listing", {"leader": "区综治中心王副主任", "reason": "r"})
    old = await api.ok("supervisor", "GET", f"/cases/{old_id}")
    assert old["listing"]["leader"] == "区综治中心王副主任" and old["listing"]["leader_user"] is None
    assert old["leader"] is None


async def test_scores_per_person_name_each_assignee(a: tuple[Api, dict[str, Person]]) -> None:
    api, who = a
    case_id, lead, _ = await _routed(api)
    await api.ok("x", "POST", f"/cases/{case_id}/tasks/{lead}/acknowledge", {})
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC) + timedelta(hours=8)
    period = f"from={(today - timedelta(days=1)).date()}&to={(today + timedelta(days=60)).date()}"
    report = await api.ok("supervisor", "GET", f"/reports/scores?{period}&by=person")
    assert report["by"] == "person"
    mine = next(r for r in report["rows"] if r["user"]["id"] == who["x"].id)
    assert mine["user"]["name"] == "许责任" and mine["department"] == LEAD and mine["tasks"] >= 1
    assert "satisfaction_rate" not in mine
    departments = await api.ok("supervisor", "GET", f"/reports/scores?{period}")
    assert "by" not in departments and all("user" not in r for r in departments["rows"])
    sheet = await api.call("supervisor", "GET", f"/reports/scores?{period}&format=xlsx")
    assert sheet.status_code == 200
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(sheet.content))
    people = book["责任人"]
    assert [c.value for c in people[1]][:3] == ["排名", "责任人", "部门"]
    assert "许责任" in [r[1].value for r in people.iter_rows(min_row=2)]
    assert_problem(await api.call("supervisor", "GET", f"/reports/scores?{period}&by=nobody"), 422)
