"""One case, one dossier (一案一档): a self-contained HTML record with personal data masked, and the export
directory an auditor can verify offline with ``infra/audit/verify_dossier.py``."""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.case import CaseState, JudicialConfirmation, Task, named_people
from domain.chain import format_time
from domain.describe import (
    DOCUMENT,
    NOTIFICATION_KIND,
    Names,
    case_timezone,
    local_time,
    recipient_label,
    recipients_label,
)
from domain.events import RecordedEvent, TaskReminded
from domain.masking import masked_party, redact
from domain.organisation import Organisation
from domain.vocabulary import Clock, TaskStatus
from infra import organisations
from infra.audit.log import TreeHead, inclusion_proofs, latest_tree_head, public_keys, sign_tree_head
from infra.audit.seals import Seal, latest_seal_covering, leaf_hash, merkle_proof, verify_proof
from infra.audit.timeline import (
    ARCHIVE_LABELS,
    CHANNEL_LABELS,
    CLOCK_LABELS,
    LEVEL_LABELS,
    METHOD_LABELS,
    OUTCOME_LABELS,
    PARTY_ROLE_LABELS,
    RISK_LABELS,
    SATISFACTION_LABELS,
    STAGE_LABELS,
    TASK_ROLE_LABELS,
    TASK_STATUS_LABELS,
    replay,
)
from infra.event_store import ChainVerification, EventStore, verify_rows
from infra.read_models import names_of

