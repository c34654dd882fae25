"""The event store against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from domain.events import Actor, ClockPaused, PendingEvent
from domain.vocabulary import Role
from infra.event_store import ConcurrencyConflict, EventStore, GlobalPosition, OutboxEntry

ACTOR = Actor(role=Role.mediator, id="m-1", department="zongzhi")


def new_case() -> str:
    return f"T-{uuid.uuid4().hex[:12]}"


def event(reason: str = "等待鉴定") -> PendingEvent:
    return PendingEvent(
        event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=ACTOR, payload=ClockPaused(reason=reason)
    )


@pytest.fixture
def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool)


async def test_two_concurrent_writers_exactly_one_wins(store: EventStore) -> None:
    case = new_case()
    await store.append(case, 0, [event()])
    results = await asyncio.gather(
        store.append(case, 1, [event("甲")]), store.append(case, 1, [event("乙")]), return_exceptions=True
    )
    assert sum(isinstance(r, ConcurrencyConflict) for r in results) == 1
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert [e.seq for e in await store.read_stream(case)] == [1, 2]


async def test_stale_expected_version_is_a_conflict_and_writes_nothing(store: EventStore) -> None:
    case = new_case()
    await store.append(case, 0, [event(), event()])
    with pytest.raises(ConcurrencyConflict):
        await store.append(case, 1, [event()])
    with pytest.raises(ConcurrencyConflict):
        await store.append(case, 5, [event()])
    assert await store.version(case) == 2


async def test_retried_append_writes_nothing_twice(store: EventStore) -> None:
    case = new_case()
    batch = [event("一"), event("二")]
    first = await store.append(case, 0, batch)
    again = await store.append(case, 0, batch)
    assert (first.written, again.written) == (2, 0)
    assert again.version == first.version == 2
    assert again.head_hash == first.head_hash
    assert len(await store.read_stream(case)) == 2


async def test_concurrent_retries_of_the_same_append_store_it_once(store: EventStore) -> None:
    case = new_case()
    batch = [event()]
    results = await asyncio.gather(*(store.append(case, 0, batch) for _ in range(4)))
    assert sum(r.written for r in results) == 1
    assert await store.version(case) == 1


async def test_different_event_at_an_occupied_version_is_a_conflict(store: EventStore) -> None:
    case = new_case()
    stored = event()
    await store.append(case, 0, [stored])
    with pytest.raises(ConcurrencyConflict):
        await store.append(case, 0, [stored, event()])  # first matches, second does not exist
    with pytest.raises(ConcurrencyConflict):
        await store.append(case, 0, [event()])


async def test_a_batch_is_one_transaction(store: EventStore, pool: asyncpg.Pool) -> None:
    case = new_case()
    # Make the database refuse the third event of the batch, after the first two were inserted.
    async with pool.acquire() as conn:
        await conn.execute(
            """CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$;
               CREATE TRIGGER test_refuse BEFORE INSERT ON events FOR EACH ROW
               WHEN (NEW.data->>'reason' = 'refuse me') EXECUTE FUNCTION test_refuse();"""
        )
    try:
        with pytest.raises(asyncpg.RaiseError, match="refused by test"):
            await store.append(case, 0, [event(), event(), event("refuse me")])
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DROP TRIGGER test_refuse ON events; DROP FUNCTION test_refuse();")
    assert await store.version(case) == 0


async def test_chain_links_each_event_to_the_previous(store: EventStore) -> None:
    case = new_case()
    await store.append(case, 0, [event() for _ in range(3)])
    await store.append(case, 3, [event()])
    events = await store.read_stream(case)
    assert events[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    result = await store.verify(case)
    assert result.valid and result.events == 4 and result.head_hash == events[-1].hash


async def test_the_store_refuses_update_delete_and_truncate(store: EventStore, pool: asyncpg.Pool) -> None:
    case = new_case()
    await store.append(case, 0, [event()])
    async with pool.acquire() as conn:
        for sql in (
            "UPDATE events SET data = '{}' WHERE case_id = $1",
            "DELETE FROM events WHERE case_id = $1",
        ):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(sql, case)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("TRUNCATE events")
    assert (await store.verify(case)).valid


async def _tamper(pool: asyncpg.Pool, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Someone with superuser rights bypasses the triggers: verification must still notice."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for sql, args in statements:
            await conn.execute(sql, *args)


async def _five_events(store: EventStore) -> str:
    case = new_case()
    await store.append(case, 0, [event(f"理由{i}") for i in range(5)])
    return case


async def test_verify_catches_a_modified_event(store: EventStore, pool: asyncpg.Pool) -> None:
    case = await _five_events(store)
    await _tamper(pool, ("UPDATE events SET data = '{\"reason\": \"改过\"}' WHERE case_id=$1 AND seq=3", (case,)))
    result = await store.verify(case)
    assert (result.valid, result.first_bad_seq) == (False, 3)


async def test_verify_catches_a_modified_time_or_actor(store: EventStore, pool: asyncpg.Pool) -> None:
    case = await _five_events(store)
    await _tamper(
        pool, ("UPDATE events SET occurred_at = occurred_at - interval '1 day' WHERE case_id=$1 AND seq=4", (case,))
    )
    assert (await store.verify(case)).first_bad_seq == 4
    case = await _five_events(store)
    await _tamper(pool, ("UPDATE events SET actor = '{\"role\": \"mediator\", \"id\": \"x\"}' "
                         "WHERE case_id=$1 AND seq=2", (case,)))
    assert (await store.verify(case)).first_bad_seq == 2


async def test_verify_catches_a_deleted_event(store: EventStore, pool: asyncpg.Pool) -> None:
    case = await _five_events(store)
    await _tamper(pool, ("DELETE FROM events WHERE case_id=$1 AND seq=2", (case,)))
    assert (await store.verify(case)).first_bad_seq == 2


async def test_verify_catches_an_inserted_event(store: EventStore, pool: asyncpg.Pool) -> None:
    case = await _five_events(store)
    # Shift the tail up by one and slip a copy of event 2 in at seq 3, re-linking prev_hash to look plausible.
    await _tamper(
        pool,
        ("UPDATE events SET seq = seq + 100 WHERE case_id=$1 AND seq >= 3", (case,)),
        ("UPDATE events SET seq = seq - 99 WHERE case_id=$1 AND seq >= 103", (case,)),
        ("INSERT INTO events (case_id, seq, event_id, type, schema_version, occurred_at, actor, data, prev_hash,"
         " hash) SELECT case_id, 3, gen_random_uuid(), type, schema_version, occurred_at, actor, data, hash,"
         " hash FROM events WHERE case_id=$1 AND seq=2", (case,)),
    )
    assert (await store.verify(case)).first_bad_seq == 3


async def test_verify_catches_reordered_events(store: EventStore, pool: asyncpg.Pool) -> None:
    case = await _five_events(store)
    await _tamper(
        pool,
        ("UPDATE events SET seq = 100 WHERE case_id=$1 AND seq = 2", (case,)),
        ("UPDATE events SET seq = 2 WHERE case_id=$1 AND seq = 4", (case,)),
        ("UPDATE events SET seq = 4 WHERE case_id=$1 AND seq = 100", (case,)),
    )
    assert (await store.verify(case)).first_bad_seq == 2


async def test_global_read_never_skips_an_event_committed_out_of_order(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    # Catch up to the current end first, so only this test's events follow the checkpoint.
    checkpoint = GlobalPosition()
    while batch := await store.read_all(checkpoint):
        checkpoint = batch[-1].position

    early, late = new_case(), new_case()
    seen: list[str] = []
    async with pool.acquire() as slow, pool.acquire() as fast:
        slow_tx = slow.transaction()
        await slow_tx.start()
        await store.append(early, 0, [event("先开始")], conn=slow)  # takes the lower position, commits last
        async with fast.transaction():
            await store.append(late, 0, [event("后开始")], conn=fast)

        # The later transaction has committed, the earlier one has not: the reader must wait, not skip.
        for item in await store.read_all(checkpoint):
            seen.append(item.event.case_id)
            checkpoint = item.position
        assert late not in seen and early not in seen
        await slow_tx.commit()

    for item in await store.read_all(checkpoint):
        seen.append(item.event.case_id)
    assert seen == [early, late]


async def outbox_rows(pool: asyncpg.Pool, case: str) -> list[tuple[str, str, str]]:
    rows = await pool.fetch("SELECT recipient, channel, kind FROM notification_outbox WHERE case_id = $1 ORDER BY id",
                            case)
    return [(r["recipient"], r["channel"], r["kind"]) for r in rows]


async def test_outbox_rows_are_stored_with_their_events_once(store: EventStore, pool: asyncpg.Pool) -> None:
    case = new_case()
    batch = [event("一"), event("二")]
    told = [OutboxEntry(batch[1].event_id, "liaisons:dept-a", "inbox", "warning"),
            OutboxEntry(batch[1].event_id, "supervisors:dept-z", "inbox", "warning")]
    first = await store.append(case, 0, batch, outbox=told)
    again = await store.append(case, 0, batch, outbox=told)  # a retried activity

    assert (first.written, again.written) == (2, 0)
    assert (again.version, again.head_hash) == (first.version, first.head_hash)
    assert await outbox_rows(pool, case) == [("liaisons:dept-a", "inbox", "warning"),
                                             ("supervisors:dept-z", "inbox", "warning")]


async def test_a_refused_append_stores_no_outbox_row(store: EventStore, pool: asyncpg.Pool) -> None:
    case = new_case()
    await store.append(case, 0, [event()])
    stale = event("迟到")
    with pytest.raises(ConcurrencyConflict):
        await store.append(case, 0, [stale], outbox=[OutboxEntry(stale.event_id, "liaisons:dept-a", "inbox", "x")])
    assert await outbox_rows(pool, case) == []


async def test_concurrent_retries_with_an_outbox_write_once(store: EventStore, pool: asyncpg.Pool) -> None:
    case = new_case()
    batch = [event()]
    told = [OutboxEntry(batch[0].event_id, "liaisons:dept-a", "inbox", "assignment")]
    results = await asyncio.gather(*(store.append(case, 0, batch, outbox=told) for _ in range(4)))
    assert sum(r.written for r in results) == 1
    assert await outbox_rows(pool, case) == [("liaisons:dept-a", "inbox", "assignment")]


# --------------------------------------------------------------------------------------------- one-event path
# A single event outside a caller's transaction is one INSERT rather than the plpgsql function (infra/event_store
# _APPEND_ONE_SQL): the same chain, concurrency and retry guarantees, by the primary key and a read afterwards.


def test_the_envelope_text_is_the_canonical_json_of_the_envelope() -> None:
    """The canonical text built from the actor's and data's own canonical texts is byte for byte
    canonical_json(envelope_for_hash(...)), for every event type, for actors with and without their later keys,
    and for data that needs the exact JCS path (a float repr writes otherwise); the column texts parse back to
    the same values."""
    import json

    from domain.chain import canonical_json, envelope_for_hash
    from domain.events import TaskReminded, payload_data
    from domain.vocabulary import Clock
    from infra.event_store import event_texts
    from tests.domain.test_canonical_json import LATER, one_of_each

    actors = [ACTOR, Actor(role=Role.grid_worker, id="g-1", name="网格员", jurisdiction="G-01"),
              Actor(role=Role.system, id="liandiao")]
    payloads = [*one_of_each(), TaskReminded(task_id="T1", clock=Clock.reply, fraction=5e-5, due_at=LATER),
                TaskReminded(task_id="T1", clock=Clock.reply, fraction=1.0, due_at=LATER)]
    for actor in actors:
        for seq, payload in enumerate(payloads, start=1):
            pending = PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=actor,
                                   payload=payload)  # type: ignore[arg-type]
            actor_json, data_json, canonical = event_texts("C-案-1", seq, pending)
            expected = canonical_json(envelope_for_hash(
                case_id="C-案-1", seq=seq, event_id=str(pending.event_id), type=pending.type,
                schema_version=pending.schema_version, occurred_at=pending.occurred_at,
                actor=actor.model_dump(mode="json"), data=payload_data(pending.payload)))
            assert canonical == expected, payload.type  # type: ignore[attr-defined]
            assert json.loads(data_json) == payload_data(pending.payload)
            assert json.loads(actor_json) == actor.model_dump(mode="json")


async def test_every_event_type_appended_one_at_a_time_verifies_and_reads_back(own_pool: asyncpg.Pool) -> None:
    # A database of its own: these cases have tasks and categories no organisation of the session knows.
    store = EventStore(own_pool)
    import json

    from domain.events import payload_data, payload_from
    from tests.domain.test_canonical_json import one_of_each

    case = new_case()
    # PostgreSQL's jsonb cannot hold U+0000, which the canonical-JSON test's tricky text has: the rest of it stays.
    pending = [PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=ACTOR,
                            payload=payload_from(p.type, json.loads(json.dumps(payload_data(p)).replace(
                                "\\u0000", ""))))  # type: ignore[attr-defined]
               for p in one_of_each()]
    for version, e in enumerate(pending):
        result = await store.append(case, version, [e])
        assert (result.version, result.written) == (version + 1, 1)
    events = await store.read_stream(case)
    assert events[0].prev_hash == "0" * 64 and result.head_hash == events[-1].hash
    assert [e.payload for e in events] == [p.payload for p in pending]
    assert (await store.verify(case)).valid



async def test_a_stream_reads_back_the_records_the_dataclass_builds_from_its_rows(own_pool: asyncpg.Pool) -> None:
    """read_stream builds its records without RecordedEvent's __init__ (infra/event_store._recorded): over a
    stream of every event type, each record equals, field by field and type by type, the one the constructor
    builds from the same row with the payload validated whole from its stored data; the records stay frozen,
    and the global read finds the same ones."""
    import dataclasses
    import json

    from domain.events import RecordedEvent, payload_data, payload_from
    from tests.domain.test_canonical_json import one_of_each

    store = EventStore(own_pool)  # a database of its own, as the test above
    case = new_case()
    pending = [PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=ACTOR,
                            payload=payload_from(p.type, json.loads(json.dumps(payload_data(p)).replace(
                                "\\u0000", ""))))  # type: ignore[attr-defined]
               for p in one_of_each()]
    await store.append(case, 0, pending[:1])
    await store.append(case, 1, pending[1:])
    rows = await own_pool.fetch("SELECT * FROM events WHERE case_id = $1 ORDER BY seq", case)
    expected = [RecordedEvent(
        case_id=r["case_id"], seq=r["seq"], event_id=r["event_id"], occurred_at=r["occurred_at"],
        recorded_at=r["recorded_at"], actor=Actor.model_validate(r["actor"]),
        payload=payload_from(r["type"], r["data"]), schema_version=r["schema_version"], prev_hash=r["prev_hash"],
        hash=r["hash"]) for r in rows]

    events = await store.read_stream(case)
    assert events == expected and len(events) == len(pending)
    for got, want in zip(events, expected, strict=True):
        for field in dataclasses.fields(RecordedEvent):
            assert type(getattr(got, field.name)) is type(getattr(want, field.name)), (want.type, field.name)
        assert got.occurred_at.tzinfo is want.occurred_at.tzinfo
    assert [e.payload for e in events] == [p.payload for p in pending]
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].seq = 2  # type: ignore[misc]
    assert await store.read_stream(case, 3, 5) == expected[2:5]

    checkpoint, read = GlobalPosition(), []
    while batch := await store.read_all(checkpoint):
        read += [item.event for item in batch if item.event.case_id == case]
        checkpoint = batch[-1].position
    assert read == expected


async def test_times_read_back_in_utc_whatever_the_sessions_zone_and_date_style(pool: asyncpg.Pool,
                                                                               pg_url: str) -> None:
    """read_stream takes the two times as JSON text (infra/event_store._utc): in a session whose TimeZone is not
    UTC and whose DateStyle is not ISO, the records are the ones asyncpg's decoding gives, times aware in UTC,
    to the microsecond, an offset in seconds (Shanghai's before 1901) included."""
    store = EventStore(pool)
    case = new_case()
    times = [datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC), datetime(1900, 1, 1, 0, 0, 0, 5, tzinfo=UTC),
             datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)]
    await store.append(case, 0, [PendingEvent(event_id=uuid.uuid4(), occurred_at=at, actor=ACTOR,
                                              payload=ClockPaused(reason="等待鉴定")) for at in times])
    rows = await pool.fetch("SELECT occurred_at, recorded_at FROM events WHERE case_id = $1 ORDER BY seq", case)
    elsewhere = await asyncpg.create_pool(pg_url, min_size=1, max_size=1,
                                          server_settings={"TimeZone": "Asia/Shanghai", "DateStyle": "SQL, DMY"})
    try:
        for events in (await store.read_stream(case), await EventStore(elsewhere).read_stream(case)):
            assert [e.occurred_at for e in events] == times == [r["occurred_at"] for r in rows]
            assert [e.recorded_at for e in events] == [r["recorded_at"] for r in rows]
            assert all(e.occurred_at.tzinfo is UTC and e.recorded_at.tzinfo is UTC for e in events)  # type: ignore[union-attr]
    finally:
        await elsewhere.close()


