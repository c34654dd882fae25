"""RFC 9457 problem details for every error, and the handlers that make sure bad input never gives a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.errors import (
    ApplicationError,
    Forbidden,
    InvalidInput,
    NotFound,
    Refused,
    TooLarge,
    Unavailable,
    UnsupportedType,
)
from infra.logging import get_logger
from infra.outages import OUTAGE_CLASSES, RETRY_AFTER_S, outage_detail, unreachable

log = get_logger(__name__)
PROBLEM = "application/problem+json"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 411: "Length Required", 413: "Payload Too Large",
          415: "Unsupported Media Type", 422: "Unprocessable Content",
          500: "Internal Server Error", 503: "Service Unavailable"}


class Problem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


# How the application's answers read over HTTP: the one mapping (the CLI and the workbench have their own).
STATUS: dict[type[ApplicationError], int] = {NotFound: 404, Forbidden: 403, Refused: 409, InvalidInput: 422,
                                             Unavailable: 503, TooLarge: 413, UnsupportedType: 415}


def problem_for(exc: ApplicationError) -> Problem:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
    if isinstance(exc, Unavailable):
        return Problem(status, exc.message, retry_after=exc.retry_after_s)
    if exc.code:  # RFC 9457 extension members: a program need not parse the English detail
        return Problem(status, exc.message, code=exc.code, refusal=exc.data)
    return Problem(status, exc.message)


def problem_response(status: int, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    retry_after = extra.pop("retry_after", RETRY_AFTER_S if status == 503 else None)
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def outage_response(exc: BaseException) -> JSONResponse | None:
    """503 + Retry-After when ``exc`` is an outage of PostgreSQL or Temporal, else None. The workbench's own
    error handler calls this too, so an outage is never a 500 there either."""
    server = unreachable(exc)
    if server is None:
        return None
    log.warning("server unreachable", server=server, error=type(exc).__name__)
    return problem_response(503, outage_detail(server), server=server)


def _describe(errors: list[dict[str, Any]]) -> tuple[int, str]:
    first = errors[0]
    if first.get("type") == "json_invalid":
        return 400, f"the body is not valid JSON: {first.get('ctx', {}).get('error', 'malformed')}"
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",)) or "body"
    message = first.get("msg", "invalid")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return 422, f"{where}: {message}{more}"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, **exc.extra)

    @app.exception_handler(ApplicationError)
    async def _application(_: Request, exc: ApplicationError) -> JSONResponse:
        problem = problem_for(exc)
        return problem_response(problem.status, problem.detail, **problem.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, detail = _describe(list(exc.errors()))
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg")} for e in exc.errors()[:20]]
        return problem_response(status, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem_response(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # Allow names every method of the path (RFC 9110), not just one route's
            from entrypoints.http.openapi import allowed_methods

            response.headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
        return response

    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        outage = outage_response(exc)
        if outage is not None:
            return outage
        log.exception("unexpected error", path=request.url.path)
        return problem_response(500, "an unexpected error occurred; it has been logged")

    # The drivers' error classes get the handler directly (Starlette's last-resort handler would re-raise
    # after answering and log a traceback for what is only an outage); anything else still lands in it.
    for kind in (*OUTAGE_CLASSES, Exception):
        app.add_exception_handler(kind, _unexpected)
