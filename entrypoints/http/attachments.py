"""Attachment routes: POST /cases/{case_id}/attachments (multipart, field ``file``) and
GET /cases/{case_id}/attachments/{sha256}. Wiring only: the rules are in ``application.attachments``."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from application import access
from application.attachments import MAX_BYTES, add_attachment, read_attachment
from application.cases import Application
from domain.commands import AddAttachment
from domain.decide import roles_for
from entrypoints.http.context import Caller, idempotent, roles, services
from entrypoints.http.problems import Problem

router = APIRouter(prefix="/cases", tags=["attachments"])
Svc = Annotated[Application, Depends(services)]
_MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around the one file


_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "a PDF, JPEG, PNG or text file; its type is checked on its bytes"}}}}}}}


@router.post("/{case_id}/attachments", status_code=201, summary="附件: attach a file (multipart, field `file`)",
             openapi_extra=_UPLOAD_BODY)
async def upload(request: Request, case_id: str, svc: Svc,
                 who: Caller = Depends(roles(roles_for(AddAttachment)))) -> JSONResponse:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise Problem(411, "a Content-Length header is needed for an upload")
    if int(length) > MAX_BYTES + _MULTIPART_OVERHEAD:
        raise Problem(413, f"the upload has {length} bytes; a file may have at most {MAX_BYTES}")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Problem(415, "send the file as multipart/form-data, in a field named file")
    async with request.form(max_files=1, max_fields=5) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise Problem(422, "file: a file field named file is needed")
        content = await file.read(MAX_BYTES + 1)
        name, media_type = file.filename or "", (file.content_type or "").split(";")[0].strip().lower()
        kind, document_id = form.get("kind"), form.get("document_id")  # a signed agreement names its agreement
        kind = kind if isinstance(kind, str) and kind else None
        document_id = document_id if isinstance(document_id, str) and document_id else None

    async def run(update_id: str | None) -> tuple[int, Any]:
        added = await add_attachment(svc, who.actor, case_id, name, media_type, content, update_id, kind=kind,
                                     document_id=document_id)
        return 201, {"case_id": added.done.case_id, "stage": added.done.stage.value, "version": added.done.version,
                     "events": added.done.events, "attachment": {
                         "sha256": added.sha256, "name": added.name, "media_type": added.media_type,
                         "size": added.size}}

    body = {"name": name, "media_type": media_type, "sha256": hashlib.sha256(content).hexdigest(), "kind": kind,
            "document_id": document_id}
    return await idempotent(request, who, body, run)


@router.get("/{case_id}/attachments/{sha256}", summary="附件: read an attached file")
async def download(case_id: str, sha256: str, svc: Svc,
                   who: Caller = Depends(roles(access.READ_CASES))) -> Response:
    file = await read_attachment(svc, who.actor, case_id, sha256)
    return Response(file.content, media_type=file.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.name)}",
        "X-Content-Type-Options": "nosniff", "ETag": f'"{sha256}"', "Cache-Control": "private, max-age=0"})