def test_postgresqls_infinite_times_read_as_asyncpg_reads_them() -> None:
    from infra.event_store import _utc

    assert _utc('"infinity"') == datetime.max and _utc('"-infinity"') == datetime.min
    with pytest.raises(ValueError):
        _utc('"44-03-15T12:00:00+00:00 BC"')  # asyncpg cannot read a year before 1 either

async def test_a_retried_single_append_writes_nothing_and_returns_its_version(store: EventStore) -> None:
    case = new_case()
    first, second = event("一"), event("二")
    one = await store.append(case, 0, [first])
    two = await store.append(case, 1, [second])
    again = await store.append(case, 0, [first])  # an earlier activity retried after a later one wrote
    assert (again.written, again.version, again.head_hash) == (0, 1, one.head_hash)
    last = await store.append(case, 1, [second])
    assert (last.written, last.version, last.head_hash) == (0, 2, two.head_hash)
    with pytest.raises(ConcurrencyConflict, match=r"expected version 0 of case .*, found 2"):
        await store.append(case, 0, [second])  # a stored event, at a version it does not hold
    assert await store.version(case) == 2


async def test_single_appends_with_an_outbox_store_each_once_first_and_later(store: EventStore,
                                                                            pool: asyncpg.Pool) -> None:
    """A case's first event and a later one go by different statements (infra/event_store._APPEND_ONE_SQL),
    each with its outbox rows in the same statement: stored once, a retry writes neither again, and the head
    returned is the stored chain's."""
    case = new_case()
    first, later = event("一"), event("二")
    told_first = [OutboxEntry(first.event_id, "liaisons:dept-a", "inbox", "assignment")]
    told_later = [OutboxEntry(later.event_id, "supervisors:dept-z", "inbox", "warning")]
    one = await store.append(case, 0, [first], outbox=told_first)
    two = await store.append(case, 1, [later], outbox=told_later)
    again = [await store.append(case, 0, [first], outbox=told_first),
             await store.append(case, 1, [later], outbox=told_later)]
    assert [(r.version, r.written) for r in (one, two, *again)] == [(1, 1), (2, 1), (1, 0), (2, 0)]
    stored = await store.read_stream(case)
    assert [one.head_hash, two.head_hash] == [e.hash for e in stored] == [a.head_hash for a in again]
    assert stored[0].prev_hash == "0" * 64 and stored[1].prev_hash == stored[0].hash
    assert await outbox_rows(pool, case) == [("liaisons:dept-a", "inbox", "assignment"),
                                             ("supervisors:dept-z", "inbox", "warning")]
    assert (await store.verify(case)).valid


