"""Mediation papers (协议书, 登记表, 调解记录, 督办通知单, 回访记录, 卷宗): issue one from the case's record, list them,
read one back; 履行 and 司法确认 recorded.

A paper is rendered as PDF (infra/pdf.py) from the case's record alone, stored under its SHA-256 beside the
attachments (``attachment_blobs``), and recorded by the case workflow as ``DocumentIssued`` with that hash. The
same case and kind render the same bytes: asking again answers the paper already issued and records nothing;
a paper whose part of the record has changed since is issued anew, under the same number."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from application.access import require_role
from application.access_log import record_access
from application.cases import Application, Done
from application.errors import NotFound, Refused
from application.papers import paper_data, paper_date
from application.supervision import COURT_KIND
from domain.actions import available_papers as domain_available_papers
from domain.actions import may_file_signed_agreement as domain_may_file_signed_agreement
from domain.case import CaseState, IssuedDocument, named_people
from domain.commands import (
    ApplyJudicialConfirmation,
    DecideJudicialConfirmation,
    IssueDocument,
    RecordPerformance,
)
from domain.describe import Names, case_timezone
from domain.events import Actor
from domain.organisation import JurisdictionLevel, Organisation, UnknownId
from domain.papers import case_number_text, committee_short_name, missing_for
from domain.vocabulary import DocumentKind, Role
from infra.blobs import read_blob, store_blob
from infra.case_numbers import allocate_case_number
from infra.papers import template
from infra.pdf import render_pdf
from infra.read_models import case_state_json, names_of

ISSUE_DOCUMENTS = frozenset({Role.mediator})
READ_DOCUMENTS = frozenset({Role.mediator, Role.supervisor, Role.auditor})


@dataclass(frozen=True)
class Committee:
    """The people's mediation committee numbering a case: the street (or town) of the case's grid."""

    id: str
    name: str  # 东湖街道人民调解委员会
    short: str  # 东湖


@dataclass(frozen=True)
class Issued:
    document: IssuedDocument
    done: Done | None  # None: these very bytes were already issued, nothing new was recorded


@dataclass(frozen=True)
class Pdf:
    document: IssuedDocument
    content: bytes

    @property
    def filename(self) -> str:
        return f"{self.document.document_id}-{self.document.kind.value}.pdf"


def committee_of(org: Organisation, grid_id: str) -> Committee:
    try:
        chain = org.ancestors(grid_id)
    except UnknownId:
        chain = []
    place = next((j for j in chain if j.level is JurisdictionLevel.street), chain[0] if chain else None)
    if place is None:
        return Committee(id=grid_id or "unknown", name="人民调解委员会", short="")
    return Committee(id=place.id, name=f"{place.name}人民调解委员会", short=committee_short_name(place.name))


def render(state: CaseState, kind: DocumentKind, org: Organisation, committee: Committee, number: str,
           people: dict[str, str] | None = None) -> bytes:
    """The paper's PDF: a pure function of the record, the organisation's names, the names of the people the
    record names by id (a listing's leader user) and the number."""
    return render_pdf(template(), paper_data(kind, state, Names(org, people), committee.name, number),
                      date=paper_date(kind, state))


async def _number(app: Application, state: CaseState, committee: Committee) -> str:
    if state.case_number is not None:
        return state.case_number
    received = state.received_at or app.clock()
    year = received.astimezone(case_timezone(state)).year  # the year the case was received
    return await allocate_case_number(app.pool, state.case_id, committee.id, year,
                                      lambda seq: case_number_text(year, committee.short, seq))


async def issue_document(app: Application, actor: Actor, case_id: str, kind: DocumentKind,
                         request_id: str | None = None) -> Issued:
    require_role(actor, ISSUE_DOCUMENTS)
    state = await app.get_case(actor, case_id)
    missing = missing_for(state, kind)
    if missing is not None:
        raise Refused(missing, "paper_not_ready", {"kind": kind.value})
    if state.stage.value == "archived":
        raise Refused("the case is archived: its record is sealed", "archived")
    committee = committee_of(app.org, state.grid_id)
    number = await _number(app, state, committee)
    pdf = render(state, kind, app.org, committee, number, await names_of(app.pool, named_people(state)))
    sha256 = hashlib.sha256(pdf).hexdigest()
    latest = state.latest_document(kind)
    if latest is not None and latest.sha256 == sha256:
        return Issued(document=latest, done=None)
    await store_blob(app.pool, sha256, pdf)  # before the event that names it: a hash never points at nothing
    command = IssueDocument(document=kind, number=number, sha256=sha256, size=len(pdf))
    try:
        done = await app.act(actor, case_id, command, request_id)
    except Refused:
        # the same paper issued by a request at the same moment: answered as the paper already issued. The
        # workflow refused this one only after that request's events were stored, but that request may not have
        # projected them yet: catch up first, or the read models would still show no such paper.
        await app.projector.catch_up()
        now_issued = (await app.get_case(actor, case_id)).latest_document(kind)
        if now_issued is None or now_issued.sha256 != sha256:
            raise
        return Issued(document=now_issued, done=None)
    after = await app.get_case(actor, case_id)
    issued = next(d for d in reversed(after.documents) if d.kind is kind and d.sha256 == sha256)
    return Issued(document=issued, done=done)


def available_papers(app: Application, state: CaseState, actor: Actor) -> list[DocumentKind]:
    """The papers this person may issue from the case's record now (the workbench's 出具 buttons)."""
    return domain_available_papers(state, actor, app.clock())


def may_file_signed_agreement(app: Application, state: CaseState, actor: Actor) -> bool:
    """Whether this person may upload the parties' signed scan of the issued agreement now (上传签字版)."""
    return domain_may_file_signed_agreement(state, actor, app.clock())


def courts(org: Organisation) -> list[tuple[str, str]]:
    """The courts (人民法庭) 司法确认 can be applied to: (id, name)."""
    return [(d.id, d.name) for d in org.departments if d.kind == COURT_KIND]


async def list_documents(app: Application, actor: Actor, case_id: str) -> tuple[IssuedDocument, ...]:
    require_role(actor, READ_DOCUMENTS)
    return (await app.case_for_work(actor, case_id)).documents  # the list names no party: nothing to record


async def read_document(app: Application, actor: Actor, case_id: str, document_id: str) -> Pdf:
    """The PDF as issued, re-hashed on the way out. Papers carry the parties in full: each read is logged."""
    require_role(actor, READ_DOCUMENTS)
    state = await app.case_for_work(actor, case_id)  # the download itself is what gets recorded, once
    document = state.document(document_id)
    if document is None:
        raise NotFound(f"case {case_id} has no document {document_id[:100]}", "no_document")
    content = await read_blob(app.pool, document.sha256)
    if content is None or hashlib.sha256(content).hexdigest() != document.sha256:
        raise Refused(f"the stored paper {document.sha256} is missing or no longer matches its hash: "
                      "report it to an auditor", "paper_damaged")
    await record_access(app.pool, actor, case_id, f"document {document_id}")
    return Pdf(document=document, content=content)


async def preview_document(app: Application, actor: Actor, case_id: str, kind: DocumentKind) -> bytes:
    """The paper as it would be issued now, without numbering or recording anything (the workbench's 预览)."""
    require_role(actor, ISSUE_DOCUMENTS)
    state = await app.get_case(actor, case_id)
    missing = missing_for(state, kind)
    if missing is not None:
        raise Refused(missing, "paper_not_ready", {"kind": kind.value})
    committee = committee_of(app.org, state.grid_id)
    return render(state, kind, app.org, committee, state.case_number or "（待编号）",
                  await names_of(app.pool, named_people(state)))


async def record_performance(app: Application, actor: Actor, case_id: str, performed: bool, note: str | None,
                             performance_due: datetime | None = None, request_id: str | None = None) -> Done:
    return await app.act(actor, case_id, RecordPerformance(performed=performed, note=note,
                                                           performance_due=performance_due), request_id)


async def apply_for_judicial_confirmation(app: Application, actor: Actor, case_id: str, court_department: str,
                                          applied_at: datetime, request_id: str | None = None) -> Done:
    # the court is checked (it exists, it is a 人民法庭) with the other departments a command names
    return await app.act(actor, case_id, ApplyJudicialConfirmation(court_department=court_department,
                                                                   applied_at=applied_at), request_id)


async def decide_judicial_confirmation(app: Application, actor: Actor, case_id: str, confirmed: bool,
                                       ruling_no: str | None, note: str | None, request_id: str | None = None) -> Done:
    return await app.act(actor, case_id, DecideJudicialConfirmation(confirmed=confirmed, ruling_no=ruling_no,
                                                                    note=note), request_id)


# --- for the command line: the stack's database only (no workflow is asked anything) ------------------------


async def _stored_state(pool: asyncpg.Pool, case_id: str) -> CaseState:
    raw = await case_state_json(pool, case_id) if len(case_id) <= 100 else None
    if raw is None:
        raise NotFound(f"no case {case_id[:100]}", "no_case", {"case": case_id[:100]})
    return CaseState.model_validate_json(raw)


async def stored_papers(pool: asyncpg.Pool, case_id: str) -> tuple[IssuedDocument, ...]:
    """The papers issued on a case, as the read models hold them (``liandiao papers list``)."""
    return (await _stored_state(pool, case_id)).documents


async def stored_paper(pool: asyncpg.Pool, actor: Actor, case_id: str, document_id: str) -> Pdf:
    """One paper's PDF, re-hashed; the read is logged (it carries the parties in full)."""
    state = await _stored_state(pool, case_id)
    document = state.document(document_id)
    if document is None:
        raise NotFound(f"case {case_id} has no document {document_id[:100]}", "no_document")
    content = await read_blob(pool, document.sha256)
    if content is None or hashlib.sha256(content).hexdigest() != document.sha256:
        raise Refused(f"the stored paper {document.sha256} is missing or no longer matches its hash", "paper_damaged")
    await record_access(pool, actor, case_id, f"document {document_id}")
    return Pdf(document=document, content=content)
