"""Personal data out of Temporal: every payload a client or worker sends is encrypted (AES-256-GCM) before it
leaves the process, so workflow inputs, update arguments, activity payloads and query answers sit in
Temporal's history as ciphertext. Search attributes are not payloads and carry no personal data anyway.

Each encrypted payload names its key (metadata ``encryption-key-id``). Rotation adds a new key and makes it
current: new payloads use it, old ones still decode with the key they name, and history is never
re-encrypted. Payloads written before the codec (no ``binary/encrypted`` encoding) pass through untouched,
so recorded histories and cases started earlier replay.

Keys live in a JSON file, ``{"current": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "..."}}``, by default
``DATA_DIR/temporal-keys.json``, created with a first key by ``liandiao up`` (mode 0600). Every worker of a
stack needs the same file (``LIANDIAO_CODEC_KEY_FILE``). Lose the file and the open cases' histories cannot
be read: back it up with the data (``liandiao backup`` does)."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

ENCODING = b"binary/encrypted"  # the names Temporal's own encryption samples use, so its tools recognise them
KEY_ID = "encryption-key-id"
KEY_FILE_NAME = "temporal-keys.json"
_NONCE = 12


class CodecError(RuntimeError):
    """A key file that cannot be used, or a payload whose key is missing."""


@dataclasses.dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise CodecError(f"the current key {self.current!r} is not among the keys")
        for key_id, key in self.keys.items():
            if len(key) != 32:
                raise CodecError(f"key {key_id!r} must be 32 bytes (AES-256), not {len(key)}")

    def to_json(self) -> str:
        return json.dumps({"current": self.current,
                           "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()}}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            raw = json.loads(text)
            return cls(current=raw["current"], keys={k: base64.b64decode(v) for k, v in raw["keys"].items()})
        except (ValueError, KeyError, TypeError) as exc:
            raise CodecError(f"not a key file: {exc}") from exc

    def rotated(self) -> KeyRing:
        """A new current key; the old ones stay, to decode what they encrypted."""
        key_id = "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
        return KeyRing(current=key_id, keys={**self.keys, key_id: AESGCM.generate_key(bit_length=256)})

    @classmethod
    def new(cls) -> KeyRing:
        return cls(current="k1", keys={"k1": AESGCM.generate_key(bit_length=256)})


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_key_ring(path: Path, *, create: bool = False) -> KeyRing:
    """The key ring in ``path``; with ``create``, a new one is written there first if none exists."""
    if not path.exists():
        if not create:
            raise CodecError(f"no key file at {path} (start `liandiao up` once, or set LIANDIAO_CODEC_KEY_FILE)")
        ring = KeyRing.new()
        _write_private(path, ring.to_json())
        return ring
    try:
        return KeyRing.from_json(path.read_text())
    except OSError as exc:
        raise CodecError(f"cannot read the key file {path}: {exc.strerror}") from exc


def rotate_key_file(path: Path) -> str:
    ring = load_key_ring(path).rotated()
    _write_private(path, ring.to_json())
    return ring.current


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._ciphers = {k: AESGCM(v) for k, v in ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self.ring.current
        cipher = self._ciphers[key_id]
        out = []
        for p in payloads:
            nonce = os.urandom(_NONCE)
            # The key id is authenticated too: a payload cannot be passed off under another key's name.
            sealed = cipher.encrypt(nonce, p.SerializeToString(), key_id.encode())
            out.append(Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)  # written before the codec: as it was
                continue
            key_id = p.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise CodecError(f"payload encrypted with key {key_id!r}, which is not in the key file")
            try:
                plain = cipher.decrypt(p.data[:_NONCE], p.data[_NONCE:], key_id.encode())
            except InvalidTag as exc:
                raise CodecError(f"payload under key {key_id!r} does not authenticate") from exc
            decoded = Payload()
            decoded.ParseFromString(plain)
            out.append(decoded)
        return out


def with_codec(converter: DataConverter, codec: PayloadCodec | None) -> DataConverter:
    return converter if codec is None else dataclasses.replace(converter, payload_codec=codec)
