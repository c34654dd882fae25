"""Sign-in, sign-out and where each role lands."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from entrypoints.workbench import identity
from entrypoints.workbench.session import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    Session,
    close_session,
    current_session,
    new_login_token,
    open_session,
    remember_login_token,
    same,
)
from entrypoints.workbench.web import (
    LANDING,
    PageError,
    WorkbenchRoute,
    csrf_checked,
    go,
    render,
    safe_next,
    services,
)

router = APIRouter(route_class=WorkbenchRoute)


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    found = await current_session(services(request), request)
    return go(LANDING.get(found.actor.role, "/login") if found else "/login")


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_token()
    page = render(request, "login.html", next=safe_next(next, ""), error=None, login="", login_csrf=token)
    remember_login_token(request, page, token)
    return page


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    form = await request.form()
    if not same(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get(CSRF_FIELD) or "")):
        raise PageError(403, "请求被拒绝", "登录表单已过期或来源不明。请刷新登录页后重新登录。")
    login_name = str(form.get("login") or "")[:100]
    app = services(request)
    try:
        secret = await identity.sign_in(app, login_name, str(form.get("password") or "")[:200])
    except identity.SignInRefused as exc:
        return render(request, "login.html", status=401, next=str(form.get("next") or ""), error=exc.message,
                      login=login_name, login_csrf=request.cookies.get(LOGIN_CSRF_COOKIE))
    actor = await identity.session_actor(app, secret)
    landing = LANDING.get(actor.role, "/") if actor is not None else "/"
    response = go(safe_next(str(form.get("next") or ""), landing))
    open_session(request, response, secret)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    response = go("/login")
    await close_session(services(request), request, response)
    return response

