"""The log's Ed25519 signing key: a PKCS#8 PEM file under the data dir, created by `liandiao up` on first start.

Whoever holds this file can sign tree heads in the log's name: keep it readable by the service only and back it
up (losing it means later heads are signed by a new key, which witnesses must be told of)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "log_key.pem"


class MissingKey(RuntimeError):
    pass


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        return load_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    (path.parent / (path.stem + ".pub.pem")).write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise MissingKey(f"no log signing key at {path}: start `liandiao up` once on this data dir, or copy the "
                         "key file there from the machine that created it") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise MissingKey(f"{path} is not an Ed25519 private key")
    return key


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw_public: bytes) -> str:
    """RFC 6962's LogID: SHA-256 of the DER SubjectPublicKeyInfo (for Ed25519 a fixed 12-byte prefix)."""
    spki = Ed25519PublicKey.from_public_bytes(raw_public).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()