def test_an_actors_text_is_found_by_its_values() -> None:
    """Actors arrive as new instances with every event: equal ones share one text (infra/event_store
    _actor_text), one that differs in any field, a later optional one included, gets its own, and each is the
    canonical JSON of its dump."""
    from domain.chain import canonical_json
    from infra.event_store import _actor_text

    twin = Actor(role=Role.mediator, id="m-1", department="zongzhi")
    named = Actor(role=Role.mediator, id="m-1", department="zongzhi", name="调解员")
    other_role = Actor(role=Role.liaison, id="m-1", department="zongzhi")
    assert twin is not ACTOR and _actor_text(twin)[0] is _actor_text(ACTOR)[0]
    texts = [_actor_text(a)[0] for a in (ACTOR, named, other_role)]
    assert texts == [canonical_json(a.model_dump(mode="json")) for a in (ACTOR, named, other_role)]
    assert len(set(texts)) == 3


async def test_a_single_append_ahead_of_the_head_is_a_conflict_and_leaves_no_gap(store: EventStore) -> None:
    case = new_case()
    with pytest.raises(ConcurrencyConflict, match="found 0"):
        await store.append(case, 1, [event()])
    await store.append(case, 0, [event()])
    with pytest.raises(ConcurrencyConflict, match="found 1"):
        await store.append(case, 2, [event()])
    assert [e.seq for e in await store.read_stream(case)] == [1]


