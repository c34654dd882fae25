"""The HTTP API (docs/api.md §3), under /api/v1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from application.cases import Application
from entrypoints.http import (
    analysis,
    attachments,
    audit_log,
    cases,
    codec,
    directory,
    documents,
    grid,
    leaders,
    meetings,
    notifications,
    organisation,
    reports,
    supervision,
    sweeps,
)
from entrypoints.http.openapi import install_openapi
from entrypoints.http.problems import install_problem_handlers
from infra.outages import RETRY_AFTER_S

API_PREFIX = "/api/v1"


async def _check(probe: Callable[[], Awaitable[object]], attempts: int = 2) -> str:
    """"ok", or the last error's kind. One failed RPC on a busy server is tried again before the server is
    reported down: a load balancer acting on a single blip would take a healthy API out of service."""
    for attempt in range(attempts):
        try:
            await asyncio.wait_for(probe(), timeout=2.5)
            return "ok"
        except Exception as exc:  # any failure is reported, not raised: health must always answer
            status = getattr(exc, "status", None)  # temporalio's RPCError names the gRPC status
            failure = f"error: {type(exc).__name__}" + (f" {status.name}" if status is not None else "")
            if attempt + 1 < attempts:
                await asyncio.sleep(0.2)
    return failure


def create_app(services: Application, server_status: Callable[[str], str | None] | None = None) -> FastAPI:
    """``server_status(name)``: what `up`'s watchdog says of an embedded server it is restarting, if anything."""
    app = FastAPI(
        title="LianDiao 联调",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served below from packaged assets: a CDN is unreachable on a government intranet
        redoc_url=None,
    )
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(cases.router, prefix=API_PREFIX)
    app.include_router(directory.router, prefix=API_PREFIX)
    app.include_router(organisation.router, prefix=API_PREFIX)
    app.include_router(notifications.router, prefix=API_PREFIX)
    app.include_router(attachments.router, prefix=API_PREFIX)
    app.include_router(codec.router, prefix=API_PREFIX)  # the Temporal Web UI reads payloads through it
    app.include_router(audit_log.router, prefix=API_PREFIX)  # who saw whose personal data
    app.include_router(supervision.router, prefix=API_PREFIX)
    app.include_router(documents.router, prefix=API_PREFIX)  # mediation papers, 履行, 司法确认
    app.include_router(reports.router, prefix=API_PREFIX)  # the district's figures (考核)
    app.include_router(reports.public_router, prefix=API_PREFIX)  # 公示: no token
    app.include_router(meetings.router, prefix=API_PREFIX)  # standing meetings over many cases
    app.include_router(analysis.router, prefix=API_PREFIX)  # 研判: hotspots
    app.include_router(grid.router, prefix=API_PREFIX)  # the grid: 网格上报, 我的上报
    app.include_router(sweeps.router, prefix=API_PREFIX)  # 排查: sweeps over the grids of a jurisdiction
    app.include_router(leaders.router, prefix=API_PREFIX)  # 包案 leaders: 我的包案

    _offline_docs(app)

    @app.get(f"{API_PREFIX}/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        postgres = await _check(services.postgres_ok)
        temporal = await _check(services.temporal.service_client.check_health)
        if server_status is not None:
            postgres = server_status("postgres") or postgres
            temporal = server_status("temporal") or temporal
        ok = postgres == "ok" and temporal == "ok"
        body = {"status": "ok" if ok else "degraded", "temporal": temporal, "postgres": postgres}
        return JSONResponse(body, status_code=200 if ok else 503,
                            headers=None if ok else {"Retry-After": str(RETRY_AFTER_S)})

    install_openapi(app, services.org)  # error statuses and the organisation's ids, declared
    return app


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI at /api/v1/docs with its script and style from the fastapi-offline wheel."""
    assets = f"{API_PREFIX}/docs-assets"
    app.mount(assets, StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static"), name="docs-assets")

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json", title="LianDiao 联调 API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js", swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            # no badge from validator.swagger.io: the page must not reach outside the server
            swagger_ui_parameters={"validatorUrl": None})
