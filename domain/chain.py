"""The per-case hash chain, defined once so the store, the verifier and an auditor's script agree.

    hash = lowercase_hex(sha256(utf8(prev_hash) || utf8(canonical_json(envelope))))

``prev_hash`` is the previous event's ``hash`` as 64 lowercase hex characters (``GENESIS_HASH`` for the
first event of a case). ``envelope`` is the JSON object of :func:`envelope_for_hash`. The canonical form:
keys sorted by code point at every level, UTF-8, no insignificant whitespace (``,`` and ``:`` separators),
non-ASCII characters written as themselves (not ``\\u`` escapes), times as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
(always six fractional digits), integers without a decimal point or exponent, other numbers in their
shortest round-trip decimal form (Python's ``repr``; payloads avoid floats except policy fractions),
``true``/``false``/``null`` as in JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("times in the event store carry an offset")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def envelope_for_hash(
    *,
    case_id: str,
    seq: int,
    event_id: str,
    type: str,
    schema_version: int,
    occurred_at: datetime,
    actor: Mapping[str, Any],
    data: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": seq,
        "event_id": event_id,
        "type": type,
        "schema_version": schema_version,
        "occurred_at": format_time(occurred_at),
        "actor": dict(actor),
        "data": dict(data),
    }


def chain_hash(prev_hash: str, envelope: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(envelope)).encode("utf-8")).hexdigest()