_VERIFIER = Path(__file__).resolve().parent / "verify_dossier.py"
_SCRIPT = (Path(__file__).resolve().parent / "static" / "verify_dossier.js").read_text(encoding="utf-8")
_EVENT_COLUMNS = "case_id, seq, event_id, type, schema_version, occurred_at, actor, data, prev_hash, hash"

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.5;padding:0 1em}
h1{border-bottom:3px solid #b22;padding-bottom:.3em}h2{border-left:5px solid #b22;padding-left:.5em;margin-top:1.8em}
table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.met{color:#176117;font-weight:bold}.missed{color:#b00;font-weight:bold}.open{color:#8a6d00}.na{color:#777}
#verify-status{font-size:1.2em;padding:.5em;border:2px solid #999}
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
            _e(names.person(t.assignee) if t.assignee else None),
        ])
    return _table(
        ["任务 task", "单位 department", "角色 role", "状态 status", "派单 assigned", "签收时限 ack due",
         "签收 acknowledged", "签收结果 ack deadline", "答复时限 reply due", "答复 replied", "答复结果 reply deadline",
         "答复/退回 reply or return", "责任人 assignee"],
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
            _e(local_time(esc.at, tz)), _e(esc.task_id),
            _e(names.department(esc.department) if esc.department else "综治中心 centre"),  # the follow-up
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
        what = f"{NOTIFICATION_KIND.get(n.kind, n.kind)} · {n.level} 级"
        for d in n.deliveries or (None,):
            rows.append([
                _e(local_time(n.created_at, tz)), _e(what), _e(recipients_label(n.recipients, names)),
                _e(f"{d.address} → {recipient_label(f'{d.role}:{d.department}', names)}" if d else "站内 in-app"),
                _e(_DELIVERY_STATUS[d.status] if d else "—"), _e(d.attempts if d else "—"),
                _e(local_time(d.delivered_at, tz) if d and d.delivered_at else (d.reason if d else None)),
            ])
    return _table(["时间 at", "通知 notification", "接收方 recipients", "渠道 channel", "状态 status",
                   "尝试 attempts", "送达时间 delivered at"], rows)


# What the masked copy (the one to show outside) can and cannot prove, said on the page itself: it carries no
# raw events, so nothing on it can be re-hashed; the chain result above was computed when it was exported.
MASKED_COPY_NOTICE = (
    '<p id="verify-status" class="na" data-result="not-verifiable" role="note">'
    "本页为脱敏副本，不能自行校验：当事人信息已脱敏，页面不含原始事件，无法重新计算哈希。下方“链校验”为导出时的结果。"
    "如需核验，请用同一案卷中的 dossier.html（浏览器打开即重算全部哈希并核对签名树头）"
    "或 verify_dossier.py（python3 verify_dossier.py 目录）。<br>"
    "This masked copy cannot verify itself: the parties are masked and it carries no raw events, so no hash can "
    "be recomputed here. The chain result below was computed at export. To verify, open dossier.html from the "
    "same dossier (it re-computes every hash and checks the signed tree head) or run verify_dossier.py.</p>"
)


def render_dossier_html(
    state: CaseState,
    events: Sequence[RecordedEvent],
    verification: ChainVerification,
    seal_info: dict[str, Any] | None,
    org: Organisation | None = None,
    evidence: dict[str, Any] | None = None,
    people: dict[str, str] | None = None,
) -> str:
    """The dossier as one HTML page: inline CSS, nothing external, every value escaped, parties masked on the
    page. Departments, grids and categories by their names in ``org``, the organisation the case was received
    under. With ``evidence`` (the raw events, their inclusion proofs, the signed tree head and its public key)
    it also carries them and an inline script that re-computes every hash in the browser; the raw events hold
    the parties' data in full, so that file is as confidential as events.json. ``people`` names the users the
    case records by id (责任人, 包案领导)."""
    tz = case_timezone(state)
    names = Names(org, people)
    parties = state.parties

    def free(text: str | None) -> str | None:
        return redact(text, parties) if text else None

    _, timeline = replay(events, org=org, people=people)
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
        ("会议纪要与承诺 Minutes and commitments", _table(
            ["承诺 commitment", "单位 department", "内容 what", "时限 due", "履行 fulfilled"],
            [[_e(c.commitment_id), _e(names.department(c.department)), _e(free(c.what)), _e(local_time(c.due_at, tz)),
              _mark("ok", local_time(c.fulfilled_at, tz)) if c.fulfilled_at else _mark("missed", "未履行 open")]
             for c in state.commitments])),
        ("吹哨报到 Summonses", _table(
            ["编号 summons", "事由 reason", "时限 due", "单位 department", "报到 reported"],
            [[_e(x.summons_id), _e(free(x.reason)), _e(local_time(x.due_at, tz)), _e(names.department(d.department)),
              _mark("ok", local_time(d.reported_at, tz)) if d.reported_at else _mark("missed", "未报到 not reported")]
             for x in state.summons for d in x.departments])),
        ("挂牌督办 Listing by hand", _facts([
            ("包案领导 leader", (names.person(state.listing.leader_user) if state.listing.leader_user
                                 else free(state.listing.leader)) if state.listing else None),
            ("事由 reason", free(state.listing.reason) if state.listing else None),
            ("挂牌时间 since", local_time(state.listing.since, tz) if state.listing else None),
        ])),
        ("领导包案 Leader in charge", _facts([
            ("包案领导 leader", names.person(state.leader.user) if state.leader else None),
            ("事由 reason", free(state.leader.reason) if state.leader else None),
            ("确定时间 since", local_time(state.leader.since, tz) if state.leader else None),
        ])),
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
        ("调解文书 Mediation papers", _table(
            ["文书 paper", "文号 number", "出具时间 issued", "SHA-256"],
            [[_e(DOCUMENT[d.kind]), _e(d.number), _e(local_time(d.issued_at, tz)),
              f'<span class="hash">{_e(d.sha256)}</span>'] for d in state.documents])),
        ("履行与司法确认 Performance and judicial confirmation", _table(
            ["事项 item", "期限 due", "结果 result"],
            [[_e("协议履行 performance"), _e(local_time(p.due_at, tz)),
              _e("待履行" if p.performed is None else "已履行" if p.performed else "未履行")]
             for p in state.performances]
            + ([[_e("司法确认 judicial confirmation"), _e(local_time(jc.window_due_at, tz)),
                 _e(_confirmation_label(jc))]] if (jc := state.judicial_confirmation) is not None else []))),
        ("附件 Attachments", _table(
            ["名称 name", "类型 type", "大小 size (bytes)", "添加时间 added", "SHA-256"],
            [[_e(free(a.name)), _e(a.media_type), _e(a.size), _e(local_time(a.added_at, tz)),
              f'<span class="hash">{_e(a.sha256)}</span>'] for a in state.attachments])),
        ("归档 Archive", _facts([
            ("归档原因 reason",
             ARCHIVE_LABELS[state.archive_reason] if state.archive_reason else "未归档 not archived"),
            ("归档时间 archived at", local_time(state.archived_at, tz)),
        ])),
        ("链校验 Chain verification", _integrity(state, verification, seal_info)),
    ]
    if evidence is not None:
        sections.append(("签名树头与包含证明 Signed tree head and inclusion proofs", _tree_head(evidence)))
    body = "".join(f"<h2>{_e(title)}</h2>{content}" for title, content in sections)
    title = f"一案一档 案件 {state.case_id}"
    check = ""
    if evidence is not None:
        # "</" cannot end the script element inside JSON written this way; the JSON is data, never run.
        data = json.dumps(evidence, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
        check = (
            '<p id="verify-status" class="na" data-result="pending">正在校验… verifying (需启用 JavaScript)</p>'
            f'<script type="application/json" id="evidence">{data}</script><script>{_SCRIPT}</script>'
        )
    else:
        check = MASKED_COPY_NOTICE
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}<br><small>Case dossier · 时间为 times in {_e(tz.key)}</small></h1>"
        f"{check}{body}</body></html>\n"
    )