async def test_a_single_append_in_a_callers_transaction_rolls_back_with_it(store: EventStore,
                                                                            pool: asyncpg.Pool) -> None:
    case = new_case()
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await store.append(case, 0, [event()], conn=conn)
        await tx.rollback()
    assert await store.version(case) == 0
    await store.append(case, 0, [event()])
    assert (await store.verify(case)).valid


async def test_received_cases_read_back_their_pinned_policy_shared_and_equal(own_pool: asyncpg.Pool) -> None:
    """The read interns a pinned policy by its stored text (infra/event_store._payload): two cases received
    under one policy hold one instance, equal to what was written; the rest of the payload is read as ever."""
    from domain.events import CaseReceived, Party
    from domain.policy import DEFAULT_POLICY, pin_policy
    from domain.vocabulary import Channel, PartyRole, RiskLevel

    store = EventStore(own_pool)  # a database of its own: open cases in a category the session's organisation lacks
    pinned = pin_policy(DEFAULT_POLICY, datetime(2026, 3, 1, tzinfo=UTC))
    received = [CaseReceived(title=f"漏水 {n}", description="楼上漏水", category="邻里纠纷", channel=Channel.hotline,
                             grid_id="G-01", risk_level=RiskLevel.low, policy=pinned,
                             parties=(Party(name="张三", role=PartyRole.applicant),)) for n in range(2)]
    cases = [new_case(), new_case()]
    for case, payload in zip(cases, received, strict=True):
        await store.append(case, 0, [PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC),
                                                  actor=ACTOR, payload=payload)])
    [a], [b] = [await store.read_stream(case) for case in cases]
    assert [a.payload, b.payload] == received
    assert a.payload.policy is b.payload.policy  # type: ignore[union-attr]
    assert a.actor is b.actor


