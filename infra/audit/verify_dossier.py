#!/usr/bin/env python3
"""Verify an exported LianDiao case dossier offline: ``python3 verify_dossier.py DIR``.

Standard library only, on purpose: an auditor runs it without the system. It repeats the rules of the README
("The hash chain" and "Dossier proofs"):

- each event's hash = hex(sha256(utf8(prev_hash) + utf8(JCS(envelope)))), JCS being RFC 8785 (written out
  below: keys in UTF-16 order, ECMAScript numbers), envelope the object {case_id, seq, event_id, type,
  schema_version, occurred_at, actor, data}; events stored before JCS was adopted may match the earlier form
  (Python's json.dumps with sorted keys) where the two differ;
- the first event's prev_hash is 64 zeros, each later one is the previous event's hash, seq runs 1, 2, ...;
- chain.json's head_hash is the last event's hash;
- proof.json (the transparency log, RFC 6962 / RFC 9162): leaf_hash = sha256(0x00 + bytes(hash)) for each
  proven event, whose RFC 9162 inclusion proof leads to the tree head's root_hash; the head's Ed25519 signature
  (RFC 8032, verified here in pure Python) over RFC 6962's TreeHeadSignature 0x00 0x01 uint64(timestamp)
  uint64(tree_size) root_hash, and key_id = hex(sha256(DER SubjectPublicKeyInfo));
- attachments/<sha256>: each AttachmentAdded event's file hashes to the sha256 the event recorded;
- seal.json (the earlier kind of seal, when present and not null): leaf = hex(sha256(utf8(case_id:version:
  head_hash))); each proof step (side, sibling) gives hex(sha256(bytes(sibling) + bytes(node))) for "left",
  hex(sha256(bytes(node) + bytes(sibling))) for "right", ending at merkle_root; seal_hash =
  hex(sha256(utf8(JCS({sealed_at, cases, events, merkle_root, prev_seal_hash})))).

Prints OK and exits 0, or prints what is wrong (the first bad seq where there is one) and exits 1."""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path
from typing import Any

GENESIS_HASH = "0" * 64
ENVELOPE_KEYS = ("case_id", "seq", "event_id", "type", "schema_version", "occurred_at", "actor", "data")


class Broken(Exception):
    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(f"seq {seq}: {message}" if seq is not None else message)
        self.seq = seq


