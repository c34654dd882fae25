"""Mediation papers over HTTP (docs/api.md §9): issue, list and download with the recorded hash; repeats with an
Idempotency-Key; 履行 and 司法确认 through their routes; the signed scan tied to the agreement; the dossier export
holds the papers; problems for bad input, wrong roles, unknown ids and states that do not allow it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.e2e.api_client import Api, assert_problem, case_body

LEAD = "dept-donghu-huayuan-committee"
COURT = "dept-donghu-tribunal"


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool: asyncpg.Pool) -> AsyncIterator[Api]:
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["court"] = await issue_token(pool, Role.liaison, COURT, "tribunal liaison")
    yield client
    await client.http.aclose()


def text_of(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())


async def agreed(a: Api) -> str:
    case_id = str((await a.ok("mediator", "POST", "/cases", case_body()))["case_id"])
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD})
    task = f"/cases/{case_id}/tasks/{case_id}-T1"
    await a.ok("liaison_lead", "POST", f"{task}/acknowledge", {})
    await a.ok("liaison_lead", "POST", f"{task}/reply", {"summary": "已调解"})
    due = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    done = await a.ok("mediator", "POST", f"/cases/{case_id}/mediations", {
        "method": "people", "agreement_reached": True, "terms": "公司于月底前付清工资两万元",
        "disputes": "拖欠工资的数额", "performance_method": "现金支付", "performance_due": due})
    assert done["events"] == ["MediationRecorded"]
    return case_id


async def test_issue_download_and_repeat(a: Api, pool: asyncpg.Pool, tmp_path: Path) -> None:
    case_id = await agreed(a)
    first = await a.call("mediator", "POST", f"/cases/{case_id}/documents", {"kind": "agreement"},
                         headers={"Idempotency-Key": f"agreement-{case_id}"})
    assert first.status_code == 201, first.text
    doc = first.json()
    assert set(doc) >= {"document_id", "kind", "number", "sha256"} and "东湖人调字第" in doc["number"]
    repeat = await a.call("mediator", "POST", f"/cases/{case_id}/documents", {"kind": "agreement"},
                          headers={"Idempotency-Key": f"agreement-{case_id}"})
    assert repeat.status_code == 201 and repeat.json() == doc
    again = await a.ok("mediator", "POST", f"/cases/{case_id}/documents", {"kind": "agreement"})
    assert again == doc  # the same case and kind: the same bytes, the paper already issued
    pdf = await a.call("supervisor", "GET", f"/cases/{case_id}/documents/{doc['document_id']}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == doc["sha256"] == pdf.headers["etag"].strip('"')
    text = text_of(pdf.content)
    assert "王小明" in text and "公司于月底前付清工资两万元" in text and doc["number"] in text
    listed = await a.ok("auditor", "GET", f"/cases/{case_id}/documents")
    assert [(d["document_id"], d["sha256"]) for d in listed] == [(doc["document_id"], doc["sha256"])]
    events = await a.ok("auditor", "GET", f"/cases/{case_id}/events")
    issued = [e for e in events if e["type"] == "DocumentIssued"]
    assert len(issued) == 1 and issued[0]["data"]["sha256"] == doc["sha256"]
    case = await a.ok("mediator", "GET", f"/cases/{case_id}")
    assert case["case_number"] == doc["number"] and case["judicial_confirmation"]["applied_at"] is None
    assert case["performances"][0]["performed"] is None

    # the parties' signed scan, tied to the issued agreement
    scan = b"%PDF-1.7\n" + "签字版".encode() + b"\n%%EOF\n"
    sent = await a.http.post(f"{a.base}/cases/{case_id}/attachments", data={"kind": "signed_agreement"},
                             files={"file": ("协议书签字版.pdf", scan, "application/pdf")},
                             headers={"Authorization": f"Bearer {a.tokens['mediator']}"})
    assert sent.status_code == 201 and sent.json()["events"] == ["AttachmentAdded", "SignedAgreementFiled"], sent.text
    assert (await a.ok("mediator", "GET", f"/cases/{case_id}"))["signed_agreements"] == [
        {"sha256": hashlib.sha256(scan).hexdigest(), "document_id": doc["document_id"]}]

    # 履行 and 司法确认
    performed = await a.ok("mediator", "POST", f"/cases/{case_id}/performance", {"performed": True, "note": "已付清"})
    assert performed["events"] == ["PerformanceRecorded"]
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/performance", {"performed": True}), 409,
                   "no agreement's performance")
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/judicial-confirmation",
                                {"court_department": LEAD, "applied_at": datetime.now(UTC).isoformat()}),
                   422, "not a court")
    applied = await a.ok("mediator", "POST", f"/cases/{case_id}/judicial-confirmation",
                         {"court_department": COURT, "applied_at": datetime.now(UTC).isoformat()})
    assert [e for e in applied["events"] if not e.startswith("Notification")] == ["JudicialConfirmationApplied"]
    # the court applied to is told, and sees the case it is to rule on
    told = (await a.ok("court", "GET", "/notifications"))["items"]
    assert any(n["kind"] == "judicial_confirmation" and n["case_id"] == case_id for n in told), told
    assert (await a.ok("court", "GET", f"/cases/{case_id}"))["judicial_confirmation"]["court_department"] == COURT
    assert_problem(await a.call("liaison_lead", "POST", f"/cases/{case_id}/judicial-confirmation/decision",
                                {"confirmed": True}), 403)
    decided = await a.ok("court", "POST", f"/cases/{case_id}/judicial-confirmation/decision",
                         {"confirmed": True, "ruling_no": "（2026）临0102民特1号"})
    assert decided["events"] == ["JudicialConfirmationDecided"]
    case_file = await a.ok("mediator", "POST", f"/cases/{case_id}/documents", {"kind": "case_file"})
    bundled = text_of((await a.call("mediator", "GET", f"/cases/{case_id}/documents/{case_file['document_id']}"))
                      .content)
    assert "确认有效（（2026）临0102民特1号）" in bundled and "已履行" in bundled

    from infra.audit.dossier import export_dossier

    target = await export_dossier(pool, case_id, tmp_path)
    index = json.loads((target / "documents.json").read_text())
    assert [d["document_id"] for d in index] == [doc["document_id"], case_file["document_id"]]
    assert (target / "documents" / index[0]["file"]).read_bytes() == pdf.content


async def test_problems(a: Api) -> None:
    case_id = str((await a.ok("mediator", "POST", "/cases", case_body()))["case_id"])
    path = f"/cases/{case_id}/documents"
    assert_problem(await a.call("mediator", "POST", path, {"kind": "agreement"}), 409, "agreement")
    assert_problem(await a.call("mediator", "POST", path, {"kind": "letter"}), 422)
    assert_problem(await a.call("mediator", "POST", path, {}), 422)
    assert_problem(await a.call("liaison_lead", "POST", path, {"kind": "registration"}), 403)
    assert_problem(await a.call("mediator", "POST", "/cases/C-none/documents", {"kind": "registration"}), 404)
    assert_problem(await a.call("liaison_lead", "GET", path), 403)
    assert_problem(await a.call("mediator", "GET", f"{path}/{case_id}-D1"), 404)
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/performance", {"performed": "yes"}), 422)
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/judicial-confirmation",
                                {"court_department": COURT, "applied_at": "2026-01-01T00:00:00"}), 422)
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/judicial-confirmation",
                                {"court_department": COURT, "applied_at": datetime.now(UTC).isoformat()}),
                   409, "issue the agreement first")
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/mediations", {
        "method": "people", "agreement_reached": False, "performance_due": datetime.now(UTC).isoformat()}), 409)
