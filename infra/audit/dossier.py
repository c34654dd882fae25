"""One case, one dossier (一案一档): a self-contained HTML record with personal data masked, and the export
directory an auditor can verify offline with ``tools/verify_dossier.py``."""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain.case import CaseState, Task
from domain.chain import format_time
from domain.events import RecordedEvent, TaskReminded
from domain.organisation import Organisation
from domain.vocabulary import Clock, TaskStatus
from infra import organisations
from infra.audit.masking import masked_party, redact
from infra.audit.seals import Seal, latest_seal_covering, leaf_hash, merkle_proof, verify_proof
from infra.audit.timeline import (
    ARCHIVE_LABELS,
    CHANNEL_LABELS,
    CLOCK_LABELS,
    LEVEL_LABELS,
    METHOD_LABELS,
    NOTIFICATION_LABELS,
    OUTCOME_LABELS,
    PARTY_ROLE_LABELS,
    RISK_LABELS,
    SATISFACTION_LABELS,
    STAGE_LABELS,
    TASK_ROLE_LABELS,
    TASK_STATUS_LABELS,
    Names,
    case_timezone,
    local_time,
    recipient_label,
    recipients_label,
    replay,
)
from infra.event_store import ChainVerification, EventStore, verify_rows

_VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_dossier.py"
_EVENT_COLUMNS = "case_id, seq, event_id, type, schema_version, occurred_at, actor, data, prev_hash, hash"

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.5;padding:0 1em}
h1{border-bottom:3px solid #b22;padding-bottom:.3em}h2{border-left:5px solid #b22;padding-left:.5em;margin-top:1.8em}
table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.met{color:#176117;font-weight:bold}.missed{color:#b00;font-weight:bold}.open{color:#8a6d00}.na{color:#777}
.ok{color:#176117;font-weight:bold}.bad{color:#b00;font-weight:bold}
code,.hash{font-family:monospace;word-break:break-all;font-size:.9em}.empty{color:#777;font-style:italic}
"""


class UnknownCase(LookupError):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"no events for case {case_id}")
        self.case_id = case_id


def _e(value: object) -> str:
    return html.escape("—" if value is None or value == "" else str(value))


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "无 none") -> str:
    """``rows`` cells are HTML already escaped by the caller."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _facts(pairs: Sequence[tuple[str, object]]) -> str:
    return _table(["项目 item", "内容 value"], [[_e(k), _e(v)] for k, v in pairs])


def _mark(css: str, text: str) -> str:
    return f'<span class="{css}">{_e(text)}</span>'


def deadline_result(task: Task, clock: Clock, flagged: bool) -> tuple[str, str]:
    """(css class, label): met when done at or before the due time, missed when done late or when the
    deadline passed undone (a warning or listed supervision was recorded on it)."""
    done = task.acknowledged_at if clock is Clock.acknowledge else task.replied_at
    due = task.due_at(clock)
    if done is not None:
        return ("met", "✔ 按时 met") if done <= due else ("missed", "✘ 超时 missed")
    if flagged:
        return "missed", "✘ 超时未办 missed (not done)"
    if task.status is TaskStatus.returned and clock is Clock.acknowledge:
        return "na", "退回 returned"
    if task.open_clock is clock:
        return "open", "进行中 open"
    return "na", "不适用 n/a"


def _tasks(state: CaseState, tz: ZoneInfo, names: Names) -> str:
    flagged = {(e.task_id, e.clock) for e in state.escalations if e.level >= 2}
    rows = []
    for t in state.tasks:
        ack_css, ack_label = deadline_result(t, Clock.acknowledge, (t.task_id, Clock.acknowledge) in flagged)
        reply_css, reply_label = deadline_result(t, Clock.reply, (t.task_id, Clock.reply) in flagged)
        note = t.reply_summary or t.return_reason
        rows.append([
            _e(t.task_id), _e(names.department(t.department)), _e(TASK_ROLE_LABELS[t.role]),
            _e(TASK_STATUS_LABELS[t.status]),
            _e(local_time(t.assigned_at, tz)),
            _e(local_time(t.acknowledge_due_at, tz)), _e(local_time(t.acknowledged_at, tz)), _mark(ack_css, ack_label),
            _e(local_time(t.reply_due_at, tz)), _e(local_time(t.replied_at, tz)), _mark(reply_css, reply_label),
            _e(redact(note, state.parties) if note else None),
        ])
    return _table(
        ["任务 task", "单位 department", "角色 role", "状态 status", "派单 assigned", "签收时限 ack due",
         "签收 acknowledged", "签收结果 ack deadline", "答复时限 reply due", "答复 replied", "答复结果 reply deadline",
         "答复/退回 reply or return"],
        rows,
    )


def _escalations(state: CaseState, events: Sequence[RecordedEvent], tz: ZoneInfo, names: Names) -> str:
    rows: list[tuple[datetime, list[str]]] = []
    for recorded in events:
        reminder = recorded.payload
        if isinstance(reminder, TaskReminded):
            task = state.task(reminder.task_id)
            acted = None if task is None else (
                task.acknowledged_at if reminder.clock is Clock.acknowledge else task.replied_at)
            cleared = (_mark("ok", f"已办理 acted on {local_time(acted, tz)}")
                       if acted is not None and acted >= recorded.occurred_at else _mark("na", "—"))
            rows.append((recorded.occurred_at, [
                _e(local_time(recorded.occurred_at, tz)), _e(reminder.task_id),
                _e(names.department(task.department) if task else None), _e(CLOCK_LABELS[reminder.clock]),
                _e(f"1 {LEVEL_LABELS[1]} ({reminder.fraction:.0%})"), cleared,
            ]))
    for esc in state.escalations:
        cleared = (_mark("ok", f"已解除 cleared {local_time(esc.cleared_at, tz)}") if esc.cleared_at is not None
                   else _mark("missed", "未解除 open"))
        rows.append((esc.at, [
            _e(local_time(esc.at, tz)), _e(esc.task_id), _e(names.department(esc.department)),
            _e(CLOCK_LABELS[esc.clock]),
            _e(f"{esc.level} {LEVEL_LABELS.get(esc.level, '')}"), cleared,
        ]))
    rows.sort(key=lambda r: r[0])
    return _table(["时间 at", "任务 task", "单位 department", "时限 clock", "级别 level", "解除 cleared"],
                  [r for _, r in rows])


def seal_record(seal: Seal, case_id: str) -> dict[str, Any]:
    """seal.json: the seal (without the other cases' heads) and this case's Merkle proof."""
    head = seal.head_of(case_id)
    if head is None:
        raise KeyError(f"seal {seal.id} does not cover case {case_id}")
    leaf = leaf_hash(*head)
    proof = merkle_proof(seal.heads, case_id)
    return {
        "seal": seal.summary(),
        "leaf": {"case_id": head[0], "version": head[1], "head_hash": head[2], "leaf_hash": leaf},
        "proof": [[side, h] for side, h in proof],
        "proof_valid": verify_proof(leaf, proof, seal.merkle_root),
    }


def _integrity(state: CaseState, verification: ChainVerification, seal_info: dict[str, Any] | None) -> str:
    valid = _mark("ok", "✔ 完整 valid") if verification.valid else _mark(
        "bad", f"✘ 断链 broken at seq {verification.first_bad_seq}: {verification.problem}")
    rows = [
        [_e("事件数 events"), _e(verification.events)],
        [_e("哈希链 hash chain"), valid],
        [_e("链头哈希 head hash"), f'<span class="hash">{_e(verification.head_hash)}</span>'],
    ]
    if seal_info is None:
        rows.append([_e("封存 seal"), _mark("na", "尚未封存 not yet covered by a seal")])
        return _table(["项目 item", "内容 value"], rows)
    seal, leaf = seal_info["seal"], seal_info["leaf"]
    proof = _mark("ok", "✔ 有效 valid") if seal_info.get("proof_valid") else _mark("bad", "✘ 无效 invalid")
    later = state.version - int(leaf["version"])
    covered = f"seq 1–{leaf['version']}"
    if later:
        covered += f" (+{later} later events not yet sealed 其后事件尚未封存)"
    rows += [
        [_e("封存编号 seal id"), _e(seal["id"])], [_e("封存时间 sealed at"), _e(seal["sealed_at"])],
        [_e("封存范围 sealed events"), _e(covered)],
        [_e("Merkle 根 root"), f'<span class="hash">{_e(seal["merkle_root"])}</span>'],
        [_e("封存哈希 seal hash"), f'<span class="hash">{_e(seal["seal_hash"])}</span>'],
        [_e("Merkle 证明 proof"), proof],
    ]
    return _table(["项目 item", "内容 value"], rows)


_DELIVERY_STATUS = {"pending": "待发送 pending", "deferred": "暂缓 deferred", "delivered": "已送达 delivered",
                    "failed": "送达失败 failed"}


def _notifications(state: CaseState, tz: ZoneInfo, names: Names) -> str:
    """Who was told what, when, on which channel, and whether it arrived: one row per channel (or per in-app
    notification). Addresses are redacted; texts carry no personal data."""
    rows = []
    for n in state.notifications:
        what = f"{NOTIFICATION_LABELS.get(n.kind, n.kind)} · {n.level} 级"
        for d in n.deliveries or (None,):
            rows.append([
                _e(local_time(n.created_at, tz)), _e(what), _e(recipients_label(n.recipients, names)),
                _e(f"{d.address} → {recipient_label(f'{d.role}:{d.department}', names)}" if d else "站内 in-app"),
                _e(_DELIVERY_STATUS[d.status] if d else "—"), _e(d.attempts if d else "—"),
                _e(local_time(d.delivered_at, tz) if d and d.delivered_at else (d.reason if d else None)),
            ])
    return _table(["时间 at", "通知 notification", "接收方 recipients", "渠道 channel", "状态 status",
                   "尝试 attempts", "送达时间 delivered at"], rows)


def render_dossier_html(
    state: CaseState,
    events: Sequence[RecordedEvent],
    verification: ChainVerification,
    seal_info: dict[str, Any] | None,
    org: Organisation | None = None,
) -> str:
    """The dossier as one HTML page: inline CSS, nothing external, every value escaped, parties masked.
    Departments, grids and categories by their names in ``org``, the organisation the case was received under."""
    tz = case_timezone(state)
    names = Names(org)
    parties = state.parties

    def free(text: str | None) -> str | None:
        return redact(text, parties) if text else None

    _, timeline = replay(events, org=org)
    sections = [
        ("案件基本情况 Case facts", _facts([
            ("案件编号 case id", state.case_id), ("标题 title", free(state.title)),
            ("事由 description", free(state.description)),
            ("类别 category", names.category(state.category) if state.category else None),
            ("来源 channel", CHANNEL_LABELS[state.channel] if state.channel else None),
            ("网格 grid", names.place(state.grid_id) if state.grid_id else None),
            ("风险等级 risk", RISK_LABELS[state.risk_level]),
            ("受理时间 received at", local_time(state.received_at, tz)),
            ("当前阶段 stage", STAGE_LABELS[state.stage]), ("重复件 duplicate of", state.duplicate_of),
            ("不予受理理由 not accepted", free(state.not_accepted_reason)),
        ])),
        ("当事人 Parties (已脱敏 masked)", _table(
            ["姓名 name", "身份 role", "电话 phone", "身份证号 ID number"],
            [[_e(p["name"]), _e(PARTY_ROLE_LABELS[party.role]), _e(p["phone"]), _e(p["id_number"])]
             for party in parties for p in [masked_party(party)]])),
        ("办理过程 Timeline", _table(
            ["序号 seq", "时间 time", "操作人 actor", "事件 event", "说明 what happened", "阶段 stage after"],
            [[_e(t.seq), _e(local_time(t.occurred_at, tz)),
              _e(t.actor_label),
              _e(t.event_type), _e(t.description), _e(STAGE_LABELS[t.stage])] for t in timeline])),
        ("责任单位任务与时限 Tasks and deadlines", _tasks(state, tz, names)),
        ("督办记录 Escalations", _escalations(state, events, tz, names)),
        ("送达记录 Notifications and deliveries", _notifications(state, tz, names)),
        ("联席会议 Joint meetings", _table(
            ["会议 meeting", "时间 at", "参会单位 departments", "议题 agenda"],
            [[_e(m.meeting_id), _e(local_time(m.at, tz)), _e(names.departments(m.departments)),
              _e(free(m.agenda))]
             for m in state.meetings])),
        ("调解记录 Mediation records", _table(
            ["编号 id", "时间 at", "方式 method", "结果 result", "协议内容 terms"],
            [[_e(m.mediation_id), _e(local_time(m.at, tz)), _e(METHOD_LABELS[m.method]),
              _e("达成协议 agreement reached" if m.agreement_reached else "未达成协议 no agreement"),
              _e(free(m.terms))] for m in state.mediations])),
        ("办理结果与验收 Outcome and verification", _facts([
            ("结果 outcome", OUTCOME_LABELS[state.outcome] if state.outcome else None),
            ("办理情况 summary", free(state.resolution_summary)),
            ("验收 verified", "已验收 verified" if state.verified else "未验收 not verified"),
        ])),
        ("回访 Follow-up", _table(
            ["时间 at", "满意度 satisfaction", "备注 note"],
            [[_e(local_time(f.at, tz)), _e(SATISFACTION_LABELS[f.satisfaction]), _e(free(f.note))]
             for f in state.follow_ups])
            + (f"<p>重新办理次数 reopened: {_e(state.reopen_count)}</p>" if state.reopen_count else "")),
        ("归档 Archive", _facts([
            ("归档原因 reason",
             ARCHIVE_LABELS[state.archive_reason] if state.archive_reason else "未归档 not archived"),
            ("归档时间 archived at", local_time(state.archived_at, tz)),
        ])),
        ("链校验 Chain verification", _integrity(state, verification, seal_info)),
    ]
    body = "".join(f"<h2>{_e(title)}</h2>{content}" for title, content in sections)
    title = f"一案一档 案件 {state.case_id}"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}<br><small>Case dossier · 时间为 times in {_e(tz.key)}</small></h1>"
        f"{body}</body></html>\n"
    )


def _event_row(row: Any) -> dict[str, Any]:
    return {
        "case_id": row["case_id"], "seq": row["seq"], "event_id": str(row["event_id"]), "type": row["type"],
        "schema_version": row["schema_version"], "occurred_at": format_time(row["occurred_at"]),
        "actor": row["actor"], "data": row["data"], "prev_hash": row["prev_hash"], "hash": row["hash"],
    }


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


README = """一案一档 案件 {case_id} / Case dossier {case_id}

文件 Files
  dossier.html  案卷（当事人信息已脱敏）/ the dossier, parties masked
  events.json   原始事件，按存储原样导出（含当事人完整信息，请按涉密材料保管）
                the raw events exactly as stored (parties in full: keep it confidential)
  chain.json    导出时的链校验结果 / the chain verification at export: {{case_id, events, head_hash, valid}}
  seal.json     覆盖本案的最近一次封存及本案的 Merkle 证明（尚未封存时为 null）
                the latest seal covering this case and this case's Merkle proof (null before the first seal)
  verify_dossier.py  离线校验脚本（源码树可用时随附）/ the offline checker (included when the sources are at hand)

离线校验 Verify offline (只需 Python 3 标准库 / Python 3 standard library only)
  python3 verify_dossier.py DIR        (DIR = 本目录 this directory, e.g. "." from inside it)
  校验脚本亦见 LianDiao 源码 tools/verify_dossier.py。
  The checker is also tools/verify_dossier.py in the LianDiao sources.
  输出 OK 并返回 0，或指出第一个有问题的 seq 并返回 1。
  It prints OK and exits 0, or names the first bad seq and exits 1.

校验规则 What it checks
  1. 每个事件 each event: hash = sha256(utf8(prev_hash) + utf8(canonical_json(envelope))), envelope =
     {{case_id, seq, event_id, type, schema_version, occurred_at, actor, data}}; canonical JSON: keys sorted,
     UTF-8, separators "," and ":", non-ASCII as itself; occurred_at is already the canonical UTC string.
  2. seq 从 1 连续 / seq runs 1, 2, 3, ... ; prev_hash 指向上一事件 / links to the previous hash
     (the first: 64 zeros).
  3. chain.json 的 head_hash 与最后一个事件一致 / chain.json's head matches the last event.
  4. seal.json: leaf = sha256(utf8(case_id + ":" + version + ":" + head_hash)) of the sealed version;
     the proof's (side, hash) steps lead to merkle_root (parent = sha256(left_bytes + right_bytes));
     seal_hash = sha256(canonical_json({{sealed_at, cases, events, merkle_root, prev_seal_hash}})).
     将 seal_hash 与审计人员另行保存的封存文件核对 / compare seal_hash with the seal file kept outside
     the system: that is what proves the database was not rewritten afterwards.
"""


async def export_dossier(pool: asyncpg.Pool, case_id: str, out_dir: Path) -> Path:
    """Write ``out_dir/<case_id>/`` with dossier.html, events.json, chain.json, seal.json and README.txt.
    Names come from the organisation the case was received under (else the one in force)."""
    if not case_id or "/" in case_id or "\\" in case_id or case_id in {".", ".."}:
        raise ValueError(f"not a case id: {case_id!r}")
    async with pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT {_EVENT_COLUMNS} FROM events WHERE case_id = $1 ORDER BY seq", case_id)
    if not rows:
        raise UnknownCase(case_id)
    verification = verify_rows(case_id, rows)
    events = await EventStore(pool).read_stream(case_id, upto=rows[-1]["seq"])
    state, _ = replay(events)
    org = await organisations.by_fingerprint(pool, state.organisation) or await organisations.in_force(pool)
    seal = await latest_seal_covering(pool, case_id)
    seal_info = seal_record(seal, case_id) if seal is not None else None

    target = out_dir / case_id
    target.mkdir(parents=True, exist_ok=True)
    (target / "events.json").write_text(_dump([_event_row(r) for r in rows]), encoding="utf-8")
    (target / "chain.json").write_text(_dump({
        "case_id": case_id, "events": verification.events, "head_hash": verification.head_hash,
        "valid": verification.valid, "first_bad_seq": verification.first_bad_seq,
    }), encoding="utf-8")
    (target / "seal.json").write_text(_dump(seal_info), encoding="utf-8")
    (target / "dossier.html").write_text(render_dossier_html(state, events, verification, seal_info, org),
                                         encoding="utf-8")
    (target / "README.txt").write_text(README.format(case_id=case_id), encoding="utf-8")
    if _VERIFIER.is_file():
        shutil.copyfile(_VERIFIER, target / "verify_dossier.py")
    return target
