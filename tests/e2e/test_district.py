"""A district brings its own organisation and its own people: `liandiao up --org FILE` for a made-up county,
users who sign in, tokens that belong to them, and access that is withdrawn at once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.people import People, SignInRefused
from domain.organisation import load_organisation
from infra.db import create_pool
from tests.e2e.stack import RunningStack

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK = "json://127.0.0.1:9/shimen-zongzhi"

COUNTY: dict[str, Any] = {
    "jurisdictions": [
        {"id": "cty-qingshan", "name": "青山县", "level": "district", "parent": None},
        {"id": "tn-shimen", "name": "石门镇", "level": "street", "parent": "cty-qingshan"},
        {"id": "vl-liuwan", "name": "柳湾村", "level": "community", "parent": "tn-shimen"},
        {"id": "gd-liuwan-1", "name": "一组", "level": "grid", "parent": "vl-liuwan"},
        {"id": "gd-liuwan-2", "name": "二组", "level": "grid", "parent": "vl-liuwan"},
    ],
    "departments": [
        {"id": "qingshan-zongzhi", "name": "青山县综治中心", "level": "district", "jurisdiction": "cty-qingshan",
         "kind": "zongzhi"},
        {"id": "shimen-zongzhi", "name": "石门镇综治中心", "level": "street", "jurisdiction": "tn-shimen",
         "kind": "zongzhi", "notify": {"liaisons": [WEBHOOK], "head": ["mailto://head@qingshan.example"]}},
        {"id": "shimen-water", "name": "石门镇水利站", "level": "street", "jurisdiction": "tn-shimen", "kind": "water"},
        {"id": "shimen-police", "name": "石门派出所", "level": "street", "jurisdiction": "tn-shimen", "kind": "police"},
        {"id": "liuwan-cunwei", "name": "柳湾村委会", "level": "community", "jurisdiction": "vl-liuwan",
         "kind": "village"},
    ],
    "categories": [{"id": "irrigation", "name": "灌溉用水纠纷"}, {"id": "homestead", "name": "宅基地纠纷"}],
    "rules": [
        {"category": "irrigation", "lead_kind": "village", "co_kinds": ["water"]},
        {"category": "homestead", "lead_kind": "zongzhi", "co_kinds": ["police"], "level": "street"},
        {"category": "*", "lead_kind": "zongzhi", "co_kinds": []},
    ],
}


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def liandiao(*args: str, data_dir: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--data-dir", str(data_dir)] if data_dir is not None else []
    result = subprocess.run([sys.executable, "-m", "entrypoints.cli", *args, *extra], capture_output=True, text=True,
                            timeout=120, input=stdin)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Path]]:
    base = tmp_path_factory.mktemp("county")
    org_file = _write(base / "qingshan.json", COUNTY)
    stack = RunningStack(base / "data", "--org", str(org_file), "--policy", str(ROOT / "tests/policies/fast.toml"))
    stack.start()
    yield stack, org_file
    stack.stop()


def test_org_check_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    good = liandiao("org", "check", str(_write(tmp_path / "good.json", COUNTY)))
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip().endswith("OK: 5 jurisdictions, 5 departments, 2 categories, 3 rules")

    broken = json.loads(json.dumps(COUNTY))
    broken["departments"][3]["jurisdiction"] = "st-x"
    broken["rules"][0]["co_kinds"] = ["water", "harbour"]
    broken["categories"][1]["colour"] = "red"
    bad = liandiao("org", "check", str(_write(tmp_path / "bad.json", broken)))
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "categories[1].colour: unknown field",
        "departments[3].jurisdiction: unknown jurisdiction 'st-x'",
        "rules[0].co_kinds[1]: routing rule for 'irrigation' names department kind 'harbour', which no department has",
    ]
    missing = liandiao("org", "check", str(tmp_path / "nowhere.json"))
    assert missing.returncode == 1 and missing.stderr.startswith("$: cannot read")


def test_a_bad_organisation_file_stops_up_with_the_same_lines(tmp_path: Path) -> None:
    broken = json.loads(json.dumps(COUNTY))
    broken["departments"][3]["jurisdiction"] = "st-x"
    stack = RunningStack(tmp_path / "data", "--org", str(_write(tmp_path / "bad.json", broken)))
    result = subprocess.run(stack.args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "departments[3].jurisdiction: unknown jurisdiction 'st-x'" in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


def _api(stack: RunningStack, token: str, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, stack.api + path, json=body, timeout=60,
                         headers={"Authorization": f"Bearer {token}"})


def _ok(stack: RunningStack, token: str, method: str, path: str, body: Any = None) -> Any:
    response = _api(stack, token, method, path, body)
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def test_the_county_routes_escalates_and_names_its_people(county: tuple[RunningStack, Path]) -> None:
    stack, org_file = county
    d = stack.data_dir
    added = liandiao("user", "add", "--name", "王调解", "--role", "mediator", "--department", "shimen-zongzhi",
                     "--login", "wang", "--password-stdin", data_dir=d, stdin="county-pass-1\n")
    assert added.returncode == 0 and added.stdout.splitlines() == ["login: wang"], added.stderr
    liaison = liandiao("user", "add", "--name", "刘联络", "--role", "liaison", "--department", "liuwan-cunwei",
                       "--login", "liu", data_dir=d)
    assert liaison.returncode == 0 and liaison.stdout.splitlines()[1].startswith("password: ")
    refused = liandiao("user", "add", "--name", "某人", "--role", "liaison", "--department", "dept-donghu-labour",
                       data_dir=d)
    assert refused.returncode != 0 and "unknown department 'dept-donghu-labour'" in refused.stderr
    mediator = liandiao("token", "issue", "--user", "wang", data_dir=d).stdout.strip()
    village = liandiao("token", "issue", "--user", "liu", data_dir=d).stdout.strip()
    assert mediator.startswith("ld_") and village.startswith("ld_")

    assert _ok(stack, mediator, "GET", "/categories") == COUNTY["categories"]
    assert {x["id"] for x in _ok(stack, mediator, "GET", "/departments")} == {x["id"] for x in COUNTY["departments"]}
    created = _ok(stack, mediator, "POST", "/cases", {
        "title": "灌溉用水纠纷", "description": "上下游两户因抽水灌溉顺序发生争执。", "category": "irrigation",
        "channel": "walk_in", "grid_id": "gd-liuwan-1", "risk_level": "medium",
        "parties": [{"name": "赵大山", "role": "applicant", "phone": "13700001111"},
                    {"name": "钱小河", "role": "respondent"}]})
    case_id = created["case_id"]
    route = created["suggested_route"]
    assert route == {"lead_department": "liuwan-cunwei", "co_departments": ["shimen-water"]}
    _ok(stack, mediator, "POST", f"/cases/{case_id}/route", route)
    inbox = _ok(stack, village, "GET", "/departments/liuwan-cunwei/inbox")
    assert case_id in {item["case_id"] for item in inbox["items"]}

    # Listed supervision (挂牌督办) goes one level up from each department: the village committee's to 石门镇,
    # the town's water station's to 青山县.
    deadline = time.monotonic() + 120
    while True:
        events = _ok(stack, mediator, "GET", f"/cases/{case_id}/events")
        department_of = {e["data"]["task_id"]: e["data"]["department"] for e in events if e["type"] == "TaskAssigned"}
        flagged = {department_of[e["data"]["task_id"]]: e["data"]["notify_jurisdiction"]
                   for e in events if e["type"] == "TaskEscalated" and e["data"]["level"] == 3}
        if len(flagged) == 2 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert flagged == {"liuwan-cunwei": "tn-shimen", "shimen-water": "cty-qingshan"}, [e["type"] for e in events]
    received = events[0]
    assert received["data"]["organisation"] == load_organisation(org_file.read_text()).fingerprint
    assert received["actor"]["department"] == "shimen-zongzhi" and received["actor"]["id"].startswith("usr-")

    timeline = liandiao("audit", "replay", case_id, data_dir=d)
    assert timeline.returncode == 0, timeline.stderr
    for name in ("柳湾村委会", "石门镇水利站", "灌溉用水纠纷", "石门镇柳湾村一组", "石门镇综治中心"):
        assert name in timeline.stdout, name
    for id_ in ("liuwan-cunwei", "shimen-water", "gd-liuwan-1", "irrigation"):
        assert id_ not in timeline.stdout, id_
    assert "赵大山" not in timeline.stdout

    # Sign-in is checked in the application layer, as the workbench does it.
    async def sign_in(login: str, password: str) -> Any:
        pool = await create_pool(stack.stack_file()["database_url"], max_size=2)
        try:
            return await People(pool, load_organisation(org_file.read_text())).sign_in(login, password)
        finally:
            await pool.close()

    assert asyncio.run(sign_in("wang", "county-pass-1")).name == "王调解"
    with pytest.raises(SignInRefused):
        asyncio.run(sign_in("wang", "wrong password"))

    listed = liandiao("token", "list", data_dir=d)
    assert listed.returncode == 0 and "ld_" not in listed.stdout
    village_row = next(line for line in listed.stdout.splitlines() if "liu (刘联络)" in line)
    token_id = village_row.split("\t")[0]
    assert village_row.split("\t")[1:3] == ["liaison", "liuwan-cunwei"]

    assert _api(stack, village, "GET", "/cases").status_code == 200
    assert liandiao("token", "revoke", token_id, data_dir=d).returncode == 0
    assert _api(stack, village, "GET", "/cases").status_code == 401  # the very next request

    assert _api(stack, mediator, "GET", "/cases").status_code == 200
    disabled = liandiao("user", "disable", "wang", data_dir=d)
    assert disabled.returncode == 0 and "disabled wang" in disabled.stdout
    assert _api(stack, mediator, "GET", "/cases").status_code == 401
    with pytest.raises(SignInRefused):
        asyncio.run(sign_in("wang", "county-pass-1"))
    users = liandiao("user", "list", data_dir=d).stdout
    assert "wang\t王调解\tmediator\tshimen-zongzhi\tperson" in users


def test_a_grid_worker_added_on_the_command_line_reports_and_settles_in_their_grid(
        county: tuple[RunningStack, Path]) -> None:
    stack, _ = county
    d = stack.data_dir
    refused = liandiao("user", "add", "--name", "某人", "--role", "grid_worker", "--jurisdiction", "vl-liuwan",
                       data_dir=d)
    assert refused.returncode != 0 and "not a grid" in refused.stderr and "Traceback" not in refused.stderr
    added = liandiao("user", "add", "--name", "孙网格", "--role", "grid_worker", "--jurisdiction", "gd-liuwan-1",
                     "--login", "sun", data_dir=d)
    assert added.returncode == 0, added.stderr
    token = liandiao("token", "issue", "--user", "sun", data_dir=d).stdout.strip()
    body = {"title": "鸡鸭毁苗", "description": "邻居家鸡鸭跑进菜地啄食秧苗。", "category": "irrigation",
            "channel": "grid_report", "parties": [{"name": "李大姐", "role": "applicant"}],
            "on_spot": {"method": "people", "agreement_reached": True, "terms": "圈养鸡鸭，赔偿秧苗五十元"}}
    settled = _ok(stack, token, "POST", "/cases", {**body, "grid_id": "gd-liuwan-1"})
    assert settled["stage"] == "supervision"
    other = _api(stack, token, "POST", "/cases", {**body, "grid_id": "gd-liuwan-2"})
    assert other.status_code == 403 and "gd-liuwan-1" in other.json()["detail"]
    assert "sun\t孙网格\tgrid_worker\tgd-liuwan-1\tperson" in liandiao("user", "list", data_dir=d).stdout


def test_an_organisation_that_drops_a_department_with_an_open_task_is_refused(
    county: tuple[RunningStack, Path], tmp_path: Path
) -> None:
    stack, _ = county
    assert stack.stop() == 0
    smaller = json.loads(json.dumps(COUNTY))
    smaller["departments"] = [x for x in smaller["departments"] if x["id"] != "shimen-water"]
    smaller["rules"][0]["co_kinds"] = []
    again = RunningStack(stack.data_dir, "--org", str(_write(tmp_path / "smaller.json", smaller)))
    result = subprocess.run(again.args, capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("department 'shimen-water' is missing"))
    assert "C-" in line and "Traceback" not in result.stderr
