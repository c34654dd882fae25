"""The remote codec endpoint (Temporal's codec server protocol) for auditors: ``POST /codec/decode`` and
``/codec/encode`` with ``{"payloads": [{"metadata": {...}, "data": "<base64>"}]}``, proto3 JSON as Temporal's
CLI and Web UI send it. Only auditors may read a case's history in clear:

    temporal workflow show -w CASE_ID --codec-endpoint http://127.0.0.1:8000/api/v1/codec \\
        --codec-auth "Bearer $AUDITOR_TOKEN"

Everyone else (and Temporal itself) sees ciphertext."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payloads

from application.cases import Application
from application.payloads import transcode
from domain.vocabulary import Role
from entrypoints.http.context import Caller, roles, services
from entrypoints.http.problems import Problem

router = APIRouter(prefix="/codec", tags=["audit"])
# Temporal's Web UI calls from its own origin with the auditor's token in a header (no cookies), so any
# origin may ask: without the token the answer is a 401.
_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
         "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Namespace"}
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"content": {"application/problem+json": {}}} for s in (400, 401, 403, 422, 503)}


# proto3 JSON bytes: standard or URL-safe base64, padded or not. Whole quanta and a tail of 2 or 3 characters:
# a tail of 1 (or padding anywhere else) is no base64, and the schema says so rather than a 422 from the parser.
_B64 = r"^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$"


class PayloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metadata: dict[str, Annotated[str, Field(max_length=1_000, pattern=_B64)]] = Field(
        default_factory=dict, max_length=20)
    data: Annotated[str, Field(max_length=4_000_000, pattern=_B64)] = ""


class PayloadsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payloads: Annotated[list[PayloadIn], Field(max_length=1_000)]


def _parse(body: PayloadsIn) -> Payloads:
    try:
        return json_format.ParseDict(body.model_dump(), Payloads())
    except json_format.ParseError as exc:
        raise Problem(422, f"payloads: not base64 proto3 JSON: {str(exc)[:200]}") from exc


async def _run(svc: Application, body: PayloadsIn, decode: bool, who: Caller | None = None) -> JSONResponse:
    out = await transcode(svc, list(_parse(body).payloads), decode=decode,
                          actor=who.actor if who is not None else None)
    answer = json_format.MessageToDict(Payloads(payloads=out))
    return JSONResponse({"payloads": answer.get("payloads", [])}, headers=_CORS)


@router.post("/decode", responses=_ERRORS, summary="decode payloads (auditors: read Temporal history in clear)")
async def decode(body: PayloadsIn, svc: Annotated[Application, Depends(services)],
                 who: Caller = Depends(roles([Role.auditor]))) -> JSONResponse:
    return await _run(svc, body, decode=True, who=who)


@router.post("/encode", responses=_ERRORS, summary="encode payloads (auditors, for Temporal's tools)")
async def encode(body: PayloadsIn, svc: Annotated[Application, Depends(services)],
                 who: Caller = Depends(roles([Role.auditor]))) -> JSONResponse:
    return await _run(svc, body, decode=False)


@router.options("/{operation}", include_in_schema=False)
async def preflight(request: Request, operation: str) -> Response:
    return Response(status_code=204, headers=_CORS)
