"""Dossiers that verify themselves: infra/audit/verify_dossier.py, a second verifier written from docs/audit.md alone
(tests/tools/readme_verifier.py) and dossier.html opened in headless Chromium agree, on a good dossier and on
tampered copies (an event, an inclusion proof, the tree head, the signature)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.audit.dossier import export_dossier
from tests.infra.test_audit import write_sample_case
from tests.tools import readme_verifier

VERIFIER = Path(__file__).resolve().parents[2] / "infra" / "audit" / "verify_dossier.py"
CHROMIUM = Path("/usr/bin/chromium")
EVIDENCE = re.compile(r'(<script type="application/json" id="evidence">)(.*?)(</script>)', re.S)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
async def dossier(pool: asyncpg.Pool, key: Ed25519PrivateKey, tmp_path: Path) -> Path:
    return await export_dossier(pool, await write_sample_case(pool), tmp_path / "good", key)


def stdlib_verdict(directory: Path) -> tuple[bool, int | None, str]:
    result = subprocess.run([sys.executable, str(VERIFIER), str(directory)], capture_output=True, text=True,
                            timeout=120, check=False)
    found = re.search(r"seq (\d+)", result.stdout)
    return result.returncode == 0, int(found.group(1)) if found and result.returncode else None, result.stdout


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")


def edit_html(path: Path, change: Callable[[Any], None]) -> None:
    page = path.read_text(encoding="utf-8")
    match = EVIDENCE.search(page)
    assert match is not None
    evidence = json.loads(match.group(2).replace("<\\/", "</"))
    change(evidence)
    data = json.dumps(evidence, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    path.write_text(page[:match.start(2)] + data + page[match.end(2):], encoding="utf-8")


def flip(text: str) -> str:
    return ("0" if text[0] != "0" else "1") + text[1:]


def change_event(ev: Any) -> None:
    ev["events"][2]["data"] = {**ev["events"][2]["data"], "injected": "改过"}


def change_path(ev: Any) -> None:
    ev["proofs"][1]["path"][0] = flip(ev["proofs"][1]["path"][0])


def drop_proof(ev: Any) -> None:
    del ev["proofs"][1]


def change_root(ev: Any) -> None:
    ev["tree_head"]["root_hash"] = flip(ev["tree_head"]["root_hash"])


def change_signature(ev: Any) -> None:
    ev["tree_head"]["signature"] = flip(ev["tree_head"]["signature"])


def change_size(ev: Any) -> None:
    ev["tree_head"]["tree_size"] += 1


# (tamper, the seq named, or None when the head itself is bad)
TAMPERS = [(change_event, 3), (change_path, 2), (drop_proof, 2), (change_root, 1), (change_signature, None),
           (change_size, None)]


def tampered_copy(dossier: Path, tamper: Callable[[Any], None], where: Path) -> Path:
    copy = where / tamper.__name__
    shutil.copytree(dossier, copy)

    def on_files(files: dict[str, Any]) -> None:
        tamper(files)

    events = json.loads((copy / "events.json").read_text(encoding="utf-8"))
    proof = json.loads((copy / "proof.json").read_text(encoding="utf-8"))
    bundle = {**proof, "events": events}
    on_files(bundle)
    (copy / "events.json").write_text(json.dumps(bundle.pop("events"), ensure_ascii=False), encoding="utf-8")
    (copy / "proof.json").write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    edit_html(copy / "dossier.html", tamper)
    return copy


async def test_a_good_dossier_verifies_everywhere(dossier: Path) -> None:
    proof = json.loads((dossier / "proof.json").read_text(encoding="utf-8"))
    events = json.loads((dossier / "events.json").read_text(encoding="utf-8"))
    assert [p["seq"] for p in proof["proofs"]] == [e["seq"] for e in events]  # a fresh head proves them all
    assert stdlib_verdict(dossier)[0], stdlib_verdict(dossier)[2]
    assert readme_verifier.verify(dossier).ok


@pytest.mark.parametrize(("tamper", "seq"), TAMPERS, ids=[t.__name__ for t, _ in TAMPERS])
async def test_both_verifiers_catch_tampering_at_the_same_place(
        dossier: Path, tmp_path: Path, tamper: Callable[[Any], None], seq: int | None) -> None:
    copy = tampered_copy(dossier, tamper, tmp_path)
    ok, named, output = stdlib_verdict(copy)
    second = readme_verifier.verify(copy)
    assert not ok and not second.ok, output
    if seq is not None and tamper is not change_root:
        assert named == second.seq == seq, (output, second)


def test_the_stdlib_verifier_checks_ed25519_itself() -> None:
    sys.path.insert(0, str(VERIFIER.parent))
    try:
        import verify_dossier
    finally:
        sys.path.pop(0)
    from infra.audit.keys import raw_public_key

    key = Ed25519PrivateKey.generate()
    message = bytes(range(50))
    signature = key.sign(message)
    assert verify_dossier.ed25519_verify(raw_public_key(key), message, signature)
    assert not verify_dossier.ed25519_verify(raw_public_key(key), message[:-1] + b"\x00", signature)
    # Flip a bit of S: its top byte is often 0 already (S < L < 2**253), so writing a 0 there changed nothing
    # in about one run of sixteen.
    assert not verify_dossier.ed25519_verify(raw_public_key(key), message, signature[:-1] + bytes([signature[-1] ^ 1]))


# --- dossier.html in a real browser ------------------------------------------------------------------------


async def browser_verdict(page_path: Path) -> tuple[str, str]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = await browser.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
            await page.goto(page_path.as_uri())
            status = page.locator("#verify-status")
            await page.wait_for_function(
                "document.getElementById('verify-status').dataset.result !== 'pending'", timeout=60_000)
            assert requests == []  # nothing left the machine
            return (await status.get_attribute("data-result") or ""), await status.inner_text()
        finally:
            await browser.close()


needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@needs_chromium
async def test_the_html_dossier_verifies_itself_in_chromium(dossier: Path) -> None:
    result, text = await browser_verdict(dossier / "dossier.html")
    assert result == "ok" and "已验证" in text, text
    assert "不支持 Ed25519" not in text  # Chromium checked the signature itself


@needs_chromium
@pytest.mark.parametrize(("tamper", "seq"), TAMPERS, ids=[t.__name__ for t, _ in TAMPERS])
async def test_a_tampered_html_dossier_shows_the_bad_item(
        dossier: Path, tmp_path: Path, tamper: Callable[[Any], None], seq: int | None) -> None:
    copy = tampered_copy(dossier, tamper, tmp_path)
    result, text = await browser_verdict(copy / "dossier.html")
    assert result == "bad" and "已验证" not in text, text
    if seq is not None:
        assert f"(seq {seq})" in text, text
