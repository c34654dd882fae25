"""The `liandiao` commands against a running `liandiao up --demo`, as an operator and an auditor use them."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.db import connect
from tests.e2e.stack import RunningStack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = RunningStack(tmp_path_factory.mktemp("cli") / "data", "--demo", "--print-tokens").start()
    yield stack
    stack.stop()


def liandiao(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "entrypoints.cli", *args, "--data-dir", str(stack.data_dir)],
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_token_issue_prints_one_token_and_refuses_bad_requests(demo_stack: RunningStack) -> None:
    issued = liandiao(demo_stack, "token", "issue", "--role", "mediator", "--name", "调解员甲")
    assert issued.returncode == 0 and issued.stdout.startswith("ld_") and len(issued.stdout.splitlines()) == 1
    token = issued.stdout.strip()
    cases = httpx.get(f"{demo_stack.api}/cases", headers={"Authorization": f"Bearer {token}"}).json()
    assert {c["case_id"] for c in cases["items"]} >= {f"C-DEMO-{n:02d}" for n in range(1, 13)}
    assert len({c["stage"] for c in cases["items"]}) == 4  # triage, coordination, supervision, archived

    no_department = liandiao(demo_stack, "token", "issue", "--role", "liaison")
    assert no_department.returncode != 0 and "--department" in no_department.stderr
    bad_role = liandiao(demo_stack, "token", "issue", "--role", "king")
    assert bad_role.returncode != 0 and "unknown role" in bad_role.stderr


def test_audit_replay_verify_seal_export(demo_stack: RunningStack, tmp_path: Path) -> None:
    timeline = liandiao(demo_stack, "audit", "replay", "C-DEMO-01")
    assert timeline.returncode == 0
    assert "CaseArchived" in timeline.stdout and "stage archived" in timeline.stdout
    assert "张建国" not in timeline.stdout and "13800138001" not in timeline.stdout
    early = liandiao(demo_stack, "audit", "replay", "C-DEMO-01", "--upto", "2")
    assert early.returncode == 0 and "stage coordination after event 2" in early.stdout
    assert liaison_missing(liandiao(demo_stack, "audit", "replay", "C-NOPE"))

    sealed = liandiao(demo_stack, "audit", "seal")
    assert sealed.returncode == 0 and "root" in sealed.stdout, sealed.stderr
    assert (demo_stack.data_dir / "tree_heads.jsonl").exists()
    assert (demo_stack.data_dir / "log_key.pem").exists()
    verified = liandiao(demo_stack, "audit", "verify")
    assert verified.returncode == 0 and ": 0 problems" in verified.stdout, verified.stderr
    witness = tmp_path / "heads.jsonl"
    exported_heads = liandiao(demo_stack, "audit", "seals", "export", str(witness))
    assert exported_heads.returncode == 0, exported_heads.stderr
    heads = [json.loads(line) for line in witness.read_text().splitlines()]
    assert heads and set(heads[-1]) == {"tree_size", "root_hash", "timestamp", "key_id", "signature"}
    against = liandiao(demo_stack, "audit", "verify", "--against", str(witness))
    assert against.returncode == 0, against.stderr
    forged = tmp_path / "forged.jsonl"
    forged.write_text(json.dumps({**heads[-1], "root_hash": "ab" * 32}) + "\n")
    refused = liandiao(demo_stack, "audit", "verify", "--against", str(forged))
    assert refused.returncode == 1 and "witnessed head" in refused.stderr and "line 1" in refused.stderr
    missing = liandiao(demo_stack, "audit", "verify", "--against", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "no file" in missing.stderr

    exported = liandiao(demo_stack, "audit", "export", "C-DEMO-01", "--out", str(tmp_path))
    assert exported.returncode == 0, exported.stderr
    dossier = Path(exported.stdout.strip())
    html = (dossier / "dossier.html").read_text()
    page = re.sub(r'<script type="application/json" id="evidence">.*?</script>', "", html, flags=re.S)
    assert "楼上漏水" in page and "张建国" not in page  # the raw events it carries for verification hold them
    # Who did each step, and departments, grids and categories by their names (not their ids).
    for shown in ("王敏（调解员，东湖街道综治中心）", "陈静（督办人，东湖街道综治中心）", "花园社区居委会",
                  "东湖街道花园社区第一网格", "东湖街道住建物业办"):
        assert shown in page, shown
    assert "dept-" not in page and "grid-donghu" not in page
    masked = (dossier / "dossier_masked.html").read_text()
    assert "楼上漏水" in masked and "张建国" not in masked and "dept-" not in masked
    offline = subprocess.run([sys.executable, str(ROOT / "infra" / "audit" / "verify_dossier.py"), str(dossier)],
                             capture_output=True, text=True)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    # The dossier holds the parties' data: the export is in the access log, by the command line's OS user.
    auditor = liandiao(demo_stack, "token", "issue", "--role", "auditor").stdout.strip()
    log = httpx.get(f"{demo_stack.api}/audit/access-log?case_id=C-DEMO-01",
                    headers={"Authorization": f"Bearer {auditor}"}).json()
    assert (log["items"][0]["what"], log["items"][0]["actor"]) == (
        "dossier", {"role": "auditor", "id": f"cli:{getpass.getuser()}"})


def liaison_missing(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == 1 and "no case C-NOPE" in result.stderr


def test_projections_rebuild_gives_the_same_read_models(demo_stack: RunningStack) -> None:
    token = liandiao(demo_stack, "token", "issue", "--role", "auditor").stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    settled = ",".join(f"C-DEMO-{n:02d}" for n in (1, 3, 4, 6, 7, 8, 9, 10, 11))  # no live timers

    def snapshot() -> dict[str, object]:
        items = httpx.get(f"{demo_stack.api}/cases?limit=500", headers=headers).json()["items"]
        return {c["case_id"]: c for c in items if c["case_id"] in settled}

    before = snapshot()
    rebuilt = liandiao(demo_stack, "projections", "rebuild")
    assert rebuilt.returncode == 0 and "rebuilt" in rebuilt.stdout
    assert snapshot() == before


def test_audit_verify_names_a_tampered_case_and_exits_1(demo_stack: RunningStack) -> None:
    async def tamper() -> None:
        conn = await connect(demo_stack.stack_file()["database_url"])
        try:
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")
                await conn.execute("UPDATE events SET data = jsonb_set(data, '{summary}', '\"改过\"') "
                                   "WHERE case_id = 'C-DEMO-03' AND type = 'TaskReplied'")
        finally:
            await conn.close()

    asyncio.run(tamper())
    result = liandiao(demo_stack, "audit", "verify")
    assert result.returncode == 1
    assert "C-DEMO-03: first bad seq" in result.stderr


def test_the_hourly_seal_schedule_seals_through_the_worker(demo_stack: RunningStack) -> None:
    from infra.temporal import connect_temporal
    from workflows.seal import SEAL_SCHEDULE_ID

    async def trigger_and_count() -> tuple[int, int]:
        conn = await connect(demo_stack.stack_file()["database_url"])
        try:
            before = int(await conn.fetchval("SELECT count(*) FROM tree_heads"))
            client = await connect_temporal(demo_stack.stack_file()["temporal_address"])
            schedule = client.get_schedule_handle(SEAL_SCHEDULE_ID)
            assert (await schedule.describe()).schedule.spec.intervals[0].every.total_seconds() == 3600
            await schedule.trigger()
            for _ in range(100):
                after = int(await conn.fetchval("SELECT count(*) FROM tree_heads"))
                if after > before:
                    return before, after
                await asyncio.sleep(0.2)
            return before, before
        finally:
            await conn.close()

    before, after = asyncio.run(trigger_and_count())
    assert after == before + 1


def test_demo_people_sign_in_and_are_named_on_every_step(demo_stack: RunningStack) -> None:
    import re

    from application.people import People
    from domain.organisation import demo_organisation
    from infra.db import create_pool

    printed = (demo_stack.data_dir.parent / f"{demo_stack.data_dir.name}-up.log").read_text()
    for login in ("mediator", "liaison", "supervisor", "auditor", "admin"):
        assert re.search(rf" {login} +demo-{login} ", printed), login
    found = re.search(r"mediator +mediator +demo-mediator +\S+ *(ld_\S+)", printed)
    assert found is not None, printed[-2000:]
    cases = httpx.get(f"{demo_stack.api}/cases", headers={"Authorization": f"Bearer {found.group(1)}"})
    assert cases.status_code == 200

    timeline = liandiao(demo_stack, "audit", "replay", "C-DEMO-01")
    for who in ("王敏（调解员，东湖街道综治中心）", "孙丽（联络员，花园社区居委会）"):
        assert who in timeline.stdout, who

    async def sign_in() -> str:
        pool = await create_pool(demo_stack.stack_file()["database_url"], max_size=2)
        try:
            return (await People(pool, demo_organisation()).sign_in("liaison", "demo-liaison")).name
        finally:
            await pool.close()

    assert asyncio.run(sign_in()) == "李强"


def test_papers_list_and_get_write_the_issued_pdf(demo_stack: RunningStack, tmp_path: Path) -> None:
    token = liandiao(demo_stack, "token", "issue", "--role", "mediator").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    listed_cases = httpx.get(f"{demo_stack.api}/cases?stage=coordination", headers=auth, timeout=60).json()
    case_id = listed_cases["items"][0]["case_id"]
    issued = httpx.post(f"{demo_stack.api}/cases/{case_id}/documents", json={"kind": "registration"},
                        headers=auth, timeout=60)
    assert issued.status_code == 201, issued.text
    doc = issued.json()
    listed = liandiao(demo_stack, "papers", "list", case_id)
    line = f"{doc['document_id']}\tregistration\t人民调解登记表\t{doc['number']}\t{doc['sha256']}"
    assert listed.returncode == 0 and line in listed.stdout.splitlines()
    out = tmp_path / "登记表.pdf"
    got = liandiao(demo_stack, "papers", "get", case_id, doc["document_id"], "--out", str(out))
    assert got.returncode == 0 and got.stdout.strip() == f"{out}\t{doc['sha256']}"
    assert hashlib.sha256(out.read_bytes()).hexdigest() == doc["sha256"]
    missing = liandiao(demo_stack, "papers", "get", case_id, "C-DEMO-99-D99")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "no document" in missing.stderr
    unknown = liandiao(demo_stack, "papers", "list", "C-NOPE")
    assert unknown.returncode == 1 and "no case C-NOPE" in unknown.stderr


def test_report_scores_prints_the_figures_and_writes_a_workbook(demo_stack: RunningStack, tmp_path: Path) -> None:
    import json
    from datetime import date, timedelta

    today = date.today()
    span = ("--from", (today - timedelta(days=120)).isoformat(), "--to", (today + timedelta(days=60)).isoformat())
    printed = liandiao(demo_stack, "report", "scores", *span)
    assert printed.returncode == 0, printed.stderr
    report = json.loads(printed.stdout)
    assert report["rows"] and all(r["name"] and r["tasks"] >= 0 for r in report["rows"])  # the demo's departments
    book = tmp_path / "kaohe.xlsx"
    written = liandiao(demo_stack, "report", "scores", *span, "--format", "xlsx", "--out", str(book))
    assert written.returncode == 0 and book.read_bytes()[:2] == b"PK"  # a workbook is a zip
    bad = liandiao(demo_stack, "report", "scores", "--period", "2026-13")
    assert bad.returncode == 2 and bad.stderr.strip() == "liandiao: period: '2026-13': month 13 is not 01-12"
    no_file = liandiao(demo_stack, "report", "scores", "--period", "2026", "--format", "xlsx")
    assert no_file.returncode == 2 and "--out" in no_file.stderr
    # per 责任人: the demo's liaisons acknowledged its tasks, so they are named
    people = json.loads(liandiao(demo_stack, "report", "scores", *span, "--by", "person").stdout)
    assert people["by"] == "person" and people["rows"]
    assert all(r["user"]["id"] and r["user"]["name"] for r in people["rows"])
    wrong = liandiao(demo_stack, "report", "scores", *span, "--by", "grid")
    assert wrong.returncode == 2 and "--by" in wrong.stderr


def test_report_hotspots_prints_the_rows_and_the_totals(demo_stack: RunningStack) -> None:
    import json
    from datetime import datetime
    from zoneinfo import ZoneInfo

    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    printed = liandiao(demo_stack, "report", "hotspots", "--period", month, "--by", "community")
    assert printed.returncode == 0, printed.stderr
    report = json.loads(printed.stdout)
    assert report["period"] == month and report["by"] == "community"
    assert report["count"] == sum(r["count"] for r in report["rows"])
    assert report["previous"] == sum(r["previous"] for r in report["rows"])
    assert isinstance(report["repeat_visitors"], int)
    assert all(r["key"].startswith("cm-") and r["name"] for r in report["rows"])
    bad = liandiao(demo_stack, "report", "hotspots", "--period", "2026-13")
    assert bad.returncode == 2 and bad.stderr.strip() == "liandiao: period: '2026-13': month 13 is not 01-12"


def test_report_monthly_writes_the_month_and_refuses_a_typo(demo_stack: RunningStack, tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    book = tmp_path / "yanpan.xlsx"
    written = liandiao(demo_stack, "report", "monthly", "--period", month, "--out", str(book))
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith(f"{book}\t{month}\txlsx\tbuilt now\tsha256 ")  # the format from the suffix
    assert written.stdout.split()[-1] == hashlib.sha256(book.read_bytes()).hexdigest()
    sheet = load_workbook(book)["概况"]
    assert sheet["A2"].value == "合计" and sheet["B2"].value >= 1  # the demo's cases of this month
    paper = tmp_path / "report.bin"
    as_pdf = liandiao(demo_stack, "report", "monthly", "--period", month, "--out", str(paper), "--format", "pdf")
    assert as_pdf.returncode == 0 and paper.read_bytes()[:4] == b"%PDF"

    typo = liandiao(demo_stack, "report", "monthly", "--period", "2026-13", "--out", str(tmp_path / "x.html"))
    assert typo.returncode == 2 and typo.stderr.strip() == "liandiao: period: '2026-13': month 13 is not 01-12"
    assert not (tmp_path / "x.html").exists()
    short = liandiao(demo_stack, "report", "monthly", "--period", "2026-1", "--out", str(tmp_path / "x.html"))
    assert short.returncode == 2 and "YYYY-MM" in short.stderr and len(short.stderr.strip().splitlines()) == 1
    suffix = liandiao(demo_stack, "report", "monthly", "--period", month, "--out", str(tmp_path / "x.doc"))
    assert suffix.returncode == 2 and "--format" in suffix.stderr
