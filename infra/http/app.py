"""The HTTP API (shared/API.md §3), under /api/v1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from application.cases import Application
from infra.http import attachments, cases, directory, notifications, organisation, supervision
from infra.http.problems import install_problem_handlers

API_PREFIX = "/api/v1"


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, timeout=3)
        return "ok"
    except Exception as exc:  # any failure is reported, not raised: health must always answer
        return f"error: {type(exc).__name__}"


def create_app(services: Application) -> FastAPI:
    app = FastAPI(
        title="LianDiao 联调",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(cases.router, prefix=API_PREFIX)
    app.include_router(directory.router, prefix=API_PREFIX)
    app.include_router(organisation.router, prefix=API_PREFIX)
    app.include_router(notifications.router, prefix=API_PREFIX)
    app.include_router(attachments.router, prefix=API_PREFIX)
    app.include_router(supervision.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        postgres = await _check(services.pool.fetchval("SELECT 1"))
        temporal = await _check(services.temporal.service_client.check_health())
        ok = postgres == "ok" and temporal == "ok"
        body = {"status": "ok" if ok else "degraded", "temporal": temporal, "postgres": postgres}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app
