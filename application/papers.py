"""What each mediation paper says, from the case's own record: plain data for the Typst template
(infra/papers/mediation.typ), which only lays it out.

Every date on a paper is a date of the record (the case received, the mediation held, the follow-up made), never
the clock: the same case and kind give the same data, so the same PDF bytes and the same recorded SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.case import CaseState
from domain.describe import (
    CHANNEL,
    CLOCK,
    DOCUMENT,
    LEVEL,
    METHOD,
    OUTCOME,
    RISK,
    SATISFACTION,
    Names,
    case_timezone,
)
from domain.papers import missing_for
from domain.vocabulary import DocumentKind, PartyRole

PARTY_ROLE = {PartyRole.applicant: "申请人", PartyRole.respondent: "被申请人", PartyRole.third_party: "第三人"}
AGREEMENT_CLOSING = ("本协议经双方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章后生效。"
                     "本协议一式三份，双方当事人、人民调解委员会各执一份。当事人可以自本协议生效之日起三十日内"
                     "共同向人民法院申请司法确认（《中华人民共和国人民调解法》第三十三条）。")


class Paper(dict[str, Any]):
    """One paper: title, committee, number, fields, parties, sections, closing, signature lines, date."""


def _day(value: datetime | None, state: CaseState) -> str:
    if value is None:
        return "—"
    local = value.astimezone(case_timezone(state))
    return f"{local.year}年{local.month}月{local.day}日"


def _time(value: datetime | None, state: CaseState) -> str:
    if value is None:
        return "—"
    return value.astimezone(case_timezone(state)).strftime("%Y年%m月%d日 %H:%M")


def _paper(kind: DocumentKind, state: CaseState, committee: str, number: str, date: datetime | None, *,
           fields: list[list[str]] | None = None, parties: bool = False, sections: list[tuple[str, str]] | None = None,
           closing: str = "", signatures: list[str] | None = None) -> Paper:
    return Paper(
        title=DOCUMENT[kind], committee=committee, number=number, date=_day(date, state),
        fields=fields or [],
        parties=[[p.name, PARTY_ROLE[p.role], p.phone or "—", p.id_number or "—"] for p in state.parties]
        if parties else [],
        sections=[{"heading": h, "text": t} for h, t in sections or []], closing=closing,
        signatures=signatures or [])


def _party_signatures(state: CaseState) -> list[str]:
    return [f"{PARTY_ROLE[p.role]}（签名）" for p in state.parties]


def registration(state: CaseState, names: Names, committee: str, number: str) -> Paper:
    return _paper(DocumentKind.registration, state, committee, number, state.received_at, parties=True, fields=[
        ["案由", state.title], ["纠纷类别", names.category(state.category)],
        ["来源", CHANNEL[state.channel] if state.channel else "—"], ["发生地", names.place(state.grid_id)],
        ["风险等级", RISK[state.risk_level]], ["受理时间", _time(state.received_at, state)],
    ], sections=[("纠纷简要情况", state.description)], signatures=["登记人（调解员）", "当事人（签名）"])


def mediation_record(state: CaseState, names: Names, committee: str, number: str) -> Paper:
    sections = []
    for n, m in enumerate(state.mediations, start=1):
        result = "达成协议" if m.agreement_reached else "未达成协议"
        text = f"时间：{_time(m.at, state)}；方式：{METHOD[m.method]}；结果：{result}。"
        if m.disputes:
            text += f"\n争议事项：{m.disputes}"
        if m.terms:
            text += f"\n协议内容：{m.terms}"
        sections.append((f"第{n}次调解", text))
    replies = [(names.department(t.department), t.reply_summary) for t in state.tasks if t.reply_summary]
    if replies:
        sections.append(("相关单位答复", "\n".join(f"{d}：{s}" for d, s in replies)))
    return _paper(DocumentKind.mediation_record, state, committee, number,
                  paper_date(DocumentKind.mediation_record, state), parties=True,
                  fields=[["案由", state.title], ["纠纷类别", names.category(state.category)]],
                  sections=sections, signatures=[*_party_signatures(state), "人民调解员（签名）", "记录人（签名）"])


def agreement(state: CaseState, names: Names, committee: str, number: str) -> Paper:
    """人民调解法 Art. 29: the parties' details, the facts, the points in dispute and responsibility, the terms,
    how and by when they are carried out; then the signature lines and the committee's seal."""
    m = state.agreement
    assert m is not None  # the domain refuses an agreement without one (domain.papers.missing_for)
    how = m.performance_method or "按上述协议内容履行"
    by = f"，于{_day(m.performance_due, state)}前履行完毕" if m.performance_due else ""
    return _paper(DocumentKind.agreement, state, committee, number, m.at, parties=True, sections=[
        ("纠纷主要事实", state.description),
        ("争议事项及各方责任", m.disputes or "—"),
        ("经调解，双方当事人自愿达成如下协议", m.terms or "—"),
        ("履行方式、时限", how + by),
    ], closing=AGREEMENT_CLOSING,
        signatures=[*_party_signatures(state), "人民调解员（签名）", f"{committee}（印章）"])


