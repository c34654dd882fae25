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
    return Problem(status, exc.message)


def problem_response(status: int, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    retry_after = extra.pop("retry_after", None)
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", path=request.url.path)
        return problem_response(500, "an unexpected error occurred; it has been logged")
