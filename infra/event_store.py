"""The event store on PostgreSQL: append with optimistic concurrency and idempotency by event id, a
per-case hash chain (domain/chain.py), stream reads, a gap-free global read, chain verification.

Global order and why it never skips an event: ``position`` comes from a sequence, and sequences are handed
out at insert time, not commit time, so a reader ordering by position alone can pass over an event whose
transaction commits after a later-numbered one. We order by ``(tx_id, position)`` and read only events whose
transaction id is below the current snapshot's ``xmin``: every transaction below ``xmin`` has finished, so
no event can ever appear behind the reader's checkpoint. The price is that a long-open transaction holds the
reader back (it waits, it never skips). This costs no lock on the write path, unlike an insert lock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

from domain.chain import (
    GENESIS_HASH,
    canonical_json,
    chain_hash_matches,
    envelope_for_hash,
    fast_form_is_canonical,
    format_time,
)
from domain.events import (
    CURRENT_SCHEMA_VERSIONS,
    PAYLOAD_CLASSES,
    Actor,
    CaseReceived,
    PendingEvent,
    RecordedEvent,
    payload_data,
    payload_from,
)
from domain.policy import PinnedPolicy
from domain.upcasting import upcast


class ConcurrencyConflict(Exception):
    """The expected version was stale, or another event already holds that version. Nothing was written."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    version: int  # the stream's version after the append
    head_hash: str
    written: int  # 0 when every event was already stored (a retry)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A notification to hand to a channel, stored with the event that causes it (transactional outbox)."""

    event_id: UUID
    recipient: str
    channel: str
    kind: str


@dataclass(frozen=True, slots=True, order=True)
class GlobalPosition:
    tx_id: int = 0
    position: int = 0


@dataclass(frozen=True, slots=True)
class GlobalEvent:
    position: GlobalPosition
    event: RecordedEvent


class ChainVerification(BaseModel):
    case_id: str
    valid: bool
    events: int
    head_hash: str | None
    first_bad_seq: int | None
    problem: str | None = None


_APPEND_SQL = (
    "SELECT out_seq, out_hash, out_written FROM liandiao_append($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], "
    "$8::text[]::jsonb[], $9)"
)
# The events and their outbox rows in one statement, so one round trip and one implicit transaction
# (it was BEGIN, append, INSERT, COMMIT). The outbox rows go in only when the append wrote (not on a retry that
# found its events stored); a data-modifying CTE always runs to completion, and the function runs once.
_APPEND_WITH_OUTBOX_SQL = f"""
WITH appended AS MATERIALIZED ({_APPEND_SQL}
), told AS (
    INSERT INTO notification_outbox (event_id, case_id, recipient, channel, kind)
    SELECT o.event_id, $1, o.recipient, o.channel, o.kind
      FROM unnest($10::uuid[], $11::text[], $12::text[], $13::text[]) AS o(event_id, recipient, channel, kind)
     WHERE EXISTS (SELECT 1 FROM appended WHERE out_written)
    ON CONFLICT DO NOTHING
)
SELECT out_seq, out_hash, out_written FROM appended ORDER BY out_seq"""

# One event, outside a caller's transaction (a step that records one event): one INSERT instead of the
# plpgsql function, which costs a call, a head query and a second statement inside.
# The same guarantees by other means:
# * chain: the hash is computed here from the stored predecessor's hash (seq = expected, the primary key's
#   probe), never from anything the caller says;
# * optimistic concurrency: the predecessor must exist (or expected = 0) and seq = expected + 1 must be free,
#   which the primary key decides; a stale version raises the unique violation, a version ahead of the head
#   finds no predecessor and inserts nothing;
# * idempotency: in both cases _resolve reads the versions and tells a retry (our event ids already there)
#   from a conflict, as liandiao_append does.
# Two statements, the first event of a case (after the genesis hash, no probe) and any later one (after the
# stored predecessor): one plan each, simpler than a UNION of the two under the insert, which cost the server
# ~10 µs an append. Both take the same nine parameters ($2 is 0 in the first) and return the new hash.
_INSERT_ONE = """INSERT INTO events (case_id, seq, event_id, type, schema_version, occurred_at, actor, data,
                    prev_hash, hash)"""
