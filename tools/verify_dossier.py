#!/usr/bin/env python3
"""Verify an exported LianDiao case dossier offline: ``python3 verify_dossier.py DIR``.

Standard library only, on purpose: an auditor runs it without the system. It repeats the rules of
``domain/chain.py`` and ``infra/audit/seals.py``:

- each event's hash = hex(sha256(utf8(prev_hash) + utf8(canonical_json(envelope)))), where envelope is the
  object {case_id, seq, event_id, type, schema_version, occurred_at, actor, data} and canonical JSON has
  keys sorted by code point at every level, UTF-8, separators "," and ":", non-ASCII characters as
  themselves (ensure_ascii off); times are already strings in events.json (UTC, six fractional digits);
- the first event's prev_hash is 64 zeros, each later one is the previous event's hash, seq runs 1, 2, ...;
- chain.json's head_hash is the last event's hash;
- seal.json (when present and not null): leaf = hex(sha256(utf8(case_id:version:head_hash))) for the
  sealed version, whose hash must be the event's at that seq; each proof step (side, sibling) gives
  hex(sha256(bytes(sibling) + bytes(node))) for "left", hex(sha256(bytes(node) + bytes(sibling))) for
  "right", ending at merkle_root; seal_hash = hex(sha256(utf8(canonical_json({sealed_at, cases, events,
  merkle_root, prev_seal_hash})))).

Prints OK and exits 0, or prints what is wrong (the first bad seq where there is one) and exits 1."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

GENESIS_HASH = "0" * 64
ENVELOPE_KEYS = ("case_id", "seq", "event_id", "type", "schema_version", "occurred_at", "actor", "data")


class Broken(Exception):
    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(f"seq {seq}: {message}" if seq is not None else message)
        self.seq = seq


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    envelope = {key: event[key] for key in ENVELOPE_KEYS}
    return sha256_hex((prev_hash + canonical_json(envelope)).encode("utf-8"))


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
        if event_hash(prev, event) != event["hash"]:
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
