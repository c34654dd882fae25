"""The payload codec: personal data never reaches Temporal in clear; keys rotate without touching history."""

from __future__ import annotations

import json
import stat
import subprocess
import uuid
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from application.case_client import CaseClient
from domain.commands import ReceiveCase
from domain.events import Party
from domain.vocabulary import PartyRole
from infra.codec import ENCODING, KEY_ID, CodecError, EncryptionCodec, KeyRing, load_key_ring, rotate_key_file
from infra.embedded import temporal_binary
from tests.workflows.scenario import MEDIATOR, receive_command

NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13912345678", "110101199003072316"


def _payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text, ensure_ascii=False).encode())


async def test_a_payload_round_trips_and_is_ciphertext_on_the_wire() -> None:
    codec = EncryptionCodec(KeyRing.new())
    [sealed] = await codec.encode([_payload(NAME)])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert NAME.encode() not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [_payload(NAME)]


async def test_rotation_encrypts_new_payloads_with_the_new_key_and_still_reads_old_ones(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    old = EncryptionCodec(load_key_ring(path, create=True))
    [before] = await old.encode([_payload("before")])
    new_id = rotate_key_file(path)
    rotated = EncryptionCodec(load_key_ring(path))
    [after] = await rotated.encode([_payload("after")])
    assert after.metadata[KEY_ID] == new_id.encode() != before.metadata[KEY_ID]
    assert await rotated.decode([before, after]) == [_payload("before"), _payload("after")]
    with pytest.raises(CodecError, match="not in the key file"):
        await old.decode([after])


async def test_payloads_written_before_the_codec_pass_through() -> None:
    clear = _payload("recorded before the codec")
    assert await EncryptionCodec(KeyRing.new()).decode([clear]) == [clear]


async def test_a_tampered_payload_or_a_stolen_key_name_does_not_decode() -> None:
    codec = EncryptionCodec(KeyRing.new())
    [sealed] = await codec.encode([_payload(NAME)])
    tampered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(CodecError, match="does not authenticate"):
        await codec.decode([tampered])


def test_the_key_file_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = load_key_ring(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_ring(path, create=True) == first
    with pytest.raises(CodecError, match="no key file"):
        load_key_ring(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"current": "k9", "keys": {}}')
    with pytest.raises(CodecError, match="current key"):
        load_key_ring(tmp_path / "bad.json")


def _with_people() -> ReceiveCase:
    return receive_command(parties=(
        Party(name=NAME, role=PartyRole.applicant, phone=PHONE, id_number=ID_NUMBER),
        Party(name="司马光明", role=PartyRole.respondent),
    ))


async def test_a_cases_raw_history_holds_no_name_phone_or_id_number(
    cases: CaseClient, temporal_address: str
) -> None:
    case_id = f"C-{uuid.uuid4().hex[:10]}"
    await cases.receive(case_id, _with_people(), MEDIATOR)
    await cases.state(case_id)  # a query answer goes through the codec too
    history = await cases.client.get_workflow_handle(case_id).fetch_history()
    raw = history.to_json().encode() + b"".join(e.SerializeToString() for e in history.events)
    shown = subprocess.run(
        [str(temporal_binary()), "workflow", "show", "--workflow-id", case_id, "--address", temporal_address,
         "--output", "json"], capture_output=True, check=True).stdout
    assert shown.strip()
    for secret in (NAME, "司马光明", PHONE, ID_NUMBER):
        for where in (raw, shown):
            assert secret.encode() not in where
            assert json.dumps(secret).encode() not in where  # nor \\u-escaped
    # ... and the data is there, for those who hold the key: the check above looks at the right bytes.
    payloads = [p for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")
                for p in e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads]
    decoded = await cases.client.data_converter.payload_codec.decode(payloads)  # type: ignore[union-attr]
    assert any(NAME.encode() in p.data and ID_NUMBER.encode() in p.data for p in decoded)


def test_liandiao_codec_rotate_adds_a_current_key_and_keeps_the_old(tmp_path: Path) -> None:
    import os
    import sys

    path = tmp_path / "keys.json"
    first = load_key_ring(path, create=True)
    env = {**os.environ, "LIANDIAO_CODEC_KEY_FILE": str(path)}
    result = subprocess.run([sys.executable, "-m", "entrypoints.cli", "codec", "rotate"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    ring = load_key_ring(path)
    assert ring.current == result.stdout.strip() != first.current
    assert ring.keys[first.current] == first.keys[first.current]
    missing = subprocess.run([sys.executable, "-m", "entrypoints.cli", "codec", "rotate"], capture_output=True,
                             text=True, timeout=60, env={**os.environ, "LIANDIAO_CODEC_KEY_FILE": str(tmp_path / "x")})
    assert missing.returncode == 1 and missing.stderr.strip().startswith("liandiao: payload codec: no key file")