def test_a_pinned_policys_text_is_shared_by_equal_policies_and_exact_for_each() -> None:
    """A policy's canonical text is looked up by equality (infra/event_store._policy_text): equal policies
    pinned apart (as Temporal's payloads bring them) write the text of either, a different policy its own, and a
    policy whose floats need the exact JCS path sends the whole envelope that way; every envelope text is
    canonical_json(envelope_for_hash(...)) byte for byte."""
    from domain.chain import canonical_json, envelope_for_hash
    from domain.events import CaseReceived, Party, payload_data
    from domain.policy import DEFAULT_POLICY, EscalationPolicy, pin_policy
    from domain.vocabulary import Channel, PartyRole, RiskLevel
    from infra.event_store import event_texts

    at = datetime(2026, 3, 1, tzinfo=UTC)
    exact = DEFAULT_POLICY.model_copy(update={"escalation": EscalationPolicy(
        remind_at=(5e-5, 0.5), warn_after=DEFAULT_POLICY.escalation.warn_after,
        flag_after=DEFAULT_POLICY.escalation.flag_after)})
    policies = [pin_policy(DEFAULT_POLICY, at), pin_policy(DEFAULT_POLICY, at),
                pin_policy(DEFAULT_POLICY, datetime(2027, 3, 1, tzinfo=UTC)), pin_policy(exact, at),
                *[pin_policy(DEFAULT_POLICY, datetime(2020 + n, 3, 1, tzinfo=UTC)) for n in range(6)],
                pin_policy(DEFAULT_POLICY, at)]  # the first policy again, after more than the cache holds
    assert policies[0] == policies[1] and policies[0] is not policies[1]
    data_texts = []
    for seq, policy in enumerate(policies, start=1):
        payload = CaseReceived(title="漏水", description="楼上漏水", category="邻里纠纷", channel=Channel.hotline,
                               grid_id="G-01", risk_level=RiskLevel.low, policy=policy,
                               parties=(Party(name="张三", role=PartyRole.applicant),), departments=("城管",))
        pending = PendingEvent(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), actor=ACTOR, payload=payload)
        _, data_json, canonical = event_texts("C-1", seq, pending)
        assert canonical == canonical_json(envelope_for_hash(
            case_id="C-1", seq=seq, event_id=str(pending.event_id), type=pending.type,
            schema_version=pending.schema_version, occurred_at=pending.occurred_at,
            actor=ACTOR.model_dump(mode="json"), data=payload_data(payload)))
        data_texts.append(data_json)
    assert data_texts[0] == data_texts[1] == data_texts[-1] != data_texts[2]