_APPEND_FIRST_SQL = f"""{_INSERT_ONE}
VALUES ($1, $2 + 1, $3, $4, $5, $6, $7::text::jsonb, $8::text::jsonb, '{GENESIS_HASH}',
        encode(sha256(convert_to('{GENESIS_HASH}' || $9, 'UTF8')), 'hex'))
RETURNING hash"""
_APPEND_NEXT_SQL = f"""{_INSERT_ONE}
SELECT $1, $2 + 1, $3, $4, $5, $6, $7::text::jsonb, $8::text::jsonb, prev.hash,
       encode(sha256(convert_to(prev.hash || $9, 'UTF8')), 'hex')
  FROM events prev WHERE prev.case_id = $1 AND prev.seq = $2
RETURNING hash"""


def _with_outbox(append_one: str) -> str:
    return f"""
WITH appended AS ({append_one}
), told AS (
    INSERT INTO notification_outbox (event_id, case_id, recipient, channel, kind)
    SELECT o.event_id, $1, o.recipient, o.channel, o.kind
      FROM unnest($10::uuid[], $11::text[], $12::text[], $13::text[]) AS o(event_id, recipient, channel, kind)
     WHERE EXISTS (SELECT 1 FROM appended)
    ON CONFLICT DO NOTHING
)
SELECT hash FROM appended"""


# By (first event of the case, with outbox rows).
_APPEND_ONE_SQL = {
    (True, False): _APPEND_FIRST_SQL, (False, False): _APPEND_NEXT_SQL,
    (True, True): _with_outbox(_APPEND_FIRST_SQL), (False, True): _with_outbox(_APPEND_NEXT_SQL),
}
_COLUMNS = (
    "case_id, seq, event_id, type, schema_version, occurred_at, recorded_at, actor, data, prev_hash, hash"
)
# A stream's columns in the order _recorded takes them, without its case id (the reader knows it). A received
# case's pinned policy is read in a column of its own (see _payload): its text is the key it is interned by,
# and the rest of the data is small. Whether it is an object is _payload's to check: each use of a received
# case's data decompresses it (it is large enough to be stored compressed), ~2 µs each. The two times come as
# JSON text (see _utc). The JSON columns come as their UTF-8 bytes, which pydantic parses as they are: as
# text, asyncpg decoded them to str and pydantic encoded them back to UTF-8 (most hold Chinese), ~0.3 µs a row.
_STREAM_COLUMNS = (
    "seq, event_id, type, schema_version, to_json(occurred_at)::text AS occurred_at, "
    "to_json(recorded_at)::text AS recorded_at, convert_to(actor::text, 'UTF8') AS actor_json, "
    "convert_to(CASE WHEN type = 'CaseReceived' THEN (data - 'policy')::text ELSE data::text END, 'UTF8') "
    "AS data_json, convert_to(CASE WHEN type = 'CaseReceived' THEN (data -> 'policy')::text END, 'UTF8') "
    "AS policy_json, prev_hash, hash"
)
_READ_COLUMNS = f"case_id, {_STREAM_COLUMNS}"
_STREAM_SQL = f"SELECT {_STREAM_COLUMNS} FROM events WHERE case_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq"


# Read-side interning of immutable values that repeat across events: an event's actor (a few hundred people
# and the system write every event) and a received case's pinned policy (every case received under one policy
# in one year carries the same one, and it is most of a stream's validation: its before-validators run in
# Python). Keyed by the stored JSON text, PostgreSQL's jsonb output (one text per value: jsonb keeps its keys
# in one order); both models are frozen, so one instance can be shared by every event that holds it.
# Bounded: cleared when full, never wrong, only slower.
_INTERN_MAX = 4096
_ACTORS_READ: dict[bytes, Actor] = {}
_POLICIES_READ: dict[bytes, PinnedPolicy] = {}


def _interned(cache: dict[bytes, Any], key: bytes, make: Any) -> Any:
    found = cache.get(key)
    if found is None:
        found = make()
        if len(cache) >= _INTERN_MAX:
            cache.clear()
        cache[key] = found
    return found


# Each payload class's own validator, called directly: ``model_validate_json`` and ``model_validate`` are
# Python wrappers that pass five keyword arguments on, ~1 µs a row, as much as validating a small event.
_VALIDATE_JSON = {type_: cls.__pydantic_validator__.validate_json for type_, cls in PAYLOAD_CLASSES.items()}
_VALIDATE = {type_: cls.__pydantic_validator__.validate_python for type_, cls in PAYLOAD_CLASSES.items()}


