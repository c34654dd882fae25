"""The per-case hash chain, defined once so the store, the verifier and an auditor's script agree.

    hash = lowercase_hex(sha256(utf8(prev_hash) || canonical_json(envelope)))

``prev_hash`` is the previous event's ``hash`` as 64 lowercase hex characters (``GENESIS_HASH`` for the
first event of a case). ``envelope`` is the JSON object of :func:`envelope_for_hash`.

The canonical form is **RFC 8785, the JSON Canonicalization Scheme (JCS)**: keys sorted by their UTF-16
code units at every level, UTF-8, no insignificant whitespace, strings with JSON's minimal escapes
(``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``, other control characters as lowercase ``\\u00xx``, everything else
as itself), numbers as ECMAScript writes them (integers without a decimal point, other numbers in their
shortest round-trip form: ``0.5``, ``1e-7``, ``1`` for 1.0). Times are strings, UTC
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` for ``occurred_at``. Values JCS cannot carry are refused: NaN, infinities,
integers beyond ±(2**53 - 1) (they would not survive an IEEE double), keys that are not strings.

Why the fast path is exact: for values without keys outside the Basic Multilingual Plane and without floats
that ``repr`` lays out otherwise than ECMAScript (integral ones, magnitudes below 1e-4 or from 1e16: see
:func:`_repr_is_es`), Python's ``json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` writes
the same bytes as JCS (same escapes; code point order equals UTF-16 order inside the BMP; integers and such
floats are identical). The others go through :func:`_jcs`, written from RFC 8785 §3.2.

Chain forms: events stored before JCS was adopted were hashed with that ``json.dumps`` call, floats
included (Python's ``repr``). The two differ only for floats whose ``repr`` is not ECMAScript's (below
1e-4, integral, or 1e16 and above), which the domain never produced (policy fractions lie in (0, 1) and are
written like ``0.5``). Verification still accepts the earlier form (:func:`legacy_canonical_json`) for an
event whose two forms differ, so no stored hash ever has to change."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64
MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonical(ValueError):
    """A value RFC 8785 cannot carry (NaN, infinity, an integer beyond 2**53 - 1, a non-string key)."""


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("times in the event store carry an offset")
    utc = value.astimezone(UTC)
    if utc.year < 1000:  # strftime writes such a year unpadded, isoformat pads it: keep strftime's bytes
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same characters as the strftime above, a few times faster (this runs on every append):
    # "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" with the offset written as Z.
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


def _needs_jcs(value: Any) -> bool:
    """Check what JCS refuses, and tell whether ``value`` holds a float or key where the fast path's bytes
    would differ from JCS.

    This walk runs on every append, over payloads as large as a pinned policy, so the exact JSON types are
    tested first by ``type(...) is`` (an ``isinstance`` against ``Mapping`` is an ABC check, several times
    slower) and keys are checked for astral characters with ``str.isascii``/``max`` (C loops). A float only
    needs JCS when ``repr`` writes it otherwise than ECMAScript (:func:`_repr_is_es`)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return False
    if kind is int:
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonical(f"integer {value} is beyond 2**53 - 1: RFC 8785 cannot carry it exactly")
        return False
    if kind is float:
        if not math.isfinite(value):
            raise NotCanonical(f"{value} is not a JSON number: RFC 8785 cannot carry it")
        return not _repr_is_es(value)
    if kind is dict:
        found = False
        for key, item in value.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    raise NotCanonical(f"object key {key!r} is not a string")
                found = True  # a str subclass: leave it to the exact path
            elif not key.isascii() and max(key) > "\uffff":
                found = True
            if type(item) is not str:
                found = _needs_jcs(item) or found
        return found
    if kind is list or kind is tuple:
        found = False
        for item in value:
            if type(item) is not str:
                found = _needs_jcs(item) or found
        return found
    return _needs_jcs_general(value)


def _needs_jcs_general(value: Any) -> bool:
    """The same check for subclasses of the JSON types (an IntEnum, a StrEnum, a Mapping): always the exact
    path for floats, as before the fast path above existed."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return False
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonical(f"integer {value} is beyond 2**53 - 1: RFC 8785 cannot carry it exactly")
        return False
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotCanonical(f"{value} is not a JSON number: RFC 8785 cannot carry it")
        return True
    if isinstance(value, Mapping):
        found = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"object key {key!r} is not a string")
            found = _needs_jcs(item) or found or any(ord(c) > 0xFFFF for c in key)
        return found
    if isinstance(value, list | tuple):
        found = False
        for item in value:
            found = _needs_jcs(item) or found
        return found
    raise NotCanonical(f"{type(value).__name__} is not a JSON value")


def _repr_is_es(value: float) -> bool:
    """Whether ``repr(value)`` (what ``json.dumps`` writes) is ECMAScript's Number::toString of it.

    Both take the shortest digits that round-trip; they differ only in layout. ``repr`` switches to an
    exponent below 1e-4 and from 1e16, ECMAScript below 1e-6 and from 1e21, and ``repr`` writes integral
    values with ``.0``. So for a non-integral magnitude in [1e-4, 1e16) the two are the same characters: the
    fixed layout ``digits.digits`` or ``0.000digits`` (tests/domain/test_canonical_json.py checks this
    against the rfc8785 package over many floats)."""
    magnitude = abs(value)
    return 1e-4 <= magnitude < 1e16 and not value.is_integer()


def es_number(value: float) -> str:
    """A float as ECMAScript's Number::toString writes it (RFC 8785 §3.2.2.3), from the shortest round-trip
    digits Python's ``repr`` finds."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    n = len(digit_tuple) + exponent  # value = 0.digits × 10**n
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _jcs(value: Any) -> str:
    if isinstance(value, float):
        return es_number(value)
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: _utf16_key(kv[0]))
        return "{" + ",".join(_dumps_str(k) + ":" + _jcs(v) for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # str, int, bool, None: already JCS


def _dumps_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fast_form_is_canonical(value: Any) -> bool:
    """Whether ``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` is already
    ``value``'s RFC 8785 form (module doc); raises :class:`NotCanonical` for what JCS cannot carry."""
    return not _needs_jcs(value)


def canonical_json(value: Any) -> str:
    """``value`` in RFC 8785 form (encode the result as UTF-8 for the canonical bytes)."""
    if _needs_jcs(value):
        return _jcs(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def legacy_canonical_json(value: Any) -> str:
    """The form events were hashed with before RFC 8785 was adopted (module doc)."""
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


def chain_hash_matches(prev_hash: str, envelope: Mapping[str, Any], stored_hash: str) -> bool:
    """Whether ``stored_hash`` is the event's hash in RFC 8785 form or, for an event stored before it whose
    forms differ, in the earlier form."""
    if chain_hash(prev_hash, envelope) == stored_hash:
        return True
    legacy = legacy_canonical_json(envelope)
    return legacy != canonical_json(envelope) and (
        hashlib.sha256((prev_hash + legacy).encode("utf-8")).hexdigest() == stored_hash
    )