def _tree_head(evidence: dict[str, Any]) -> str:
    head = evidence.get("tree_head")
    if head is None:
        return _mark("na", "尚无签名树头 no signed tree head yet")
    rows = [
        [_e("树大小 tree size"), _e(head["tree_size"])],
        [_e("根哈希 root hash"), f'<span class="hash">{_e(head["root_hash"])}</span>'],
        [_e("时间 timestamp (ms, UTC)"), _e(head["timestamp"])],
        [_e("密钥 key id"), f'<span class="hash">{_e(head["key_id"])}</span>'],
        [_e("公钥 public key (Ed25519)"), f'<span class="hash">{_e(evidence["public_key"])}</span>'],
        [_e("签名 signature"), f'<span class="hash">{_e(head["signature"])}</span>'],
        [_e("已证明事件 events proven"), _e(len(evidence["proofs"]))],
    ]
    return _table(["项目 item", "内容 value"], rows) + (
        "<p>将上面的树头与纪检等外部保存的树头核对（liandiao audit seals export）。"
        "Compare this tree head with the heads a witness keeps outside the system.</p>")


def _event_row(row: Any) -> dict[str, Any]:
    return {
        "case_id": row["case_id"], "seq": row["seq"], "event_id": str(row["event_id"]), "type": row["type"],
        "schema_version": row["schema_version"], "occurred_at": format_time(row["occurred_at"]),
        "actor": row["actor"], "data": row["data"], "prev_hash": row["prev_hash"], "hash": row["hash"],
    }


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _confirmation_label(confirmation: JudicialConfirmation) -> str:
    if confirmation.applied_at is None:
        return "未申请 not applied for"
    if confirmation.confirmed is None:
        return "待法院确认 awaiting the court"
    verdict = "确认有效 confirmed" if confirmation.confirmed else "不予确认 not confirmed"
    return verdict + (f"（{confirmation.ruling_no}）" if confirmation.ruling_no else "")


