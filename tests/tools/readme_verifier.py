"""A second dossier verifier, written from docs/audit.md ("Dossiers that verify themselves", "The transparency
log", "The hash chain") alone: it imports nothing of LianDiao, and uses other implementations where they
exist (the `rfc8785` package for JCS, `cryptography` for Ed25519). Its inclusion check is the
inner/border decomposition (as transparency-dev/merkle computes it), not RFC 9162's loop, so the two
verifiers share no code and no algorithm."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ENVELOPE = ("case_id", "seq", "event_id", "type", "schema_version", "occurred_at", "actor", "data")


@dataclass
class Verdict:
    ok: bool
    seq: int | None = None
    why: str = ""


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def _root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    if index >= size:
        return None
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    if len(path) != inner + border:
        return None
    node = leaf
    for level, sibling in enumerate(path[:inner]):
        node = _h(b"\x01", sibling, node) if (index >> level) & 1 else _h(b"\x01", node, sibling)
    for sibling in path[inner:]:
        node = _h(b"\x01", sibling, node)
    return node


def verify(directory: Path) -> Verdict:
    events = json.loads((directory / "events.json").read_text(encoding="utf-8"))
    previous = "0" * 64
    for seq, event in enumerate(events, start=1):
        if event["seq"] != seq or event["prev_hash"] != previous:
            return Verdict(False, seq, "order or link")
        envelope = {k: event[k] for k in ENVELOPE}
        if hashlib.sha256(previous.encode() + rfc8785.dumps(envelope)).hexdigest() != event["hash"]:
            return Verdict(False, seq, "content")
        previous = event["hash"]
    proof = json.loads((directory / "proof.json").read_text(encoding="utf-8"))
    head = proof["tree_head"]
    if head is None:
        return Verdict(True, None, "no head")
    root = bytes.fromhex(head["root_hash"])
    for seq, item in enumerate(proof["proofs"], start=1):
        if item["seq"] != seq or seq > len(events):
            return Verdict(False, seq, "proof missing")
        leaf = _h(b"\x00", bytes.fromhex(events[seq - 1]["hash"]))
        if item["leaf_hash"] != leaf.hex():
            return Verdict(False, seq, "leaf")
        if _root(item["leaf_index"], head["tree_size"], leaf, [bytes.fromhex(p) for p in item["path"]]) != root:
            return Verdict(False, seq, "inclusion")
    public = bytes.fromhex(proof["public_key"])
    if hashlib.sha256(bytes.fromhex("302a300506032b6570032100") + public).hexdigest() != head["key_id"]:
        return Verdict(False, None, "key_id")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(
            bytes.fromhex(head["signature"]), struct.pack(">BBQQ", 0, 1, head["timestamp"], head["tree_size"]) + root)
    except (InvalidSignature, ValueError):
        return Verdict(False, None, "signature")
    return Verdict(True, None, "verified")
