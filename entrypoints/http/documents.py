"""Mediation papers and what an agreement leaves to watch (docs/api.md §9): POST/GET /cases/{id}/documents,
GET .../documents/{document_id} (the PDF), POST .../performance, .../judicial-confirmation and its decision.
Wiring only: the rules are in ``application.documents`` and the domain."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from application import documents as papers
from application import schemas as s
from application.cases import Application, Done
from domain.commands import ApplyJudicialConfirmation, DecideJudicialConfirmation, RecordPerformance
from domain.decide import roles_for
from entrypoints.http.context import Caller, idempotent, roles, services

router = APIRouter(prefix="/cases", tags=["mediation papers"])
Svc = Annotated[Application, Depends(services)]


def _done(done: Done) -> tuple[int, Any]:
    return 200, s.ActionDone(case_id=done.case_id, stage=done.stage, version=done.version,
                             events=done.events).model_dump(mode="json")


@router.post("/{case_id}/documents", status_code=201, response_model=s.DocumentView,
             summary="出具文书: issue a paper (PDF) from the case's record")
async def issue(request: Request, case_id: str, body: s.DocumentIn, svc: Svc,
                who: Caller = Depends(roles(papers.ISSUE_DOCUMENTS))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        issued = await papers.issue_document(svc, who.actor, case_id, body.kind, update_id)
        return 201, s.DocumentView(**issued.document.model_dump()).model_dump(mode="json")

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.get("/{case_id}/documents", response_model=list[s.DocumentView], summary="文书: the papers issued")
async def list_documents(case_id: str, svc: Svc,
                         who: Caller = Depends(roles(papers.READ_DOCUMENTS))) -> list[s.DocumentView]:
    return [s.DocumentView(**d.model_dump()) for d in await papers.list_documents(svc, who.actor, case_id)]


@router.get("/{case_id}/documents/{document_id}", summary="文书: the PDF as issued (its SHA-256 is the recorded one)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def read_document(case_id: str, document_id: str, svc: Svc,
                        who: Caller = Depends(roles(papers.READ_DOCUMENTS))) -> Response:
    pdf = await papers.read_document(svc, who.actor, case_id, document_id)
    return Response(pdf.content, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(pdf.filename)}",
        "X-Content-Type-Options": "nosniff", "ETag": f'"{pdf.document.sha256}"',
        "Cache-Control": "private, max-age=0"})


@router.post("/{case_id}/performance", response_model=s.ActionDone, summary="履行: record the agreement's performance")
async def performance(request: Request, case_id: str, body: s.PerformanceIn, svc: Svc,
                      who: Caller = Depends(roles(roles_for(RecordPerformance)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await papers.record_performance(svc, who.actor, case_id, body.performed, body.note,
                                                     body.performance_due, update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{case_id}/judicial-confirmation", response_model=s.ActionDone,
             summary="司法确认: the parties applied to the court")
async def judicial_confirmation(request: Request, case_id: str, body: s.JudicialConfirmationIn, svc: Svc,
                                who: Caller = Depends(roles(roles_for(ApplyJudicialConfirmation)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await papers.apply_for_judicial_confirmation(svc, who.actor, case_id, body.court_department,
                                                                  body.applied_at, update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)


@router.post("/{case_id}/judicial-confirmation/decision", response_model=s.ActionDone,
             summary="司法确认: the court's ruling")
async def judicial_decision(request: Request, case_id: str, body: s.JudicialDecisionIn, svc: Svc,
                            who: Caller = Depends(roles(roles_for(DecideJudicialConfirmation)))) -> JSONResponse:
    async def run(update_id: str | None) -> tuple[int, Any]:
        return _done(await papers.decide_judicial_confirmation(svc, who.actor, case_id, body.confirmed,
                                                               body.ruling_no, body.note, update_id))

    return await idempotent(request, who, body.model_dump(mode="json"), run)