README = """一案一档 案件 {case_id} / Case dossier {case_id}

文件 Files
  dossier.html  自校验案卷：浏览器打开即重新计算全部哈希并显示“已验证”或第一个有问题之处（无需联网）。
                页面上当事人信息已脱敏，但文件内含校验用的原始事件（含当事人完整信息），请按涉密材料保管。
                The self-verifying dossier: opening it re-computes every hash (no network) and shows 已验证 or the
                first bad item. Parties are masked on the page, but the file carries the raw events: confidential.
  dossier_masked.html  仅脱敏页面，可对外出示（不含原始事件，不能自校验）/ masked page only, to show outside
  events.json   原始事件，按存储原样导出（含当事人完整信息，请按涉密材料保管）
                the raw events exactly as stored (parties in full: keep it confidential)
  attachments/  附件，文件名为其 SHA-256；attachments.json 列出名称与类型 / the attached files, each named by
                its SHA-256 (the AttachmentAdded event in the chain fixes it); attachments.json gives their names
  documents/    出具的调解文书（协议书、卷宗等 PDF）；documents.json 列出文号与 SHA-256 / the papers issued
                (agreement, case file, ...), each PDF's SHA-256 fixed by its DocumentIssued event
  proof.json    签名树头、公钥与每个事件的包含证明 / the signed tree head, its public key, each event's
                inclusion proof: {{tree_head, public_key, proofs: [{{seq, leaf_index, leaf_hash, path}}]}}
  chain.json    导出时的链校验结果 / the chain verification at export: {{case_id, events, head_hash, valid}}
  seal.json     旧式封存（透明日志之前）及本案的 Merkle 证明，无则为 null / the earlier kind of seal
  verify_dossier.py  离线校验脚本 / the offline checker (Python 3 standard library only)

离线校验 Verify offline (只需 Python 3 标准库 / Python 3 standard library only)
  python3 verify_dossier.py DIR        (DIR = 本目录 this directory, e.g. "." from inside it)
  输出 OK 并返回 0，或指出第一个有问题的 seq 并返回 1。
  It prints OK and exits 0, or names the first bad seq and exits 1.

校验规则 What is checked (LianDiao README, "Dossier proofs")
  1. 每个事件 each event: hash = sha256(utf8(prev_hash) + utf8(JCS(envelope))), JCS = RFC 8785, envelope =
     {{case_id, seq, event_id, type, schema_version, occurred_at, actor, data}}; seq 1, 2, ...; the first
     prev_hash is 64 zeros, each later one the previous hash.
  2. 透明日志 the log (RFC 6962/9162): leaf_hash = sha256(0x00 + bytes(hash)); the RFC 9162 inclusion proof
     (path) of leaf_index in a tree of tree_head.tree_size leads to tree_head.root_hash.
  3. 树头签名 the head: Ed25519 (public_key) over 0x00 0x01 uint64(timestamp) uint64(tree_size) root_hash
     (RFC 6962 TreeHeadSignature, big-endian); key_id = sha256(DER SubjectPublicKeyInfo of public_key).
  4. 将树头与纪检等外部保存的树头核对 / compare the tree head with the heads a witness keeps: that is what
     proves the database was not rewritten afterwards.
"""


async def _evidence(pool: asyncpg.Pool, case_id: str, rows: Sequence[Any]) -> dict[str, Any]:
    async with pool.acquire() as conn:
        head: TreeHead | None = await latest_tree_head(conn)
        if head is None:
            return {"tree_head": None, "public_key": None, "proofs": [], "events": [_event_row(r) for r in rows]}
        proofs = await inclusion_proofs(conn, case_id, head.tree_size, upto=rows[-1]["seq"])
        keys = await public_keys(conn)
        seqs = await conn.fetch(
            "SELECT seq, leaf_index FROM log_leaves WHERE case_id = $1 AND leaf_index < $2 ORDER BY seq",
            case_id, head.tree_size)
    by_index = {r["leaf_index"]: r["seq"] for r in seqs}
    return {
        "tree_head": head.model_dump(),
        "public_key": keys[head.key_id].hex(),
        "proofs": [{"seq": by_index[p.leaf_index], "leaf_index": p.leaf_index, "leaf_hash": p.leaf_hash.hex(),
                    "path": [h.hex() for h in p.path]} for p in proofs],
        "events": [_event_row(r) for r in rows],
    }


