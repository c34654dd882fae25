"""The case's mediation papers in the workbench: 出具协议书 and the others (issued from the record, numbered,
recorded), 预览 (the paper as it would be issued, nothing recorded) and 下载 (the PDF as issued). Thin: the rules are
in application/documents.py and the domain."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from application import documents as papers
from application.attachments import MAX_BYTES, add_attachment
from application.errors import Forbidden, InvalidInput, NotFound, Refused, TooLarge, UnsupportedType
from domain.vocabulary import DocumentKind, Role
from entrypoints.workbench import labels
from entrypoints.workbench.messages import chinese, department_namer
from entrypoints.workbench.session import Session
from entrypoints.workbench.web import PageError, WorkbenchRoute, csrf_checked, go, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
READERS = (Role.mediator, Role.supervisor, Role.auditor)


def _kind(kind: str) -> DocumentKind:
    try:
        return DocumentKind(kind)
    except ValueError as exc:
        raise PageError(404, "没有这种文书", f"没有文书「{kind[:40]}」。") from exc


def _pdf(content: bytes, filename: str, *, inline: bool) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


def _page_error(exc: Exception, case_id: str) -> PageError:
    if isinstance(exc, NotFound):
        return PageError(404, "没有找到", f"找不到案件 {case_id} 或其文书。")
    if isinstance(exc, Forbidden):
        return PageError(403, "无权访问", "您不能查看或出具此案件的文书。")
    return PageError(409, "暂不能出具", chinese(exc))


@router.post("/cases/{case_id}/papers/{kind}", include_in_schema=False)
async def issue(request: Request, case_id: str, kind: str, who: Session = Depends(csrf_checked)) -> Response:
    svc = services(request)
    paper = _kind(kind)
    try:
        await papers.issue_document(svc, who.actor, case_id, paper)
    except Refused as exc:  # the domain's reason, in Chinese: nothing was issued
        raise PageError(409, f"未能{labels.PAPER_BUTTON[paper]}", chinese(exc, department_namer(svc.org))) \
            from exc
    except (NotFound, Forbidden) as exc:
        raise _page_error(exc, case_id) from exc
    return go(f"/cases/{case_id}?done={labels.PAPER_BUTTON[paper]}#papers-h")


@router.get("/cases/{case_id}/papers/{kind}/preview", include_in_schema=False)
async def preview(request: Request, case_id: str, kind: str,
                  who: Session = Depends(role_in(Role.mediator))) -> Response:
    paper = _kind(kind)
    try:
        content = await papers.preview_document(services(request), who.actor, case_id, paper)
    except (NotFound, Forbidden, Refused) as exc:
        raise _page_error(exc, case_id) from exc
    return _pdf(content, f"{case_id}-{paper.value}-预览.pdf", inline=True)


@router.get("/cases/{case_id}/papers/file/{document_id}", include_in_schema=False)
async def download(request: Request, case_id: str, document_id: str,
                   who: Session = Depends(role_in(*READERS))) -> Response:
    try:
        pdf = await papers.read_document(services(request), who.actor, case_id, document_id)
    except (NotFound, Forbidden, Refused) as exc:
        raise _page_error(exc, case_id) from exc
    return _pdf(pdf.content, pdf.filename, inline=False)


@router.post("/cases/{case_id}/signed-agreement", include_in_schema=False)
async def file_signed_agreement(request: Request, case_id: str, who: Session = Depends(csrf_checked)) -> Response:
    """上传签字版: the parties' signed scan, tied to the issued agreement."""
    svc = services(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise PageError(422, "未选择文件", "请选择协议书签字版文件（PDF 或照片）。")
    content = await upload.read(MAX_BYTES + 1)
    media_type = (upload.content_type or "").split(";")[0].strip().lower()
    try:
        await add_attachment(svc, who.actor, case_id, upload.filename, media_type, content, kind="signed_agreement")
    except TooLarge as exc:
        raise PageError(413, "文件太大", f"签字版文件最大 {MAX_BYTES // (1024 * 1024)} MB。") from exc
    except UnsupportedType as exc:
        raise PageError(415, "文件类型不支持", "请上传 PDF、JPEG 或 PNG 格式的签字版。") from exc
    except (Refused, InvalidInput) as exc:
        raise PageError(409, "未能上传签字版", chinese(exc, department_namer(svc.org))) from exc
    except (NotFound, Forbidden) as exc:
        raise _page_error(exc, case_id) from exc
    return go(f"/cases/{case_id}?done=上传签字版")
