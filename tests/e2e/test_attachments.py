"""Attachments over HTTP: who may upload, limits with 413/415, content addressing, reading back,
the AttachmentAdded event in the chain, and the file in the exported dossier."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from application.attachments import MAX_BYTES
from tests.e2e.api_client import Api, assert_problem, case_body

LEAD, OTHER = "dept-donghu-labour", "dept-xicheng-police"
PDF = b"%PDF-1.7\n" + "调解协议书：双方同意分两期支付。".encode() + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture
async def api_client(api: str, tokens: dict[str, str], pool: asyncpg.Pool) -> AsyncIterator[Api]:
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["liaison_labour"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison")
    client.tokens["liaison_police"] = await issue_token(pool, Role.liaison, OTHER, "police liaison")
    yield client
    await client.http.aclose()


async def upload(a: Api, role: str, case_id: str, name: str, content: bytes, media_type: str,
                 headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return await a.http.post(f"{a.base}/cases/{case_id}/attachments", files={"file": (name, content, media_type)},
                             headers={"Authorization": f"Bearer {a.tokens[role]}", **(headers or {})})


async def routed_case(a: Api) -> str:
    case_id = str((await a.ok("mediator", "POST", "/cases", case_body()))["case_id"])
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD})
    return case_id


async def test_upload_read_back_and_the_event(api_client: Api, pool: asyncpg.Pool, tmp_path: Path) -> None:
    a = api_client
    case_id = await routed_case(a)
    sent = await upload(a, "mediator", case_id, "调解协议书.pdf", PDF, "application/pdf")
    assert sent.status_code == 201, sent.text
    digest = hashlib.sha256(PDF).hexdigest()
    assert sent.json()["attachment"] == {"sha256": digest, "name": "调解协议书.pdf", "media_type": "application/pdf",
                                         "size": len(PDF)}
    assert sent.json()["events"] == ["AttachmentAdded"]
    photo = await upload(a, "liaison_labour", case_id, "C:\\现场\\照片.png", PNG, "image/png")
    assert photo.status_code == 201 and photo.json()["attachment"]["name"] == "照片.png", photo.text

    listed_in_case = (await a.ok("liaison_labour", "GET", f"/cases/{case_id}"))["attachments"]
    assert [(x["sha256"], x["name"]) for x in listed_in_case] == [(digest, "调解协议书.pdf"),
                                                                  (hashlib.sha256(PNG).hexdigest(), "照片.png")]
    got = await a.call("liaison_labour", "GET", f"/cases/{case_id}/attachments/{digest}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf" and "UTF-8''" in got.headers["content-disposition"]
    assert (await a.call("auditor", "GET", f"/cases/{case_id}/attachments/{digest}")).content == PDF
    assert_problem(await a.call("liaison_police", "GET", f"/cases/{case_id}/attachments/{digest}"), 403)
    assert_problem(await a.call("mediator", "GET", f"/cases/{case_id}/attachments/{'0' * 64}"), 404)

    events = await a.ok("auditor", "GET", f"/cases/{case_id}/events")
    items = events["items"] if isinstance(events, dict) else events
    added = [e for e in items if e["type"] == "AttachmentAdded"]
    assert added[0]["data"] == {"sha256": digest, "name": "调解协议书.pdf", "media_type": "application/pdf",
                                "size": len(PDF)}
    assert (await a.ok("auditor", "GET", f"/cases/{case_id}/verify"))["valid"] is True

    from infra.audit.dossier import export_dossier

    target = await export_dossier(pool, case_id, tmp_path)
    assert (target / "attachments" / digest).read_bytes() == PDF
    listed = json.loads((target / "attachments.json").read_text(encoding="utf-8"))
    assert {x["sha256"]: x["name"] for x in listed}[digest] == "调解协议书.pdf"
    verifier = Path(__file__).resolve().parents[2] / "infra" / "audit" / "verify_dossier.py"
    ok = subprocess.run([sys.executable, str(verifier), str(target)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "2 attachments" in ok.stdout, ok.stdout
    (target / "attachments" / digest).write_bytes(PDF.replace("两期".encode(), "三期".encode()))
    bad = subprocess.run([sys.executable, str(verifier), str(target)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and digest in bad.stdout, bad.stdout


async def test_who_may_upload(api_client: Api) -> None:
    a = api_client
    case_id = await routed_case(a)
    assert_problem(await upload(a, "liaison_police", case_id, "x.pdf", PDF, "application/pdf"), 403)
    assert_problem(await upload(a, "supervisor", case_id, "x.pdf", PDF, "application/pdf"), 403)
    assert_problem(await upload(a, "auditor", case_id, "x.pdf", PDF, "application/pdf"), 403)
    assert_problem(await upload(a, "mediator", "C-NOPE", "x.pdf", PDF, "application/pdf"), 404)


async def test_limits_and_types(api_client: Api) -> None:
    a = api_client
    case_id = await routed_case(a)
    big = b"%PDF-" + b"0" * MAX_BYTES
    assert_problem(await upload(a, "mediator", case_id, "big.pdf", big, "application/pdf"), 413, "at most")
    assert_problem(await upload(a, "mediator", case_id, "x.exe", b"MZ\x90\x00", "application/x-msdownload"), 415)
    assert_problem(await upload(a, "mediator", case_id, "fake.pdf", b"<html>", "application/pdf"), 415,
                   "not application/pdf")
    assert_problem(await upload(a, "mediator", case_id, "empty.pdf", b"", "application/pdf"), 422)
    no_file = await a.http.post(f"{a.base}/cases/{case_id}/attachments", files={"x": ("a.pdf", PDF)},
                                headers={"Authorization": f"Bearer {a.tokens['mediator']}"})
    assert_problem(no_file, 422, "file")
    assert_problem(await a.call("mediator", "POST", f"/cases/{case_id}/attachments", {"file": "x"}), 415)


async def test_a_retried_upload_has_effect_once(api_client: Api) -> None:
    a = api_client
    case_id = await routed_case(a)
    first = await upload(a, "mediator", case_id, "笔录.pdf", PDF, "application/pdf", {"Idempotency-Key": "u-1"})
    again = await upload(a, "mediator", case_id, "笔录.pdf", PDF, "application/pdf", {"Idempotency-Key": "u-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    # Without a key, the same file again is refused: it is already attached.
    assert_problem(await upload(a, "mediator", case_id, "笔录.pdf", PDF, "application/pdf"), 409, "already attached")