def _received_without_policy() -> Any:
    """The validator of CaseReceived's fields with ``policy`` absent and None: the rest of a received case's
    data validated from its JSON in one pass, _received builds the model. With the policy in a dict instead,
    the data was decoded to Python first and the interned policy validated again, its after-validator (the
    working hours parsed) included: ~25 µs of a 20-event stream read, the most of any row. CaseReceived's own
    validator cannot be changed so (pydantic-core takes a model's schema to mean its prebuilt validator): this
    is its fields' schema. None, and the dict path, unless the model is validated by its fields alone (no
    model validator, custom __init__, post-init or private attributes; extra fields refused)."""
    top = CaseReceived.__pydantic_core_schema__
    model = top["schema"] if top["type"] == "definitions" else top
    if (model["type"] != "model" or model["cls"] is not CaseReceived or model["schema"]["type"] != "model-fields"
            or model.get("custom_init") or model.get("root_model") or model.get("post_init")
            or CaseReceived.__private_attributes__ or model["config"].get("extra_fields_behavior") != "forbid"):
        return None
    fields_ = dict(model["schema"]["fields"])
    fields_["policy"] = {**fields_["policy"], "schema": core_schema.with_default_schema(core_schema.none_schema(),
                                                                                         default=None)}
    schema: Any = {**model["schema"], "fields": fields_}
    return SchemaValidator({**top, "schema": schema} if top is not model else schema, model["config"]).validate_json


_VALIDATE_RECEIVED_REST = _received_without_policy()
_SET_ATTR = object.__setattr__


def _received(rest_json: bytes, policy: PinnedPolicy) -> CaseReceived:
    """A CaseReceived from the rest of its data and its policy, as its validator builds it: the fields (the
    policy's key in its place, the default's), the fields given, no extra, no private attributes."""
    values, _, given = _VALIDATE_RECEIVED_REST(rest_json)
    values["policy"] = policy
    given.add("policy")
    received = CaseReceived.__new__(CaseReceived)
    _SET_ATTR(received, "__dict__", values)
    _SET_ATTR(received, "__pydantic_fields_set__", given)
    _SET_ATTR(received, "__pydantic_extra__", None)
    _SET_ATTR(received, "__pydantic_private__", None)
    return received


def _payload(type_: str, version: int, data_json: bytes, policy_json: bytes | None) -> Any:
    """The payload of a stored row: validated by pydantic's own JSON parser in one pass (several times faster
    than decoding to dicts first), old schema versions upcast (domain/upcasting.py). A received case's pinned
    policy comes apart (``policy_json``, by _READ_COLUMNS), is interned by its text (above) and put back as
    the validated instance, which pydantic takes as it is."""
    current = CURRENT_SCHEMA_VERSIONS.get(type_)
    if policy_json is None and current is not None and version == current:
        return _VALIDATE_JSON[type_](data_json)
    if policy_json is not None and current is not None and version == current and policy_json.startswith(b"{"):
        policy = _interned(_POLICIES_READ, policy_json, lambda: PinnedPolicy.model_validate_json(policy_json))
        if type_ == "CaseReceived" and _VALIDATE_RECEIVED_REST is not None:
            return _received(data_json, policy)
        data = json.loads(data_json)
        data["policy"] = policy
        return _VALIDATE[type_](data)
    data = json.loads(data_json)
    if policy_json is not None:
        # An older version (the upcasters see the data as stored) or a policy that is not an object.
        data["policy"] = json.loads(policy_json)
    return payload_from(type_, upcast(type_, version, data, current) if current else data)


def _record(row: asyncpg.Record) -> RecordedEvent:
    """A stored row read with _READ_COLUMNS as a typed event (_recorded)."""
    return _recorded(row["case_id"], row["seq"], row["event_id"], row["type"], row["schema_version"],
                     row["occurred_at"], row["recorded_at"], row["actor_json"], row["data_json"], row["policy_json"],
                     row["prev_hash"], row["hash"])