async def export_dossier(pool: asyncpg.Pool, case_id: str, out_dir: Path,
                         key: Ed25519PrivateKey | None = None,
                         before_writing: Callable[[], Awaitable[None]] | None = None) -> Path:
    """Write ``out_dir/<case_id>/`` (README above). With the log's ``key``, a tree head is signed first, so
    every event of the case is proven in it. Names come from the organisation the case was received under
    (else the one in force). ``before_writing`` runs once the case is known to exist and before anything is
    written (the application records the export in the access log there: the files hold personal data)."""
    if not case_id or "/" in case_id or "\\" in case_id or case_id in {".", ".."}:
        raise ValueError(f"not a case id: {case_id!r}")
    async with pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT {_EVENT_COLUMNS} FROM events WHERE case_id = $1 ORDER BY seq", case_id)
    if not rows:
        raise UnknownCase(case_id)
    if before_writing is not None:
        await before_writing()
    if key is not None:
        await sign_tree_head(pool, key, datetime.now(UTC))
    verification = verify_rows(case_id, rows)
    events = await EventStore(pool).read_stream(case_id, upto=rows[-1]["seq"])
    state, _ = replay(events)
    org = await organisations.by_fingerprint(pool, state.organisation) or await organisations.in_force(pool)
    seal = await latest_seal_covering(pool, case_id)
    seal_info = seal_record(seal, case_id) if seal is not None else None
    evidence = await _evidence(pool, case_id, rows)
    people = await names_of(pool, named_people(state))

    target = out_dir / case_id
    target.mkdir(parents=True, exist_ok=True)
    (target / "events.json").write_text(_dump(evidence["events"]), encoding="utf-8")
    (target / "proof.json").write_text(_dump({k: v for k, v in evidence.items() if k != "events"}),
                                       encoding="utf-8")
    (target / "chain.json").write_text(_dump({
        "case_id": case_id, "events": verification.events, "head_hash": verification.head_hash,
        "valid": verification.valid, "first_bad_seq": verification.first_bad_seq,
    }), encoding="utf-8")
    (target / "seal.json").write_text(_dump(seal_info), encoding="utf-8")
    (target / "dossier.html").write_text(render_dossier_html(state, events, verification, seal_info, org,
                                                             evidence, people), encoding="utf-8")
    (target / "dossier_masked.html").write_text(render_dossier_html(state, events, verification, seal_info, org,
                                                                    people=people), encoding="utf-8")
    (target / "README.txt").write_text(README.format(case_id=case_id), encoding="utf-8")
    await _write_attachments(pool, rows, target)
    await _write_documents(pool, rows, target)
    shutil.copyfile(_VERIFIER, target / "verify_dossier.py")
    return target


async def _write_documents(pool: asyncpg.Pool, rows: Sequence[Any], target: Path) -> None:
    """documents/<document_id>-<kind>.pdf for each DocumentIssued (the mediation papers, 卷宗 included), and
    documents.json listing them with their numbers and hashes (each the event's, so the chain fixes them)."""
    listed = [{"seq": r["seq"], **r["data"], "file": f"{r['data']['document_id']}-{r['data']['kind']}.pdf"}
              for r in rows if r["type"] == "DocumentIssued"]
    (target / "documents.json").write_text(_dump(listed), encoding="utf-8")
    if not listed:
        return
    folder = target / "documents"
    folder.mkdir(exist_ok=True)
    async with pool.acquire() as conn:
        for item in listed:
            content = await conn.fetchval("SELECT content FROM attachment_blobs WHERE sha256 = $1", item["sha256"])
            if content is not None:
                (folder / item["file"]).write_bytes(bytes(content))


async def _write_attachments(pool: asyncpg.Pool, rows: Sequence[Any], target: Path) -> None:
    """attachments/<sha256> for each AttachmentAdded, and attachments.json listing them with their names."""
    listed = [{"seq": r["seq"], **r["data"]} for r in rows if r["type"] == "AttachmentAdded"]
    (target / "attachments.json").write_text(_dump(listed), encoding="utf-8")
    if not listed:
        return
    folder = target / "attachments"
    folder.mkdir(exist_ok=True)
    async with pool.acquire() as conn:
        for item in listed:
            content = await conn.fetchval("SELECT content FROM attachment_blobs WHERE sha256 = $1", item["sha256"])
            if content is not None:  # a missing file is reported by the verifier, not hidden here
                (folder / item["sha256"]).write_bytes(bytes(content))
