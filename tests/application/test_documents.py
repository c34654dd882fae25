"""Mediation papers over the real servers: each paper's text read back from the PDF (pdftotext) holds the parties,
the terms and the number; the same request twice gives the same bytes and the recorded hash; numbers are gap-free
per committee and year under concurrent issue; refusals and who may read."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from application.case_client import CaseClient
from application.cases import Application, Intake
from application.documents import issue_document, list_documents, read_document
from application.errors import Forbidden, NotFound, Refused
from bootstrap import build_application
from domain.commands import AcknowledgeTask, RecordMediation, ReplyTask
from domain.events import Actor, Party
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY
from domain.vocabulary import Channel, DocumentKind, MediationMethod, PartyRole, Role

MEDIATOR = Actor(role=Role.mediator, id="m-papers", department="dept-donghu-zongzhi", name="王丽")
AUDITOR = Actor(role=Role.auditor, id="a-papers")
LEAD = "dept-donghu-huayuan-committee"
LIAISON = Actor(role=Role.liaison, id="l-papers", department=LEAD)
TERMS = "李四于2026年12月31日前一次性赔偿张三维修费3000元"


@pytest.fixture
def app(pool: asyncpg.Pool, temporal_client, cases: CaseClient) -> Application:  # type: ignore[no-untyped-def]
    return build_application(pool, temporal_client, cases.task_queue, org=demo_organisation(), policy=DEFAULT_POLICY)


def text_of(pdf: bytes) -> str:
    """The PDF's text, without the spaces pdftotext puts between Chinese and digits or at line ends."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())


async def new_case(app: Application, grid: str = "grid-donghu-huayuan-1") -> str:
    tag = uuid.uuid4().hex[:6]
    received = await app.receive(MEDIATOR, Intake(
        title="楼上漏水", description="楼上卫生间漏水，天花板渗水三周", category="leak", channel=Channel.walk_in,
        grid_id=grid, parties=(Party(name=f"张三{tag}", role=PartyRole.applicant, phone="13800001234",
                                     id_number="110101199001011234"),
                               Party(name=f"李四{tag}", role=PartyRole.respondent))))
    return received.case_id


async def agreed_case(app: Application) -> str:
    case_id = await new_case(app)
    state = await app.get_case(MEDIATOR, case_id)
    await app.route(MEDIATOR, case_id, LEAD)
    task_id = f"{case_id}-T1"
    await app.act(LIAISON, case_id, AcknowledgeTask(task_id=task_id))
    await app.act(LIAISON, case_id, ReplyTask(task_id=task_id, summary="已组织双方调解"))
    await app.act(MEDIATOR, case_id, RecordMediation(
        method=MediationMethod.people, agreement_reached=True, terms=TERMS, disputes="漏水责任在李四一方",
        performance_method="银行转账", performance_due=datetime.now(UTC) + timedelta(days=20)))
    assert state.parties
    return case_id


async def test_the_agreement_reads_back_with_parties_terms_and_number(app: Application) -> None:
    case_id = await agreed_case(app)
    state = await app.get_case(MEDIATOR, case_id)
    issued = await issue_document(app, MEDIATOR, case_id, DocumentKind.agreement)
    assert issued.done is not None and issued.done.events == ["DocumentIssued", "JudicialConfirmationWindowOpened"]
    number = issued.document.number
    assert number.startswith(f"（{datetime.now(UTC).year}）东湖人调字第") and number.endswith("号")
    pdf = await read_document(app, AUDITOR, case_id, issued.document.document_id)
    assert hashlib.sha256(pdf.content).hexdigest() == issued.document.sha256
    text = text_of(pdf.content)
    for expected in (number, state.parties[0].name, state.parties[1].name, TERMS, "漏水责任在李四一方", "银行转账",
                     "人民调解协议书", "东湖街道人民调解委员会", "110101199001011234", "人民调解员（签名）",
                     "东湖街道人民调解委员会（印章）"):
        assert expected in text, expected
    # the same request again: the same bytes, nothing new recorded
    again = await issue_document(app, MEDIATOR, case_id, DocumentKind.agreement)
    assert again.done is None and again.document == issued.document
    # every paper of the case carries the one number; the case file bundles them
    for kind in (DocumentKind.registration, DocumentKind.mediation_record):
        other = await issue_document(app, MEDIATOR, case_id, kind)
        assert other.document.number == number
    case_file = await issue_document(app, MEDIATOR, case_id, DocumentKind.case_file)
    bundled = text_of((await read_document(app, MEDIATOR, case_id, case_file.document.document_id)).content)
    for expected in ("人民调解卷宗", "卷内目录", "人民调解登记表", "人民调解记录", "人民调解协议书", TERMS, number,
                     "文书及附件清单", issued.document.sha256):
        assert expected in bundled, expected
    assert (await issue_document(app, MEDIATOR, case_id, DocumentKind.case_file)).done is None
    assert [d.kind for d in await list_documents(app, AUDITOR, case_id)] == [
        DocumentKind.agreement, DocumentKind.registration, DocumentKind.mediation_record, DocumentKind.case_file]


async def test_papers_the_record_cannot_give_are_refused_and_readers_are_checked(app: Application) -> None:
    case_id = await new_case(app)
    with pytest.raises(Refused, match="no mediation reached an agreement"):
        await issue_document(app, MEDIATOR, case_id, DocumentKind.agreement)
    with pytest.raises(Refused, match="warned or listed"):
        await issue_document(app, MEDIATOR, case_id, DocumentKind.supervision_notice)
    with pytest.raises(Forbidden):
        await issue_document(app, LIAISON, case_id, DocumentKind.registration)
    issued = await issue_document(app, MEDIATOR, case_id, DocumentKind.registration)
    with pytest.raises(Forbidden):
        await read_document(app, LIAISON, case_id, issued.document.document_id)
    with pytest.raises(NotFound):
        await read_document(app, MEDIATOR, case_id, f"{case_id}-D9")
    with pytest.raises(NotFound):
        await read_document(app, MEDIATOR, "C-nonexistent", issued.document.document_id)


async def test_numbers_have_no_gaps_under_concurrent_issue(app: Application, pool: asyncpg.Pool) -> None:
    case_ids = await asyncio.gather(*(new_case(app, "grid-xicheng-taoyuan-1") for _ in range(6)))
    issued = await asyncio.gather(*(issue_document(app, MEDIATOR, c, DocumentKind.registration) for c in case_ids))
    # and the same cases again, concurrently: each keeps its number
    again = await asyncio.gather(*(issue_document(app, MEDIATOR, c, DocumentKind.registration) for c in case_ids))
    assert [i.document.number for i in again] == [i.document.number for i in issued]
    # one paper asked for three times at once is issued once
    same = await asyncio.gather(*(issue_document(app, MEDIATOR, case_ids[0], DocumentKind.case_file) for _ in range(3)))
    assert len({s.document.document_id for s in same}) == 1 and sum(s.done is not None for s in same) == 1
    numbers = [i.document.number for i in issued]
    assert len(set(numbers)) == len(numbers) and all("西城人调字" in n for n in numbers)
    year = datetime.now(UTC).astimezone().year
    seqs = [r["seq"] for r in await pool.fetch(
        "SELECT seq FROM case_numbers WHERE committee = 'st-xicheng' AND year = $1 ORDER BY seq", year)]
    assert seqs == list(range(1, len(seqs) + 1))  # the committee's year: 1, 2, 3, … without a gap