# RecordedEvent is a frozen dataclass: its __init__ sets each field through object.__setattr__, a Python call
# per field (~1.3 µs an event, a fifth of reading a stream). _recorded sets the slots by their descriptors
# instead (~0.45 µs), the same values in the same fields; RecordedEvent has no __post_init__ to skip.
# Checked at import, so a field added to RecordedEvent cannot be left unset here.
_RECORD_FIELDS = ("case_id", "seq", "event_id", "occurred_at", "actor", "payload", "schema_version", "prev_hash",
                  "hash", "recorded_at")
if tuple(f.name for f in fields(RecordedEvent)) != _RECORD_FIELDS or hasattr(RecordedEvent, "__post_init__"):
    raise RuntimeError("RecordedEvent changed: _recorded must set every field its __init__ sets")
_NEW_RECORD = object.__new__
(_SET_CASE_ID, _SET_SEQ, _SET_EVENT_ID, _SET_OCCURRED_AT, _SET_ACTOR, _SET_PAYLOAD, _SET_SCHEMA_VERSION,
 _SET_PREV_HASH, _SET_HASH, _SET_RECORDED_AT) = (getattr(RecordedEvent, name).__set__ for name in _RECORD_FIELDS)


_FROM_ISO = datetime.fromisoformat


def _utc(json_text: str) -> datetime:
    """A timestamptz read as ``to_json(...)::text`` as asyncpg reads the column: aware, in UTC. asyncpg's binary
    decoding costs ~0.5 µs a value, two a row; the server writes the JSON text (ISO 8601 whatever the session's
    DateStyle, its TimeZone's offset) for ~0.1 µs and fromisoformat reads it in as much."""
    try:
        at = _FROM_ISO(json_text[1:-1])
    except ValueError:
        # No time the store writes (a Python datetime, or now()): what asyncpg gives for PostgreSQL's infinities.
        if json_text in _INFINITIES:
            return _INFINITIES[json_text]
        raise
    return at if at.tzinfo is UTC else at.astimezone(UTC)


_INFINITIES = {'"infinity"': datetime.max, '"-infinity"': datetime.min}


def _recorded(case_id: str, seq: int, event_id: UUID, type_: str, version: int, occurred_at: str,
              recorded_at: str, actor_json: bytes, data_json: bytes, policy_json: bytes | None, prev_hash: str,
              hash_: str) -> RecordedEvent:
    """A stored row (its columns in _STREAM_COLUMNS' order) as a typed event: its payload by _payload, its
    actor interned."""
    actor = _ACTORS_READ.get(actor_json)
    if actor is None:
        actor = _interned(_ACTORS_READ, actor_json, lambda: Actor.model_validate_json(actor_json))
    if policy_json is None and CURRENT_SCHEMA_VERSIONS.get(type_) == version:
        payload = _VALIDATE_JSON[type_](data_json)  # _payload's first case, most rows: without its call
    else:
        payload = _payload(type_, version, data_json, policy_json)
    record = _NEW_RECORD(RecordedEvent)
    _SET_CASE_ID(record, case_id)
    _SET_SEQ(record, seq)
    _SET_EVENT_ID(record, event_id)
    _SET_OCCURRED_AT(record, _utc(occurred_at))
    _SET_ACTOR(record, actor)
    _SET_PAYLOAD(record, payload)
    _SET_SCHEMA_VERSION(record, version)
    _SET_PREV_HASH(record, prev_hash)
    _SET_HASH(record, hash_)
    _SET_RECORDED_AT(record, _utc(recorded_at))
    return record


_ACTOR_TEXTS: dict[tuple[Any, ...], tuple[str, bool]] = {}
_ACTOR_TEXTS_MAX = 4096  # actors repeat (a few hundred people and the system); bounded all the same


def _actor_text(actor: Actor) -> tuple[str, bool]:
    """The actor's canonical JSON and whether it is exact by the fast path (Actor is frozen: one text each).

    Keyed by its class and field values (its ``__dict__``: extra fields are forbidden), which hash and compare
    in C, where the model's own ``__hash__`` and ``__eq__`` are Python (an actor arrives as a new instance
    with every event). Its fields are strings and a role: equal values, equal text."""
    key = (type(actor), *actor.__dict__.values())
    found = _ACTOR_TEXTS.get(key)
    if found is None:
        data = actor.model_dump(mode="json")
        fast = fast_form_is_canonical(data)
        found = (_canonical_fast(data) if fast else canonical_json(data), fast)
        if len(_ACTOR_TEXTS) >= _ACTOR_TEXTS_MAX:
            _ACTOR_TEXTS.clear()
        _ACTOR_TEXTS[key] = found
    return found