def test_a_received_cases_data_reads_the_same_whatever_its_policy_holds() -> None:
    """A received case's data comes in two texts, the rest and the policy (infra/event_store._STREAM_COLUMNS):
    the payload is the data validated whole (the rest validated in one pass, the policy put in: the same
    values, fields set, key order and JSON), its policy interned when an object; a policy that is not one is
    refused as the data whole is."""
    import json

    import pydantic

    from domain.events import CaseReceived, Party, payload_data, payload_from
    from domain.policy import DEFAULT_POLICY, pin_policy
    from domain.vocabulary import Channel, PartyRole, RiskLevel
    from infra.event_store import _VALIDATE_RECEIVED_REST, _payload

    payload = CaseReceived(title="漏水", description="楼上漏水", category="邻里纠纷", channel=Channel.hotline,
                           grid_id="G-01", risk_level=RiskLevel.low,
                           policy=pin_policy(DEFAULT_POLICY, datetime(2026, 3, 1, tzinfo=UTC)),
                           parties=(Party(name="张三", role=PartyRole.applicant),))
    data = payload_data(payload)
    rest = json.dumps({k: v for k, v in data.items() if k != "policy"}, ensure_ascii=False).encode()
    policy = json.dumps(data["policy"], ensure_ascii=False).encode()
    whole = payload_from("CaseReceived", data)
    assert _VALIDATE_RECEIVED_REST is not None  # the one-pass path, not the dict's
    for parts in ((rest, policy), (json.dumps({**json.loads(rest), "repeat_of": ["C-0"], "handling_level": "grid"},
                                              ensure_ascii=False).encode(), policy)):
        read = _payload("CaseReceived", 1, *parts)
        expected = CaseReceived.model_validate({**json.loads(parts[0]), "policy": data["policy"]})  # as stored
        assert type(read) is CaseReceived and read == expected and list(read.__dict__) == list(expected.__dict__)
        assert read.model_fields_set == expected.model_fields_set
        assert read.model_dump_json() == expected.model_dump_json()
        with pytest.raises(pydantic.ValidationError):
            read.title = "改"  # type: ignore[misc]  # frozen as ever
    assert _payload("CaseReceived", 1, rest, policy) == payload == whole
    assert _payload("CaseReceived", 1, rest, policy).policy is _payload("CaseReceived", 1, rest, policy).policy
    for not_an_object in (b"null", b'"2026"', b"[]"):
        with pytest.raises(pydantic.ValidationError):
            payload_from("CaseReceived", {**data, "policy": json.loads(not_an_object)})
        with pytest.raises(pydantic.ValidationError):
            _payload("CaseReceived", 1, rest, not_an_object)
    with pytest.raises(pydantic.ValidationError):
        _payload("CaseReceived", 1, rest, None)  # no policy at all