def supervision_notice(state: CaseState, names: Names, committee: str, number: str) -> Paper:
    warned = [e for e in state.escalations if e.level >= 2]
    lines = [f"{names.department(e.department) if e.department else '本中心'}：{CLOCK[e.clock]}已超时，"
             f"{LEVEL[e.level]}（{_time(e.at, state)}）" for e in warned]
    sections = [("督办事项", "\n".join(lines) or "—")]
    if state.listing is not None:
        leader = names.person(state.listing.leader_user) if state.listing.leader_user else state.listing.leader
        sections.append(("挂牌督办", f"包案领导：{leader}；原因：{state.listing.reason}"))
    sections.append(("督办要求", "请责任单位收到本通知后立即办理，并将办理情况报综治中心。"))
    return _paper(DocumentKind.supervision_notice, state, committee, number,
                  paper_date(DocumentKind.supervision_notice, state),
                  fields=[["案由", state.title], ["风险等级", RISK[state.risk_level]]],
                  sections=sections, signatures=["督办单位（印章）", "签收人（签名）"])


def _performance_text(state: CaseState) -> str:
    lines = []
    for p in state.performances:
        status = "待履行" if p.performed is None else ("已履行" if p.performed else "未履行")
        lines.append(f"履行期限 {_day(p.due_at, state)}：{status}" + (f"（{p.note}）" if p.note else ""))
    return "\n".join(lines) or "—"


def _confirmation_text(state: CaseState, names: Names) -> str:
    c = state.judicial_confirmation
    if c is None:
        return "—"
    text = f"申请期限：{_day(c.window_due_at, state)}前。"
    if c.applied_at is not None:
        text += f"\n{_day(c.applied_at, state)}向{names.department(c.court_department or '')}申请。"
    if c.confirmed is not None:
        ruling = f"（{c.ruling_no}）" if c.ruling_no else ""
        text += f"\n{'确认有效' if c.confirmed else '不予确认'}{ruling}。"
    return text


def follow_up_record(state: CaseState, names: Names, committee: str, number: str) -> Paper:
    sections = [(f"第{n}次回访", f"时间：{_time(f.at, state)}；当事人评价：{SATISFACTION[f.satisfaction]}"
                 + (f"\n情况：{f.note}" if f.note else "")) for n, f in enumerate(state.follow_ups, start=1)]
    sections.append(("协议履行情况", _performance_text(state)))
    return _paper(DocumentKind.follow_up_record, state, committee, number,
                  paper_date(DocumentKind.follow_up_record, state),
                  fields=[["案由", state.title], ["处理结果", OUTCOME[state.outcome] if state.outcome else "—"]],
                  sections=sections, signatures=["回访人（签名）"])