def es_number(value: float) -> str:
    """ECMAScript's Number::toString from the shortest round-trip digits (RFC 8785 §3.2.2.3)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise Broken("NaN or an infinity cannot be canonicalised")
    if value == 0:
        return "0"
    mantissa, _, exp = f"{abs(value)!r}".partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    leading_zeros = len(frac) - len(frac.lstrip("0"))
    n = len(whole.lstrip("0")) + int(exp or 0) if whole.strip("0") else int(exp or 0) - leading_zeros
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        text = (digits if k == 1 else digits[0] + "." + digits[1:]) + ("e+" if n - 1 >= 0 else "e-") + str(abs(n - 1))
    return ("-" if value < 0 else "") + text


def canonical_json(value: Any) -> str:
    """RFC 8785 (JCS)."""
    if isinstance(value, float):
        return es_number(value)
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        raise Broken(f"integer {value} is beyond 2**53 - 1")
    return json.dumps(value, ensure_ascii=False)


def legacy_canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_hash_matches(prev_hash: str, event: dict[str, Any]) -> bool:
    envelope = {key: event[key] for key in ENVELOPE_KEYS}
    forms = {canonical_json(envelope), legacy_canonical_json(envelope)}
    return any(sha256_hex((prev_hash + form).encode("utf-8")) == event["hash"] for form in forms)


def check_events(events: Any, case_id: str | None) -> None:
    if not isinstance(events, list) or not events:
        raise Broken("events.json holds no events")
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if not isinstance(event, dict) or any(k not in event for k in (*ENVELOPE_KEYS, "prev_hash", "hash")):
            raise Broken("the event lacks a field of the envelope", expected_seq)
        if event["seq"] != expected_seq:
            raise Broken(f"sequence {expected_seq} is missing or out of place (found {event['seq']})", expected_seq)
        if case_id is not None and event["case_id"] != case_id:
            raise Broken(f"the event belongs to case {event['case_id']}, not {case_id}", expected_seq)
        if event["prev_hash"] != prev:
            raise Broken("prev_hash does not match the previous event's hash", expected_seq)
        if not event_hash_matches(prev, event):
            raise Broken("hash does not match the event's content", expected_seq)
        prev = event["hash"]


def check_chain(chain: Any, events: list[dict[str, Any]]) -> None:
    if not isinstance(chain, dict):
        raise Broken("chain.json is not an object")
    if chain.get("case_id") != events[0]["case_id"]:
        raise Broken("chain.json names another case")
    if chain.get("events") != len(events):
        raise Broken(f"chain.json counts {chain.get('events')} events, events.json holds {len(events)}")
    if chain.get("head_hash") != events[-1]["hash"]:
        raise Broken("chain.json's head_hash is not the last event's hash", events[-1]["seq"])


def proof_root(leaf: str, proof: list[Any]) -> str:
    node = leaf
    for step in proof:
        side, sibling = step
        if side == "left":
            node = sha256_hex(bytes.fromhex(sibling) + bytes.fromhex(node))
        elif side == "right":
            node = sha256_hex(bytes.fromhex(node) + bytes.fromhex(sibling))
        else:
            raise Broken(f"seal.json: unknown proof side {side!r}")
    return node


def check_seal(record: dict[str, Any], events: list[dict[str, Any]]) -> str:
    try:
        seal, leaf, proof = record["seal"], record["leaf"], record["proof"]
        case_id, version, head_hash = leaf["case_id"], leaf["version"], leaf["head_hash"]
    except (KeyError, TypeError) as exc:
        raise Broken(f"seal.json lacks {exc}") from None
    if case_id != events[0]["case_id"]:
        raise Broken("seal.json is for another case")
    if not isinstance(version, int) or not 1 <= version <= len(events):
        raise Broken(f"seal.json seals version {version}, events.json holds {len(events)} events")
    if events[version - 1]["hash"] != head_hash:
        raise Broken("the sealed head hash is not this event's hash: the stream was rewritten", version)
    leaf_hex = sha256_hex(f"{case_id}:{version}:{head_hash}".encode())
    if "leaf_hash" in leaf and leaf["leaf_hash"] != leaf_hex:
        raise Broken("seal.json: leaf_hash does not match (case_id, version, head_hash)")
    try:
        root = proof_root(leaf_hex, proof)
    except ValueError:
        raise Broken("seal.json: the Merkle proof is malformed") from None
    if root != seal["merkle_root"]:
        raise Broken("seal.json: the Merkle proof does not lead to the seal's merkle_root")
    body = {k: seal[k] for k in ("sealed_at", "cases", "events", "merkle_root", "prev_seal_hash")}
    if sha256_hex(canonical_json(body).encode("utf-8")) != seal["seal_hash"]:
        raise Broken("seal.json: seal_hash does not match the seal's content")
    return (f"seal #{seal.get('id')} of {seal['sealed_at']} covers seq 1-{version}; "
            f"seal_hash {seal['seal_hash']} (compare it with your seal file)")


# --- Ed25519 verification, RFC 8032 §5.1.7 (the reference arithmetic, in extended coordinates) -------------

_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
Point = tuple[int, int, int, int]


def _add(a: Point, b: Point) -> Point:
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, d - c, d + c, y + x
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P


def _mul(s: int, point: Point) -> Point:
    acc: Point = (0, 1, 1, 0)
    while s:
        if s & 1:
            acc = _add(acc, point)
        point = _add(point, point)
        s >>= 1
    return acc


def _x_from(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    return _P - x if (x & 1) != sign else x


def _decode_point(data: bytes) -> Point | None:
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _x_from(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _x_from(_GY, 0)
assert _GX is not None
_G: Point = (_GX, _GY, 1, _GX * _GY % _P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decode_point(public), _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _Q
    left, right = _mul(s, _G), _add(r, _mul(h, a))
    return (left[0] * right[2] - right[0] * left[2]) % _P == 0 and (left[1] * right[2] - right[1] * left[2]) % _P == 0


# --- the transparency log (RFC 6962 / RFC 9162) -------------------------------------------------------------

SPKI_ED25519 = bytes.fromhex("302a300506032b6570032100")


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        raise ValueError("leaf_index is not below tree_size")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("the proof is too long")
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn:
        raise ValueError("the proof is too short")
    return r


def check_log(record: Any, events: list[dict[str, Any]]) -> str:
    if not isinstance(record, dict) or "tree_head" not in record:
        raise Broken("proof.json is not an object with a tree_head")
    head = record["tree_head"]
    if head is None:
        return "no signed tree head covers this case yet"
    try:
        size, root, timestamp = int(head["tree_size"]), bytes.fromhex(head["root_hash"]), int(head["timestamp"])
        public, signature = bytes.fromhex(record["public_key"]), bytes.fromhex(head["signature"])
        proofs = record["proofs"]
    except (KeyError, TypeError, ValueError) as exc:
        raise Broken(f"proof.json is malformed: {exc!r}") from None
    for number, proof in enumerate(proofs, start=1):
        seq = proof.get("seq") if isinstance(proof, dict) else None
        if seq != number:
            raise Broken(f"proof.json: the inclusion proof of event {number} is missing", number)
        if seq > len(events):
            raise Broken("proof.json proves an event that events.json does not hold", seq)
        leaf = hashlib.sha256(b"\x00" + bytes.fromhex(events[seq - 1]["hash"])).digest()
        if proof.get("leaf_hash") != leaf.hex():
            raise Broken("proof.json: the leaf hash is not this event's", seq)
        try:
            got = root_from_inclusion(int(proof["leaf_index"]), size, leaf, [bytes.fromhex(h) for h in proof["path"]])
        except (KeyError, TypeError, ValueError) as exc:
            raise Broken(f"proof.json: the inclusion proof is malformed ({exc})", seq) from None
        if got != root:
            raise Broken("proof.json: the inclusion proof does not lead to the tree head's root", seq)
    if sha256_hex(SPKI_ED25519 + public) != head.get("key_id"):
        raise Broken("proof.json: the public key is not the tree head's key_id")
    signed = struct.pack(">BBQQ", 0, 1, timestamp, size) + root
    if not ed25519_verify(public, signed, signature):
        raise Broken("proof.json: the tree head's signature does not verify")
    return (f"{len(proofs)} events proven in the signed tree head of size {size}, root {head['root_hash']} "
            f"(compare it with the heads your witness keeps)")


def check_attachments(directory: Path, events: list[dict[str, Any]]) -> str:
    """Each AttachmentAdded event's file, attachments/<sha256>, must be there and hash to that value."""
    added = [e for e in events if e["type"] == "AttachmentAdded"]
    for event in added:
        digest = event["data"].get("sha256", "")
        path = directory / "attachments" / digest
        if not path.is_file():
            raise Broken(f"attachment {digest} is missing from attachments/", event["seq"])
        if sha256_hex(path.read_bytes()) != digest:
            raise Broken(f"attachment {digest} has been changed: its content no longer has that hash", event["seq"])
    return f"{len(added)} attachments, each matching the hash its event recorded"


def load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Broken(f"{path.name} is missing") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Broken(f"{path.name} is not valid JSON: {exc}") from None


def verify(directory: Path) -> list[str]:
    """The lines to print on success; raises :class:`Broken` on the first problem."""
    events = load(directory / "events.json")
    check_events(events, None)
    check_chain(load(directory / "chain.json"), events)
    lines = [f"case {events[0]['case_id']}: {len(events)} events, head {events[-1]['hash']}"]
    lines.append(check_attachments(directory, events))
    if (directory / "proof.json").exists():
        lines.append(check_log(load(directory / "proof.json"), events))
    seal_path = directory / "seal.json"
    record = load(seal_path) if seal_path.exists() else None
    if record is None:
        lines.append("no seal covers this case yet")
    elif not isinstance(record, dict):
        raise Broken("seal.json is neither null nor an object")
    else:
        lines.append(check_seal(record, events))
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in {"-h", "--help"}:
        print(__doc__.split("\n\n", 1)[0], file=sys.stderr)
        print("usage: verify_dossier.py DIR", file=sys.stderr)
        return 2
    try:
        lines = verify(Path(argv[1]))
    except Broken as exc:
        print(f"BAD {exc}")
        return 1
    print("OK " + "\n   ".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