# --------------------------------------------------------------------------------------------- the held connection
# Back-to-back appends write on one pool connection the store holds, given back at the first idle turn of the
# loop (infra/event_store._Held). These run on pools of their own, to see the pool's connections.


@pytest.fixture
async def small_pool(pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    from infra.db import create_pool

    pool = await create_pool(pg_url, min_size=1, max_size=4)
    yield pool
    await asyncio.wait_for(pool.close(), 10)


async def _all_idle(pool: asyncpg.Pool) -> bool:
    for _ in range(20):
        await asyncio.sleep(0)
        if pool.get_idle_size() == pool.get_size():
            return True
    return False


async def test_back_to_back_appends_hold_one_connection_and_give_it_back_when_idle(small_pool: asyncpg.Pool) -> None:
    store = EventStore(small_pool)
    case = new_case()
    for version in range(10):
        await store.append(case, version, [event(f"第{version}次")])
    assert store._held is not None  # still held: no turn of the loop found the store idle yet
    assert small_pool.get_size() == 1  # and no second connection was opened for the appends
    assert store._release_due is not None  # its release is due at the next turn, unless an append takes it
    assert await _all_idle(small_pool)
    assert store._held is None and store._release_due is None
    assert (await store.verify(case)).valid and await store.version(case) == 10



async def test_back_to_back_reads_hold_one_connection_and_concurrent_reads_share_the_pool(
        small_pool: asyncpg.Pool) -> None:
    """Stream reads take the appends' held connection (infra/event_store.read_stream): a replay reading stream
    after stream opens no second connection and gives it back when idle; reads at once take the pool's."""
    store = EventStore(small_pool)
    cases = [new_case() for _ in range(5)]
    for case in cases:
        await store.append(case, 0, [event(), event("第二")])
    assert await _all_idle(small_pool)
    for _ in range(3):
        for case in cases:
            assert [e.seq for e in await store.read_stream(case)] == [1, 2]
    assert store._held is not None and small_pool.get_size() == 1
    assert await _all_idle(small_pool) and store._held is None

    streams = await asyncio.gather(*(store.read_stream(case) for case in cases * 2))
    assert [[e.case_id for e in s] for s in streams] == [[case, case] for case in cases * 2]
    assert await _all_idle(small_pool)

async def test_concurrent_appends_share_the_pool_and_leave_every_connection_idle(small_pool: asyncpg.Pool) -> None:
    """Writers at once: one writes on the held connection, the others on the pool's (at most its size), one
    version each goes to one writer only, and every connection is back in the pool afterwards."""
    store = EventStore(small_pool)
    cases = [new_case() for _ in range(6)]

    async def writer(case: str) -> None:
        for version in range(8):
            await store.append(case, version, [event()])

    async def rival(case: str) -> int:
        wins = 0
        for version in range(8):
            try:
                await store.append(case, version, [event("乙")])
                wins += 1
            except ConcurrencyConflict:
                pass
        return wins

    shared = new_case()
    results = await asyncio.gather(*(writer(c) for c in cases), rival(shared), rival(shared), rival(shared))
    assert sum(results[len(cases):]) == await store.version(shared) <= 8  # type: ignore[arg-type]
    for case in [*cases, shared]:
        assert (await store.verify(case)).valid
    assert [await store.version(c) for c in cases] == [8] * len(cases)
    assert await _all_idle(small_pool)


async def test_a_cancelled_append_gives_its_connection_back_and_the_next_ones_write(small_pool: asyncpg.Pool,
                                                                                   pool: asyncpg.Pool) -> None:
    store = EventStore(small_pool)
    case = new_case()
    await store.append(case, 0, [event()])
    async with pool.acquire() as blocker:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")  # appends wait on this
        cancelled = event("卡住")
        stuck = asyncio.create_task(store.append(case, 1, [cancelled]))
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE '%INSERT INTO events%'")
        for _ in range(500):
            if await blocker.fetchval(waiting):
                break
            await asyncio.sleep(0.02)
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
        assert store._held is None  # given back to the pool at once, not kept for the next append
        await tx.rollback()
    # Whether the server ran the cancelled statement is unknown, as for any cancelled append: its retry tells.
    assert (await store.append(case, 1, [cancelled])).version == 2
    await store.append(case, 2, [event("再来")])
    assert await store.version(case) == 3 and (await store.verify(case)).valid
    assert await _all_idle(small_pool)


async def test_the_pool_closes_while_a_writer_appends(pg_url: str) -> None:
    """Shutdown under load: the pool's close() waits for acquired connections, the held one included; it is
    back within a turn of the loop, the writer's next append is refused as the pool's acquire refuses it, and
    what was written verifies."""
    from infra.db import create_pool

    pool = await create_pool(pg_url, min_size=1, max_size=4)
    store = EventStore(pool)
    case = new_case()
    written = 0
    under_way = asyncio.Event()

    async def writer() -> None:
        nonlocal written
        while True:
            await store.append(case, written, [event()])
            written += 1
            if written == 5:
                under_way.set()

    task = asyncio.create_task(writer())
    await asyncio.wait_for(under_way.wait(), 30)
    await asyncio.wait_for(pool.close(), 10)
    with pytest.raises(asyncpg.InterfaceError):
        await task
    check = await asyncpg.connect(pg_url)
    try:
        assert await check.fetchval("SELECT max(seq) FROM events WHERE case_id = $1", case) == written
    finally:
        await check.close()
