"""The auditor's toolkit: replay and timeline, seals, the dossier. Against the real PostgreSQL.

Other tests share the database and a seal covers every case, so these tests assert on their own cases'
leaves and proofs, and tamper only inside transactions they roll back."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from domain.case import fold
from domain.chain import GENESIS_HASH, chain_hash, envelope_for_hash
from domain.events import (
    Actor,
    CaseArchived,
    CaseReceived,
    CaseRouted,
    EscalationCleared,
    EventPayload,
    FollowUpRecorded,
    MediationRecorded,
    MeetingConvened,
    Party,
    PendingEvent,
    ResolutionSubmitted,
    ResolutionVerified,
    TaskAcknowledged,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
    TaskReplied,
)
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    MediationMethod,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
)
from infra.audit import mask_id_number, mask_name, mask_phone, redact
from infra.audit.dossier import UnknownCase, deadline_result, export_dossier
from infra.audit.seals import (
    all_seals,
    append_seal_file,
    create_seal,
    leaf_hash,
    merkle_proof,
    merkle_root,
    read_seal_file,
    seal_hash,
    verify_proof,
    verify_seal_file,
    verify_seals,
)
from infra.audit.timeline import render_timeline, replay
from infra.event_store import EventStore, verify_rows

CST = timezone(timedelta(hours=8))
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=CST)  # a Monday
LEAD, CO = "dept-donghu-huayuan-committee", "dept-donghu-housing"
MEDIATOR = Actor(role=Role.mediator, id="med-1", department="dept-donghu-zongzhi")
SUPERVISOR = Actor(role=Role.supervisor, id="sup-1", department="dept-donghu-zongzhi")
SYSTEM = Actor(role=Role.system, id="liandiao")
PERSONAL = ("张三", "李四", "13800001234", "13900005678", "110101199001011234")


def liaison(department: str) -> Actor:
    return Actor(role=Role.liaison, id=f"liaison-{department}", department=department)


def sample_events(title: str = "张三家楼上漏水") -> list[PendingEvent]:
    """A whole case: T1 (lead) acknowledges late after a warning and listed supervision, replies in time;
    T2 (co) acknowledges in time and replies late."""
    h, d = timedelta(hours=1), timedelta(days=1)
    steps: list[tuple[timedelta, Actor, EventPayload]] = [
        (0 * h, MEDIATOR, CaseReceived(
            title=title, description="张三反映楼上卫生间漏水，联系电话13800001234", category="leak",
            channel=Channel.walk_in, grid_id="grid-donghu-huayuan-1", risk_level=RiskLevel.medium,
            parties=(Party(name="张三", role=PartyRole.applicant, phone="13800001234",
                           id_number="110101199001011234"),
                     Party(name="李四", role=PartyRole.respondent, phone="13900005678")),
            policy=pin_policy(DEFAULT_POLICY, T0).model_dump(mode="json"))),
        (0.1 * h, MEDIATOR, CaseRouted(lead_department=LEAD, co_departments=(CO,))),
        (0.1 * h, SYSTEM, TaskAssigned(task_id="T1", department=LEAD, role=TaskRole.lead,
                                       acknowledge_due_at=T0 + 4 * h, reply_due_at=T0 + 3 * d)),
        (0.1 * h, SYSTEM, TaskAssigned(task_id="T2", department=CO, role=TaskRole.co,
                                       acknowledge_due_at=T0 + 4 * h, reply_due_at=T0 + 3 * d)),
        (1 * h, liaison(CO), TaskAcknowledged(task_id="T2")),
        (2 * h, SYSTEM, TaskReminded(task_id="T1", clock=Clock.acknowledge, fraction=0.5, due_at=T0 + 4 * h)),
        (4 * h, SYSTEM, TaskEscalated(task_id="T1", clock=Clock.acknowledge, level=2, due_at=T0 + 4 * h)),
        (1 * d, SYSTEM, TaskEscalated(task_id="T1", clock=Clock.acknowledge, level=3, due_at=T0 + 4 * h,
                                      notify_jurisdiction="st-donghu")),
        (1 * d + h, liaison(LEAD), TaskAcknowledged(task_id="T1")),
        (1 * d + h, SYSTEM, EscalationCleared(task_id="T1", clock=Clock.acknowledge, level=3)),
        (2 * d, liaison(LEAD), TaskReplied(task_id="T1", summary="已上门查看，张三家天花板渗水属实")),
        (2 * d, MEDIATOR, MeetingConvened(meeting_id="M1", at=T0 + 2 * d, departments=(LEAD, CO),
                                          agenda="协调李四维修防水层")),
        (2 * d + h, MEDIATOR, MediationRecorded(mediation_id="MD1", method=MediationMethod.people,
                                                agreement_reached=True, terms="李四负责维修并赔偿张三500元")),
        (4 * d, liaison(CO), TaskReplied(task_id="T2", summary="物业已配合")),
        (4 * d, MEDIATOR, ResolutionSubmitted(outcome=Outcome.mediated, summary="双方达成协议")),
        (5 * d, SUPERVISOR, ResolutionVerified()),
        (6 * d, MEDIATOR, FollowUpRecorded(satisfaction=Satisfaction.satisfied, note="张三表示满意")),
        (6 * d, MEDIATOR, CaseArchived(reason=ArchiveReason.resolved)),
    ]
    return [PendingEvent(event_id=uuid.uuid4(), occurred_at=T0 + offset, actor=actor, payload=payload)
            for offset, actor, payload in steps]


async def write_sample_case(pool: asyncpg.Pool, **changes: Any) -> str:
    case_id = f"A-{uuid.uuid4().hex[:12]}"
    await EventStore(pool).append(case_id, 0, sample_events(**changes))
    return case_id


@pytest.fixture
async def case_id(pool: asyncpg.Pool) -> str:
    return await write_sample_case(pool)


@pytest.fixture
async def rolled_back(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a transaction that bypasses the triggers and is rolled back: tampering stays here."""
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SET LOCAL session_replication_role = replica")
        try:
            yield conn
        finally:
            await tx.rollback()


