"""Attachments (调解协议书, 笔录, photos): add a file to a case, read it back.

The content is stored once, addressed by its SHA-256 (``attachment_blobs``, migration 017); the case workflow,
the single writer of the case's stream, records an ``AttachmentAdded`` event with the hash through the usual
``act`` update, so the file is fixed in the case's hash chain and the transparency log."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from application.access import READ_CASES, require_role
from application.access_log import record_access
from application.cases import Application, Done
from application.errors import Forbidden, InvalidInput, NotFound, Refused, TooLarge, UnsupportedType, from_domain
from domain.commands import AddAttachment
from domain.decide import ActionRefused, NotPermitted, authorize
from domain.events import Actor
from infra.blobs import read_blob, store_blob

MAX_BYTES = 20 * 1024 * 1024
# Accepted types and the first bytes their content must start with (a file is refused when it does not).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),  # .docx
}


@dataclass(frozen=True)
class Added:
    done: Done
    sha256: str
    name: str
    media_type: str
    size: int


@dataclass(frozen=True)
class File:
    name: str
    media_type: str
    content: bytes


def clean_name(name: str) -> str:
    """The file's own name: no folders, no control characters, 1 to 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or len(base) > 200 or any(unicodedata.category(c).startswith("C") for c in base):
        raise InvalidInput("a file name of 1 to 200 printable characters is needed", "file")
    return base


def check_content(media_type: str, content: bytes) -> None:
    if len(content) > MAX_BYTES:
        raise TooLarge(f"the file has {len(content)} bytes; at most {MAX_BYTES} are accepted")
    if not content:
        raise InvalidInput("the file is empty", "file")
    signatures = SIGNATURES.get(media_type)
    if signatures is None:
        raise UnsupportedType(f"{media_type} is not accepted; use one of {', '.join(sorted(SIGNATURES))}")
    if not content.startswith(signatures):
        raise UnsupportedType(f"the file's content is not {media_type}")


ATTACHMENT_KINDS = ("signed_agreement",)  # the parties' signed scan of the issued agreement (协议书签字版)


async def add_attachment(app: Application, actor: Actor, case_id: str, name: str, media_type: str,
                         content: bytes, request_id: str | None = None, *, kind: str | None = None,
                         document_id: str | None = None) -> Added:
    """Store the content (once per hash) and have the case workflow record it. ``kind`` "signed_agreement"
    ties it to the issued agreement ``document_id`` (default: the latest one)."""
    check_content(media_type, content)
    if kind is not None and kind not in ATTACHMENT_KINDS:
        raise InvalidInput(f"unknown kind {kind[:40]!r}; known: {', '.join(ATTACHMENT_KINDS)}", "kind")
    if document_id is not None and (kind is None or not 1 <= len(document_id) <= 200):
        raise InvalidInput("a document_id (1 to 200 characters) goes with kind signed_agreement", "document_id")
    command = AddAttachment(sha256=hashlib.sha256(content).hexdigest(), name=clean_name(name),
                            media_type=media_type, size=len(content),
                            attachment_kind="signed_agreement" if kind else None, document_id=document_id)
    state = await app.case_for_work(actor, case_id) if actor.role in READ_CASES else None
    if state is None:
        raise Forbidden(f"a {actor.role.value} may not attach files", "may_not_attach", {"role": actor.role.value})
    try:
        authorize(state, command, actor)  # before storing anything
    except (ActionRefused, NotPermitted) as exc:
        raise from_domain(exc) from exc
    await store_blob(app.pool, command.sha256, content)
    done = await app.act(actor, case_id, command, request_id)
    return Added(done=done, sha256=command.sha256, name=command.name, media_type=media_type, size=command.size)


async def read_attachment(app: Application, actor: Actor, case_id: str, sha256: str) -> File:
    """The file, to those who may read the case; its content is re-hashed on the way out."""
    require_role(actor, READ_CASES)
    state = await app.case_for_work(actor, case_id)
    attachment = next((a for a in state.attachments if a.sha256 == sha256), None)
    if attachment is None:
        raise NotFound(f"case {case_id} has no attachment {sha256[:64]}", "no_attachment")
    content = await read_blob(app.pool, sha256)
    if content is None or hashlib.sha256(content).hexdigest() != sha256:
        raise Refused(f"the stored file {sha256} is missing or no longer matches its hash: report it to an auditor",
                      "file_damaged")
    # A file is shown as it is (a scan of an agreement names the parties): every download is on record.
    await record_access(app.pool, actor, case_id, "attachment")
    return File(name=attachment.name, media_type=attachment.media_type, content=content)