_ENCODE_STR = json.encoder.encode_basestring  # what json.dumps(text, ensure_ascii=False) calls, without the rest


# json.dumps with these arguments, without building an encoder on every call (one to three an append).
_FAST_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# And its C encoder itself, made once: ``encode`` makes a new one on every call, with a dict for the check for
# cycles, which is most of its cost for a small payload (1.0 -> 0.4 µs). The values are JSON-mode dumps (trees,
# no cycles), so the check is left out; everything else is the encoder's own (its arguments, in its order).
_C_ENCODE = json.encoder.c_make_encoder and json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, _FAST_ENCODER.default, _ENCODE_STR, None, ":", ",", True, False, True)


def _canonical_fast(value: Any) -> str:
    if _C_ENCODE is None:  # a Python without the C accelerator
        return _FAST_ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


# A pinned policy's canonical text, by the policy: every case received under one policy carries an equal one,
# and it is most of a received case's serialising (its dump runs Python serialisers, then the check for the
# fast path walks it, then it is written). Events come from Temporal's payloads as new instances, so the
# lookup is by equality (pydantic's, field by field), not identity. Equal policies write the same canonical
# text: every field of a policy is strictly typed (an int field holds ints, a float field floats), so equal
# values are equal JSON. A few entries, most recent first: the policies in force at once are few.
_POLICY_TEXTS: list[tuple[PinnedPolicy, str, bool]] = []
_POLICY_TEXTS_MAX = 4


def _policy_text(policy: PinnedPolicy) -> tuple[str, bool]:
    """The policy's canonical JSON and whether the fast path wrote it (else the exact one did)."""
    for i, (known, text, fast) in enumerate(_POLICY_TEXTS):
        if known is policy or known == policy:
            if i:
                _POLICY_TEXTS.insert(0, _POLICY_TEXTS.pop(i))
            return text, fast
    data = policy.model_dump(mode="json")
    fast = fast_form_is_canonical(data)
    entry = (policy, _canonical_fast(data) if fast else canonical_json(data), fast)
    _POLICY_TEXTS.insert(0, entry)
    del _POLICY_TEXTS[_POLICY_TEXTS_MAX:]
    return entry[1], entry[2]


def _data_text(payload: Any) -> str | None:
    """The payload's data (payload_data) as canonical JSON by the fast path, or None when it needs the exact
    one. A pinned policy's text comes from _policy_text and is put in its place among the sorted keys."""
    # From the fields themselves: a getattr of a field a payload lacks runs pydantic's __getattr__ and raises.
    policy = payload.__dict__.get("policy")
    if type(policy) is not PinnedPolicy:
        data = payload_data(payload)
        return _canonical_fast(data) if fast_form_is_canonical(data) else None
    policy_json, fast = _policy_text(policy)
    rest = payload.model_dump(mode="json", exclude=_TYPE_AND_POLICY)
    if not fast or not fast_form_is_canonical(rest):
        return None
    # Keys sort by code point on the fast path (no astral keys there), "policy" among them: the members
    # before it, the policy, the members after it.
    before = _canonical_fast({k: v for k, v in rest.items() if k < "policy"})[1:-1]
    after = _canonical_fast({k: v for k, v in rest.items() if k > "policy"})[1:-1]
    return "".join(("{", before, "," if before else "", '"policy":', policy_json, "," if after else "", after, "}"))


_TYPE_AND_POLICY = frozenset(("type", "policy"))
_TYPE_TEXTS: dict[str, str] = {}  # an event type's JSON string (a few dozen types)