# --- masking ---------------------------------------------------------------------------------------------

def test_mask_helpers() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("13800001234") == "138****1234"
    assert mask_id_number("110101199001011234") == "110***********1234"
    assert mask_name("") == "" and mask_phone("") == ""


def test_redact_masks_parties_and_number_shapes_in_free_text() -> None:
    parties = [Party(name="张三", role=PartyRole.applicant, phone="021-5555-6666")]
    text = redact("张三说，电话021-5555-6666，另一号13712345678，证件11010119900101123X", parties)
    assert "张三" not in text and "021-5555-6666" not in text
    assert "张*" in text and "137****5678" in text and "110***********123X" in text


# --- replay and timeline ---------------------------------------------------------------------------------

async def test_replay_upto_a_seq_gives_the_state_after_that_event(pool: asyncpg.Pool, case_id: str) -> None:
    events = await EventStore(pool).read_stream(case_id)
    for upto in (1, 2, 9, len(events)):
        state, entries = replay(events, upto)
        assert state == fold(events[:upto])
        assert state.version == upto and [e.seq for e in entries] == list(range(1, upto + 1))
        assert entries[-1].stage is state.stage
    state, _ = replay(events, 9)
    t1 = state.task("T1")
    assert t1 is not None and t1.acknowledged_at == T0 + timedelta(days=1, hours=1)
    assert [e.level for e in state.open_escalations] == [3]
    assert replay(events, None)[0].stage is Stage.archived
    with pytest.raises(ValueError):
        replay(events, 0)


async def test_timeline_tells_what_happened_without_personal_data(pool: asyncpg.Pool, case_id: str) -> None:
    _, entries = replay(await EventStore(pool).read_stream(case_id))
    text = render_timeline(entries)
    for value in PERSONAL:
        assert value not in text
    assert "张*" in text
    # The one describer's words (domain/describe.py); without an organisation, departments go by their ids.
    assert f"挂牌督办：{LEAD}签收已超时" in text
    assert "报st-donghu" in text
    assert f"{LEAD}签收（超时）" in text and f"{CO}签收（按时）" in text
    lines = text.splitlines()
    assert len(lines) == 2 + len(entries)
    assert lines[2].split()[0] == "1" and "CaseReceived" in lines[2]


# --- seals -----------------------------------------------------------------------------------------------