BUILDERS = {DocumentKind.registration: registration, DocumentKind.mediation_record: mediation_record,
            DocumentKind.agreement: agreement, DocumentKind.supervision_notice: supervision_notice,
            DocumentKind.follow_up_record: follow_up_record}


def record_date(state: CaseState) -> datetime | None:
    """The last date of the record itself (not of the papers issued from it): the case file's date."""
    dates = [d for d in (state.received_at, state.archived_at) if d is not None]
    dates += [m.at for m in state.mediations] + [f.at for f in state.follow_ups] + [e.at for e in state.escalations]
    dates += [p.recorded_at for p in state.performances if p.recorded_at is not None]
    c = state.judicial_confirmation
    dates += [c.decided_at] if c is not None and c.decided_at is not None else []
    return max(dates, default=None)


def case_file(state: CaseState, names: Names, committee: str, number: str) -> dict[str, Any]:
    """卷宗: cover, contents, then the papers in the standard order, the performance and 司法确认 papers, and the
    list of what was issued and attached, each with its SHA-256."""
    kinds = [k for k in BUILDERS if _has(state, k)]
    papers: list[Paper] = [BUILDERS[k](state, names, committee, number) for k in kinds]
    papers.append(_paper(DocumentKind.case_file, state, committee, number, record_date(state), sections=[
        ("协议履行情况", _performance_text(state)), ("司法确认", _confirmation_text(state, names))]))
    papers[-1]["title"] = "履行及司法确认情况"
    issued = [f"{DOCUMENT[d.kind]}（{_day(d.issued_at, state)}）sha256 {d.sha256}"
              for d in state.documents if d.kind is not DocumentKind.case_file]
    signed = [f"当事人签字协议书扫描件 sha256 {sha}" for sha, _ in state.signed_agreements]
    attached = [f"{a.name} sha256 {a.sha256}" for a in state.attachments
                if a.sha256 not in {sha for sha, _ in state.signed_agreements}]
    papers.append(_paper(DocumentKind.case_file, state, committee, number, record_date(state), sections=[
        ("已出具文书", "\n".join(issued) or "—"), ("当事人签字协议书", "\n".join(signed) or "—"),
        ("其他附件", "\n".join(attached) or "—")]))
    papers[-1]["title"] = "文书及附件清单"
    cover = {"title": "人民调解卷宗", "number": number, "fields": [
        ["案由", state.title], ["调解组织", committee], ["当事人", "、".join(p.name for p in state.parties)],
        ["受理日期", _day(state.received_at, state)], ["办结日期", _day(record_date(state), state)],
        ["处理结果", OUTCOME[state.outcome] if state.outcome else "—"]]}
    return {"title": f"人民调解卷宗 {number}", "committee": committee, "cover": cover, "papers": papers}


def _has(state: CaseState, kind: DocumentKind) -> bool:
    return missing_for(state, kind) is None


def paper_data(kind: DocumentKind, state: CaseState, names: Names, committee: str, number: str) -> dict[str, Any]:
    """The template's data for one kind of paper (the case file bundles the others)."""
    if kind is DocumentKind.case_file:
        return case_file(state, names, committee, number)
    paper = BUILDERS[kind](state, names, committee, number)
    return {"title": f"{paper['title']} {number}", "committee": committee, "cover": None, "papers": [paper]}


def paper_date(kind: DocumentKind, state: CaseState) -> datetime | None:
    """The PDF's own creation date: the date of the part of the record the paper is of."""
    match kind:
        case DocumentKind.registration:
            return state.received_at
        case DocumentKind.mediation_record:
            return state.mediations[-1].at if state.mediations else None
        case DocumentKind.agreement:
            return state.agreement.at if state.agreement is not None else None
        case DocumentKind.supervision_notice:
            return max([e.at for e in state.escalations if e.level >= 2]
                       + ([state.listing.since] if state.listing else []), default=None)
        case DocumentKind.follow_up_record:
            return state.follow_ups[-1].at if state.follow_ups else None
    return record_date(state)