def event_texts(case_id: str, seq: int, event: PendingEvent) -> tuple[str, str, str]:
    """``(actor_json, data_json, canonical)`` of ``event`` stored at ``seq``: the two JSON columns' text and
    the canonical JSON of its envelope (domain/chain.py), which the store hashes.

    The envelope's canonical form is built from the canonical texts of its actor and data rather than by
    serialising the envelope whole, so each is written once and the same text is sent as the jsonb column:
    the envelope's keys are fixed ASCII, sorted here by hand (actor, case_id, data, event_id, occurred_at,
    schema_version, seq, type), and a concatenation of canonical members in key order is canonical. When
    the data or the actor needs the exact JCS path (a float ``repr`` writes otherwise, an astral key), the
    envelope is serialised whole, as before, and the columns get the codec's plain JSON.
    tests/infra/test_event_store.py holds the result equal to ``canonical_json(envelope_for_hash(...))``."""
    payload = event.payload
    actor_json, actor_fast = _actor_text(event.actor)
    data_json = _data_text(payload) if actor_fast else None
    if data_json is not None:
        type_ = payload.type
        type_json = _TYPE_TEXTS.get(type_)
        if type_json is None:
            type_json = _TYPE_TEXTS[type_] = _ENCODE_STR(type_)
        canonical = "".join((
            '{"actor":', actor_json, ',"case_id":', _ENCODE_STR(case_id), ',"data":', data_json,
            ',"event_id":"', str(event.event_id), '","occurred_at":"', format_time(event.occurred_at),
            '","schema_version":', str(int(payload.schema_version)), ',"seq":', str(int(seq)),
            ',"type":', type_json, "}",
        ))
        return actor_json, data_json, canonical
    data = payload_data(event.payload)
    actor = event.actor.model_dump(mode="json")
    canonical = canonical_json(envelope_for_hash(
        case_id=case_id, seq=seq, event_id=str(event.event_id), type=event.type,
        schema_version=event.schema_version, occurred_at=event.occurred_at, actor=actor, data=data,
    ))
    return _plain_json(actor), _plain_json(data), canonical


def _plain_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _append_args(case_id: str, expected_version: int, events: Sequence[PendingEvent]) -> list[Any]:
    texts = [event_texts(case_id, expected_version + i + 1, e) for i, e in enumerate(events)]
    return [
        case_id,
        expected_version,
        [e.event_id for e in events],
        [e.type for e in events],
        [e.schema_version for e in events],
        [e.occurred_at for e in events],
        [t[0] for t in texts],
        [t[1] for t in texts],
        [t[2] for t in texts],
    ]


# Errors after which the connection is as good as before: the server refused the statement, or the store
# told a conflict from a retry (each append is one statement outside a transaction).
_KEEPS_CONNECTION = (asyncpg.PostgresError, ConcurrencyConflict)


class _Held:
    """The connection an append writes on, or a stream is read on (``async with``): the store's held one when
    it is free, else one of the pool's, as every append and read used to take.

    The store keeps the pool connection it last wrote on while appends follow one another (a step or a
    loader appending event after event), and gives it back at the first turn of the event loop that finds
    it idle: each append on it leaves a timer due at once, which the next append to take it cancels. (A
    ``call_soon`` did the same but cost every back-to-back append a turn of the loop of its own, an
    ``epoll`` and a callback that found the connection busy; a cancelled timer at the head of the loop's
    queue is dropped before it picks its timeout, so it costs none.) So back-to-back appends skip the pool's
    acquire and release (35–90 µs each: the release runs as a shielded task and costs extra loop turns), an
    append on its own returns without waiting for the release (it runs in the background), nothing holds a
    connection while idle, and the pool's ``close()``, which waits for every acquired connection, finds it
    back within one loop turn. A second append while the held one is busy (concurrent writers) takes a pool
    connection as before; once the pool is closing, every append goes to the pool, which refuses it as it did.

    A connection that may be in a bad state (lost, closed by the server, a query cancelled in flight) goes
    back to the pool at once, whose release terminates or repairs it (_KEEPS_CONNECTION)."""

    __slots__ = ("_pooled", "_store")

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._pooled: Any = None

    async def __aenter__(self) -> asyncpg.Connection:
        store = self._store
        if store._held_busy or store.pool.is_closing():
            self._pooled = store.pool.acquire()
            conn: asyncpg.Connection = await self._pooled.__aenter__()
            return conn
        store._held_busy = True
        if store._release_due is not None:
            store._release_due.cancel()
            store._release_due = None
        held = store._held
        if held is not None and held.is_closed():
            store._give_back()
            held = None
        if held is None:
            try:
                held = store._held = await store.pool.acquire()
            except BaseException:
                store._held_busy = False
                raise
        return held

    async def __aexit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if self._pooled is not None:
            await self._pooled.__aexit__(kind, exc, tb)
            return
        store = self._store
        store._held_busy = False
        if (exc is not None and not isinstance(exc, _KEEPS_CONNECTION)) or store._held.is_closed():
            store._give_back()
        elif store._release_due is None:
            loop = asyncio.get_running_loop()
            store._release_due = loop.call_at(loop.time(), store._release_if_idle)


class EventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        # The pool connection held across back-to-back appends (_Held): whenever it is held and not busy,
        # a _release_if_idle is due on the loop (_release_due).
        self._held: Any = None
        self._held_busy = False
        self._release_due: asyncio.TimerHandle | None = None
        self._releases: set[asyncio.Task[None]] = set()

    def _release_if_idle(self) -> None:
        self._release_due = None
        if not self._held_busy:
            self._give_back()

    def _give_back(self) -> None:
        """Release the held connection to the pool, in the background (asyncpg's release is a coroutine)."""
        held, self._held = self._held, None
        if held is None:
            return
        task = asyncio.get_running_loop().create_task(self.pool.release(held))
        self._releases.add(task)
        task.add_done_callback(self._released)

    def _released(self, task: asyncio.Task[None]) -> None:
        self._releases.discard(task)
        if not task.cancelled():
            task.exception()  # a failed reset: the pool has terminated that connection and will open another

    async def append(
        self,
        case_id: str,
        expected_version: int,
        events: Sequence[PendingEvent],
        *,
        conn: asyncpg.Connection | None = None,
        outbox: Sequence[OutboxEntry] = (),
    ) -> AppendResult:
        """Append ``events`` after ``expected_version`` in one transaction, with the ``outbox`` notifications
        they cause (stored only if the events were written). Appending events already stored at those versions
        (a retried activity) succeeds and writes nothing. ``conn`` lets a caller append inside its own
        transaction."""
        if not events:
            raise ValueError("append needs at least one event")
        outbox_args = [[o.event_id for o in outbox], [o.recipient for o in outbox], [o.channel for o in outbox],
                       [o.kind for o in outbox]] if outbox else []
        if conn is None and len(events) == 1:
            return await self._append_one(case_id, expected_version, events[0], outbox_args)
        args = _append_args(case_id, expected_version, events)
        sql = _APPEND_SQL
        if outbox:
            sql = _APPEND_WITH_OUTBOX_SQL
            args += outbox_args
        try:
            rows = await self._call_append(sql, args, conn)
        except asyncpg.UniqueViolationError as exc:
            if conn is not None:
                raise ConcurrencyConflict(str(exc)) from exc
            # A concurrent writer took the version, or a concurrent retry stored these very events:
            # asking again, now that the other has committed, tells the two apart.
            try:
                rows = await self._call_append(sql, args, None)
            except (asyncpg.PostgresError, ConcurrencyConflict) as again:
                raise ConcurrencyConflict(str(again)) from exc
        last = rows[-1]
        return AppendResult(
            version=last["out_seq"], head_hash=last["out_hash"], written=sum(r["out_written"] for r in rows)
        )

    async def _append_one(self, case_id: str, expected_version: int, event: PendingEvent,
                          outbox_args: list[Any]) -> AppendResult:
        """One event in one statement, its own transaction (see _APPEND_ONE_SQL)."""
        seq = expected_version + 1
        actor_json, data_json, canonical = event_texts(case_id, seq, event)
        payload = event.payload
        sql = _APPEND_ONE_SQL[expected_version == 0, bool(outbox_args)]
        async with _Held(self) as conn:
            try:
                head = await conn.fetchval(sql, case_id, expected_version, event.event_id, payload.type,
                                           payload.schema_version, event.occurred_at, actor_json, data_json,
                                           canonical, *outbox_args)
            except asyncpg.UniqueViolationError:
                head = None  # seq is taken: by this very event (a retry) or by another (a conflict)
            if head is not None:
                return AppendResult(version=seq, head_hash=head, written=1)
            return await _resolve(conn, case_id, expected_version, [event.event_id])

    async def _call_append(self, sql: str, args: list[Any], conn: asyncpg.Connection | None) -> list[asyncpg.Record]:
        try:
            if conn is not None:
                return list(await conn.fetch(sql, *args))
            async with _Held(self) as own:
                return list(await own.fetch(sql, *args))
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == "LD409":
                raise ConcurrencyConflict(str(exc)) from exc
            raise

    async def read_stream(self, case_id: str, from_seq: int = 1, upto: int | None = None) -> list[RecordedEvent]:
        # On the connection appends hold (_Held), not one of the pool's: a replay, a projection or a step
        # reads stream after stream (and appends between), and the pool's acquire and release cost as much as
        # building the events of a short stream. A concurrent read takes a pool connection as before.
        async with _Held(self) as conn:
            rows = await conn.fetch(_STREAM_SQL, case_id, from_seq, upto if upto is not None else 2**31 - 1)
        return [_recorded(case_id, *row) for row in rows]

    async def version(self, case_id: str) -> int:
        async with self.pool.acquire() as conn:
            value = await conn.fetchval("SELECT max(seq) FROM events WHERE case_id = $1", case_id)
        return int(value or 0)

    async def read_all(self, after: GlobalPosition = GlobalPosition(), limit: int = 1000) -> list[GlobalEvent]:
        """Events in global order after ``after``, never past an unfinished transaction (module doc)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"""SELECT tx_id::text::bigint AS tx, position, {_READ_COLUMNS} FROM events
                    WHERE (tx_id, position) > ($1::text::xid8, $2)
                      AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY tx_id, position LIMIT $3""",
                str(after.tx_id), after.position, limit,
            )
        return [GlobalEvent(GlobalPosition(r["tx"], r["position"]), _record(r)) for r in rows]

    async def case_ids(self) -> list[str]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT DISTINCT case_id FROM events ORDER BY case_id")
        return [r["case_id"] for r in rows]

    async def verify(self, case_id: str) -> ChainVerification:
        """Walk the chain from the raw columns (not through the models, so nothing is normalised away)
        and report the first sequence number whose link or hash does not hold."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE case_id = $1 ORDER BY seq", case_id
            )
        return verify_rows(case_id, rows)

    async def seal_archived(self, case_id: str) -> tuple[int, str]:
        """Record the archived case's final head, once: the first seal of a case stands."""
        async with self.pool.acquire() as conn:
            head = await conn.fetchrow(
                "SELECT seq, hash FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1", case_id)
            await conn.execute(
                """INSERT INTO case_archive_seals (case_id, version, head_hash) VALUES ($1, $2, $3)
                   ON CONFLICT (case_id) DO NOTHING""", case_id, head["seq"], head["hash"])
        return int(head["seq"]), str(head["hash"])