def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _pair(left: str, right: str) -> str:
    return hashlib.sha256(bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


def test_merkle_root_pairs_and_carries_the_odd_node_up() -> None:
    a, b, c = _h("a"), _h("b"), _h("c")
    assert merkle_root([a]) == a
    assert merkle_root([a, b, c]) == _pair(_pair(a, b), c)
    assert leaf_hash("C-1", 3, "f" * 64) == _h(f"C-1:3:{'f' * 64}")


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_every_merkle_proof_leads_to_the_root(count: int) -> None:
    heads = [(f"C-{i:02d}", i + 1, _h(str(i))) for i in range(count)]
    root = merkle_root([leaf_hash(*h) for h in heads])
    for head in heads:
        proof = merkle_proof(heads, head[0])
        assert verify_proof(leaf_hash(*head), proof, root)
        assert not verify_proof(leaf_hash(head[0], head[1] + 1, head[2]), proof, root)
    with pytest.raises(KeyError):
        merkle_proof(heads, "C-unknown")


async def test_a_seal_records_every_head_and_chains_to_the_previous_seal(pool: asyncpg.Pool, tmp_path: Path) -> None:
    store = EventStore(pool)
    ours = [await write_sample_case(pool), await write_sample_case(pool)]
    first = await create_seal(pool, datetime.now(UTC))
    for case in ours:
        events = await store.read_stream(case)
        head = first.head_of(case)
        assert head == (case, len(events), events[-1].hash)
        assert verify_proof(leaf_hash(*head), merkle_proof(first.heads, case), first.merkle_root)
    assert [h[0] for h in first.heads] == sorted(h[0] for h in first.heads)
    second = await create_seal(pool, datetime.now(UTC))
    assert second.prev_seal_hash == first.seal_hash != GENESIS_HASH
    stored = {s.id: s for s in await all_seals(pool)}
    assert stored[first.id] == first and stored[second.id] == second
    ours_problems = [p for p in await verify_seals(pool)
                     if p.seal_id in (first.id, second.id) and p.case_id in (None, *ours)]
    assert ours_problems == []

    seal_file = tmp_path / "seals.jsonl"
    append_seal_file(first, seal_file)
    append_seal_file(second, seal_file)
    assert read_seal_file(seal_file) == [first, second]
    assert len(seal_file.read_text(encoding="utf-8").splitlines()) == 2
    assert await verify_seal_file(pool, seal_file) == []


async def test_the_seals_table_refuses_update_delete_and_truncate(pool: asyncpg.Pool) -> None:
    seal = await create_seal(pool, datetime.now(UTC))
    async with pool.acquire() as conn:
        for sql in ("UPDATE seals SET merkle_root = 'x' WHERE id = $1", "DELETE FROM seals WHERE id = $1"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(sql, seal.id)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("TRUNCATE seals")


async def test_verify_seals_catches_a_tampered_seal(pool: asyncpg.Pool, rolled_back: asyncpg.Connection,
                                                    tmp_path: Path) -> None:
    await write_sample_case(pool)
    first = await create_seal(pool, datetime.now(UTC))
    second = await create_seal(pool, datetime.now(UTC))
    seal_file = tmp_path / "seals.jsonl"
    append_seal_file(first, seal_file)
    append_seal_file(second, seal_file)

    await rolled_back.execute("UPDATE seals SET events = events + 1 WHERE id = $1", first.id)
    problems = {(p.seal_id, p.problem) for p in await verify_seals(rolled_back)}
    assert (first.id, "seal_hash does not match the seal's content") in problems
    assert (first.id, "cases or events count does not match the recorded heads") in problems

    # Rewritten consistently (root and hash recomputed): the next seal's link and the kept file still tell.
    forged_heads = first.heads[:-1]
    forged_root = merkle_root([leaf_hash(*h) for h in forged_heads])
    forged_events = sum(h[1] for h in forged_heads)
    forged = seal_hash(first.sealed_at, len(forged_heads), forged_events, forged_root, first.prev_seal_hash)
    await rolled_back.execute(
        "UPDATE seals SET heads = $2, cases = $3, events = $4, merkle_root = $5, seal_hash = $6 WHERE id = $1",
        first.id, [list(h) for h in forged_heads], len(forged_heads), forged_events, forged_root, forged,
    )
    problems = {(p.seal_id, p.problem) for p in await verify_seals(rolled_back) if p.case_id is None}
    assert not any(seal_id == first.id for seal_id, _ in problems)
    assert (second.id, "prev_seal_hash does not match the previous seal") in problems
    kept = {(p.seal_id, p.problem) for p in await verify_seal_file(rolled_back, seal_file)}
    assert kept == {(first.id, "the stored seal differs from the seal file")}


async def test_verify_seals_catches_events_rewritten_or_cut_after_sealing(
    pool: asyncpg.Pool, rolled_back: asyncpg.Connection
) -> None:
    case = await write_sample_case(pool)
    seal = await create_seal(pool, datetime.now(UTC))
    last = len(sample_events())

    # Rewrite the last event and recompute its hash: the chain alone still looks valid.
    row = await rolled_back.fetchrow("SELECT * FROM events WHERE case_id = $1 AND seq = $2", case, last)
    envelope = envelope_for_hash(
        case_id=case, seq=last, event_id=str(row["event_id"]), type=row["type"],
        schema_version=row["schema_version"], occurred_at=row["occurred_at"] - timedelta(days=3),
        actor=row["actor"], data=row["data"],
    )
    await rolled_back.execute(
        "UPDATE events SET occurred_at = $3, hash = $4 WHERE case_id = $1 AND seq = $2",
        case, last, row["occurred_at"] - timedelta(days=3), chain_hash(row["prev_hash"], envelope),
    )
    rows = await rolled_back.fetch("SELECT * FROM events WHERE case_id = $1 ORDER BY seq", case)
    assert verify_rows(case, rows).valid
    problems = [p for p in await verify_seals(rolled_back) if p.case_id == case]
    assert problems and all("rewritten" in p.problem for p in problems)
    assert seal.id in {p.seal_id for p in problems}

    await rolled_back.execute("DELETE FROM events WHERE case_id = $1 AND seq = $2", case, last)
    problems = [p for p in await verify_seals(rolled_back) if p.case_id == case and p.seal_id == seal.id]
    assert len(problems) == 1 and "cut short" in problems[0].problem


# --- dossier ---------------------------------------------------------------------------------------------

async def test_deadlines_met_and_missed(pool: asyncpg.Pool, case_id: str) -> None:
    state = fold(await EventStore(pool).read_stream(case_id))
    t1, t2 = state.task("T1"), state.task("T2")
    assert t1 is not None and t2 is not None
    assert deadline_result(t1, Clock.acknowledge, True)[0] == "missed"
    assert deadline_result(t1, Clock.reply, False)[0] == "met"
    assert deadline_result(t2, Clock.acknowledge, False)[0] == "met"
    assert deadline_result(t2, Clock.reply, False)[0] == "missed"


async def test_export_writes_a_masked_self_contained_dossier(pool: asyncpg.Pool, case_id: str,
                                                             tmp_path: Path) -> None:
    target = await export_dossier(pool, case_id, tmp_path)
    assert target == tmp_path / case_id
    assert {p.name for p in target.iterdir()} >= {"dossier.html", "dossier_masked.html", "events.json",
                                                  "chain.json", "seal.json", "proof.json", "README.txt"}
    page = (target / "dossier_masked.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    for value in PERSONAL:
        assert value not in page
    for masked in ("张*", "李*", "138****1234", "139****5678", "110***********1234"):
        assert masked in page
    assert 'class="met"' in page and 'class="missed"' in page
    assert "挂牌督办" in page and "预警" in page and "催办" in page and "已解除 cleared" in page
    assert "人民调解" in page and "调解成功 mediated" in page and "满意 satisfied" in page
    assert "归档" in page and "✔ 完整 valid" in page and "尚未封存" in page
    # The masked copy says plainly what it cannot prove, and where the full proof is.
    assert 'data-result="not-verifiable"' in page and "不能自行校验" in page and "dossier.html" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page and "<link" not in page

    rows = json.loads((target / "events.json").read_text(encoding="utf-8"))
    assert [r["seq"] for r in rows] == list(range(1, len(sample_events()) + 1))
    assert set(rows[0]) == {"case_id", "seq", "event_id", "type", "schema_version", "occurred_at", "actor",
                            "data", "prev_hash", "hash"}
    assert rows[0]["occurred_at"] == "2025-03-03T01:00:00.000000Z"
    assert rows[0]["data"]["parties"][0]["name"] == "张三"  # the raw record, exactly as stored
    chain = json.loads((target / "chain.json").read_text(encoding="utf-8"))
    assert (chain["case_id"], chain["events"], chain["head_hash"], chain["valid"]) == (
        case_id, len(rows), rows[-1]["hash"], True)
    assert json.loads((target / "seal.json").read_text(encoding="utf-8")) is None
    readme = (target / "README.txt").read_text(encoding="utf-8")
    assert "verify_dossier.py" in readme and "离线校验" in readme


async def test_exported_seal_carries_the_case_proof(pool: asyncpg.Pool, case_id: str, tmp_path: Path) -> None:
    seal = await create_seal(pool, datetime.now(UTC))
    target = await export_dossier(pool, case_id, tmp_path)
    record = json.loads((target / "seal.json").read_text(encoding="utf-8"))
    assert record["seal"]["id"] == seal.id and record["seal"]["seal_hash"] == seal.seal_hash
    leaf = record["leaf"]
    assert (leaf["case_id"], leaf["version"]) == (case_id, len(sample_events()))
    assert verify_proof(leaf["leaf_hash"], [tuple(s) for s in record["proof"]], seal.merkle_root)
    assert record["proof_valid"] is True
    assert "✔ 有效 valid" in (target / "dossier.html").read_text(encoding="utf-8")


async def test_dossier_escapes_html(pool: asyncpg.Pool, tmp_path: Path) -> None:
    case = await write_sample_case(pool, title="<script>alert('张三')</script>")
    target = await export_dossier(pool, case, tmp_path)
    page = (target / "dossier_masked.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page and "张三" not in page
    # The self-verifying page carries the raw events as JSON data that no title can break out of.
    verifying = (target / "dossier.html").read_text(encoding="utf-8")
    assert verifying.count("</script>") == 2 and "alert('张三')<\\/script>" in verifying


async def test_export_of_an_unknown_case_fails(pool: asyncpg.Pool, tmp_path: Path) -> None:
    with pytest.raises(UnknownCase):
        await export_dossier(pool, "A-does-not-exist", tmp_path)
    with pytest.raises(ValueError):
        await export_dossier(pool, "../etc", tmp_path)
