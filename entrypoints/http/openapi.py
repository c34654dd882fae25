"""An OpenAPI that tells the truth: every route declares the error statuses it can answer, as
problem+json, and references to the organisation (categories, grids, departments) are declared as the enums
the validators enforce, from the organisation this stack serves."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from application.documents import courts as court_choices
from domain.organisation import JurisdictionLevel, Organisation


class ProblemDetails(BaseModel):
    """RFC 9457 problem details: every error answer."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = Field(None, description="a refusal's reason for programs (e.g. `stage`, `task_status`, "
                                                 "`return_window_passed`); `detail` says it for people")
    refusal: dict[str, str] | None = Field(None, description="the refusal's data, e.g. the stage it needs")


_WHY = {400: "malformed JSON, a bad cursor or Idempotency-Key", 401: "no or unknown bearer token",
        403: "this role or department may not do this", 404: "no such case, task or department",
        409: "the case is not in a state that allows this (or the Idempotency-Key is in use)",
        413: "the body (an attachment) is too large", 415: "this kind of file is not accepted",
        422: "a field is invalid (the detail names it)",
        503: "PostgreSQL or Temporal is unreachable just now: repeat after Retry-After seconds"}


def _declare_errors(schema: dict[str, Any]) -> None:
    """Every operation's error answers, as problem+json (FastAPI's own 422 says application/json: replaced)."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    retry = {"Retry-After": {"description": "seconds to wait before repeating", "schema": {"type": "integer"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            statuses = [400, 401, 403, 422, 503]
            if "{" in path:
                statuses.append(404)
            if method == "post":
                statuses += [409, 413, 415]
            responses = operation.setdefault("responses", {})
            if path.endswith("/healthz"):  # health answers its own body, degraded, with Retry-After
                responses["503"] = {"description": "a server is away", "headers": retry,
                                    "content": {"application/json": {"schema": {"type": "object"}}}}
                continue
            for status in sorted(statuses):
                responses[str(status)] = {"description": _WHY[status], "content": problem,
                                          **({"headers": retry} if status == 503 else {})}


def _enum_references(schema: dict[str, Any], org: Organisation) -> None:
    grids = sorted(j.id for j in org.jurisdictions if j.level is JurisdictionLevel.grid)
    places = sorted(j.id for j in org.jurisdictions)  # a standing meeting is held at any level
    swept = sorted(j.id for j in org.jurisdictions if j.level is not JurisdictionLevel.grid)  # 排查: above a grid
    departments = sorted(d.id for d in org.departments)
    categories = sorted(c.id for c in org.categories)
    courts = sorted(d for d, _ in court_choices(org))  # 司法确认 goes to a 人民法庭
    where = {("NewCase", "category"): categories, ("NewCase", "grid_id"): grids,
             ("RouteIn", "lead_department"): departments, ("RouteIn", "co_departments"): departments,
             ("MeetingIn", "departments"): departments, ("MeetingIn", "attended"): departments,
             ("MinutesIn", "attended"): departments, ("CommitmentIn", "department"): departments,
             ("StandingMeetingIn", "departments"): departments, ("StandingMeetingIn", "jurisdiction"): places,
             ("StandingMinutesIn", "present"): departments, ("StandingCommitmentIn", "department"): departments,
             ("SummonsIn", "departments"): departments, ("JudicialConfirmationIn", "court_department"): courts,
             ("SweepIn", "jurisdiction"): swept, ("SweepCaseIn", "category"): categories}
    components = schema.get("components", {}).get("schemas", {})
    for (model, field), values in where.items():
        prop = components.get(model, {}).get("properties", {}).get(field)
        if prop is None or not values:
            continue
        target = prop.get("items", prop)
        target.pop("pattern", None)
        target["enum"] = values


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method any route serves at ``path`` (a 405's ``Allow``, RFC 9110): Starlette names only the
    methods of the first route that matched the path."""
    found: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            found.update(m.upper() for m in operations)
    return sorted(found)


def install_openapi(app: FastAPI, org: Organisation) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = (
                ProblemDetails.model_json_schema())
            _declare_errors(schema)
            _enum_references(schema, org)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
