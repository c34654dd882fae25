"""The workbench (工作台): server-rendered Chinese pages on the API's port, every asset served by us.

``install(app)`` adds its routes to the API's FastAPI app. Its routes answer HTML, never problem+json: a
refusal, a missing page, a forbidden page, an outage of PostgreSQL or Temporal each get a Chinese page."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from entrypoints.workbench.web import PageError, SignInNeeded, render_safely


def install(app: FastAPI) -> None:
    from entrypoints.workbench import (
        pages_admin,
        pages_analysis,
        pages_auth,
        pages_case,
        pages_grid,
        pages_lists,
        pages_meetings,
        pages_monthly,
        pages_papers,
        pages_reports,
        pages_sweeps,
    )

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="workbench-static")
    for module in (pages_auth, pages_lists, pages_case, pages_papers, pages_reports, pages_meetings, pages_admin,
                   pages_analysis, pages_monthly, pages_grid, pages_sweeps):
        app.include_router(module.router)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render_safely(request, exc.status, exc.title, exc.message)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        if request.method != "GET":
            return render_safely(request, 401, "请先登录", "登录已过期，请重新登录后再提交。")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)
