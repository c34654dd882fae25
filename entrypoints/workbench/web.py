"""What every page needs: the templates, the signed-in person, the CSRF check, and Chinese error pages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.cases import Application
from application.errors import Forbidden, InvalidInput, NotFound, Refused, Unavailable
from application.meetings import READ_MEETINGS
from domain.events import Actor
from domain.organisation import Organisation, UnknownId
from domain.vocabulary import Role
from entrypoints.workbench import labels
from entrypoints.workbench.messages import chinese, department_namer
from entrypoints.workbench.session import CSRF_FIELD, Session, current_session, same
from infra.logging import get_logger

log = get_logger(__name__)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(labels=labels)

# Where each role starts after signing in.
LANDING = {Role.mediator: "/desk", Role.liaison: "/inbox", Role.supervisor: "/board", Role.auditor: "/audit",
           Role.admin: "/admin", Role.leader: "/scores", Role.grid_worker: "/grid"}


class PageError(Exception):
    """Shown to the person as a Chinese page with ``status``."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


class SignInNeeded(Exception):
    pass


def services(request: Request) -> Application:
    return request.app.state.services  # type: ignore[no-any-return]


async def session(request: Request) -> Session:
    found = await current_session(services(request), request)
    if found is None:
        raise SignInNeeded
    request.state.session = found
    return found


def role_in(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(who: Session = Depends(session)) -> Session:
        if who.actor.role not in roles:
            raise PageError(403, "无权访问", f"{labels.ROLE[who.actor.role]}不能打开此页面。")
        return who

    return check


async def csrf_checked(request: Request, who: Session = Depends(session)) -> Session:
    """Every POST of a signed-in person carries the session's CSRF token in a hidden field."""
    form = await request.form()
    if not same(who.csrf_token, str(form.get(CSRF_FIELD) or "")):
        raise PageError(403, "请求被拒绝", "表单已过期或来源不明（缺少安全校验码）。请返回页面刷新后重新提交。")
    return who


def department_name(org: Organisation, department: str | None) -> str:
    if department is None:
        return ""
    try:
        return org.department(department).name
    except UnknownId:
        return department


def who_label(org: Organisation, actor: Actor) -> str:
    """调解员 · 东湖街道综治中心 (the person's name once people have one)."""
    parts = [getattr(actor, "name", None) or labels.ROLE.get(actor.role, actor.role.value)]
    if actor.department:
        parts.append(department_name(org, actor.department))
    return " · ".join(parts)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    svc = services(request)
    who: Session | None = getattr(request.state, "session", None)
    base: dict[str, Any] = {
        "who": who, "now": datetime.now(UTC), "csrf": who.csrf_token if who else "",
        "org": svc.org, "dept": lambda d: department_name(svc.org, d),
        "me": who_label(svc.org, who.actor) if who else "", "role": who.actor.role.value if who else "",
        "done": _done(request),
        "reads_meetings": who is not None and who.actor.role in READ_MEETINGS,  # the 会议 link
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def _done(request: Request) -> str | None:
    """The "已完成：…" line after an action: only short words, never markup (Jinja escapes it anyway)."""
    value = request.query_params.get("done")
    return value if value and len(value) <= 12 else None


def safe_next(value: str | None, default: str) -> str:
    """Only paths on this server: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def go(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


RETRY_AFTER_SECONDS = 10

_OUTAGES: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError, Unavailable,  # Temporal out of reach arrives as Unavailable
)


class WorkbenchRoute(APIRoute):
    """Turns what goes wrong below a page into a Chinese page: an outage is a 503 with Retry-After, anything
    unexpected is logged and shown as a short apology (never a traceback)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (PageError, SignInNeeded, StarletteHTTPException):
                raise
            except NotFound as exc:
                return render_safely(request, 404, "没有找到", chinese(exc, _names(request)))
            except Forbidden as exc:
                return render_safely(request, 403, "无权访问", chinese(exc, _names(request)))
            except (Refused, InvalidInput) as exc:
                return render_safely(request, 409, "未能完成", chinese(exc, _names(request)))
            except _OUTAGES as exc:
                log.warning("workbench outage", path=request.url.path, error=type(exc).__name__)
                page = render_safely(request, 503, "系统暂时不可用",
                                     "数据库或流程引擎暂时无法连接，请稍后刷新页面重试。您填写的内容尚未保存。")
                page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                return page
            except Exception:
                log.exception("workbench error", path=request.url.path)
                return render_safely(request, 500, "出错了", "处理请求时发生了意外错误，已记录。请稍后重试。")

        return guarded


def _names(request: Request) -> Callable[[str], str]:
    return department_namer(services(request).org)


def render_safely(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    try:
        return render(request, "error.html", status=status, title=title, message=message)
    except Exception:  # the error page itself must never fail
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1>"
                            f"<p>{message}</p>", status_code=status)