async def _resolve(conn: asyncpg.Connection, case_id: str, expected_version: int,
                   event_ids: Sequence[UUID]) -> AppendResult:
    """After an append that wrote nothing: a retry when these very events already hold the versions after
    ``expected_version`` (nothing written, their head returned), else a conflict. Read after the statement,
    so a concurrent writer that took the version has committed (the unique violation waits for it)."""
    rows = await conn.fetch(
        """SELECT seq, hash, event_id FROM events WHERE case_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq""",
        case_id, expected_version, expected_version + len(event_ids))
    if [r["event_id"] for r in rows] == list(event_ids):
        return AppendResult(version=rows[-1]["seq"], head_hash=rows[-1]["hash"], written=0)
    head = await conn.fetchval("SELECT max(seq) FROM events WHERE case_id = $1", case_id)
    raise ConcurrencyConflict(f"expected version {expected_version} of case {case_id}, found {head or 0}")


def verify_rows(case_id: str, rows: Sequence[Any]) -> ChainVerification:
    prev = GENESIS_HASH
    for expected_seq, row in enumerate(rows, start=1):
        problem = None
        if row["seq"] != expected_seq:
            problem = f"sequence {expected_seq} is missing or out of place"
        elif row["prev_hash"] != prev:
            problem = "prev_hash does not match the previous event's hash"
        else:
            envelope = envelope_for_hash(
                case_id=row["case_id"], seq=row["seq"], event_id=str(row["event_id"]), type=row["type"],
                schema_version=row["schema_version"], occurred_at=row["occurred_at"], actor=row["actor"],
                data=row["data"],
            )
            if not chain_hash_matches(prev, envelope, row["hash"]):
                problem = "hash does not match the event's content"
        if problem:
            return ChainVerification(
                case_id=case_id, valid=False, events=len(rows), head_hash=rows[-1]["hash"],
                first_bad_seq=expected_seq, problem=problem,
            )
        prev = row["hash"]
    return ChainVerification(
        case_id=case_id, valid=True, events=len(rows), head_hash=rows[-1]["hash"] if rows else None,
        first_bad_seq=None,
    )
