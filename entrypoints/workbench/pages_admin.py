"""The admin's desk (管理): people, tokens, the organisation and the calendar, and the admin log.

Every action is a form POST with the session's CSRF token, and needs a password entered within
:data:`FRESH_FOR` (else the desk asks for it again first). A generated password is shown once, on the page
answering the POST (never in a URL, never cached); every rule is in ``application/admin.py``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from application.admin import MAX_FILE_CHARS, AdminDesk, PeopleQuery
from application.calendar import ScheduleProblems
from application.errors import InvalidInput, NotFound
from application.organisation import OrganisationProblems
from domain.access import SIGNING_ROLES
from domain.vocabulary import Role
from entrypoints.workbench import identity
from entrypoints.workbench.labels import ROLE
from entrypoints.workbench.session import SESSION_COOKIE, Session
from entrypoints.workbench.web import WorkbenchRoute, csrf_checked, go, render, role_in, services

router = APIRouter(route_class=WorkbenchRoute)
FRESH_FOR = timedelta(minutes=10)
ROLES = [(r.value, ROLE[r]) for r in SIGNING_ROLES]
ACTION = {"add_user": "添加账号", "disable_user": "停用账号", "reset_password": "重置密码",
          "set_channels": "设置通知渠道", "revoke_token": "吊销令牌", "issue_token": "签发令牌",
          "organisation": "组织架构生效", "calendar": "载入日历"}
NO_STORE = {"Cache-Control": "no-store"}

admin_only = role_in(Role.admin)


def _desk(request: Request) -> AdminDesk:
    return AdminDesk(services(request))


def _secret(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE) or ""


async def _fresh(request: Request) -> bool:
    age = await identity.password_age(services(request), _secret(request))
    return age is not None and age <= FRESH_FOR


def _confirm_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    return render(request, "admin_confirm.html", status=status, error=error,
                  minutes=int(FRESH_FOR.total_seconds() // 60))


STATUSES = {"active": True, "disabled": False}


def _people_query(request: Request) -> PeopleQuery:
    """The people list's search from the page's address (?q=&role=&status=&page=); what is not understood is
    left out, so a stale or edited address still shows a list."""
    params = request.query_params
    role = params.get("role") or ""
    page = params.get("page") or "1"
    return PeopleQuery(text=(params.get("q") or "")[:100] or None,
                       role=Role(role) if role in {r for r, _ in ROLES} else None,
                       active=STATUSES.get(params.get("status") or ""),
                       page=int(page) if page.isdigit() and len(page) < 6 else 1)


async def _page(request: Request, who: Session, status: int = 200, **context: Any) -> HTMLResponse:
    desk = _desk(request)
    svc = services(request)
    grids = [(j.id, svc.org.jurisdiction_name(j.id)) for j in svc.org.jurisdictions if j.level.value == "grid"]
    query = _people_query(request)
    found = await desk.find_people(who.actor, query)
    page = render(request, "admin.html", status=status, people=found.people, found=found, query=query,
                  tokens=await desk.tokens(who.actor), years=await desk.calendar_years(who.actor),
                  log=await desk.log(who.actor), roles=ROLES, grids=grids, gridnames=dict(grids), actions=ACTION,
                  form=context.pop("form", {}), **context)
    page.headers.update(NO_STORE)
    return page


@router.get("/admin", include_in_schema=False)
async def admin(request: Request, who: Session = Depends(admin_only)) -> HTMLResponse:
    if not await _fresh(request):
        return _confirm_page(request)
    return await _page(request, who)


@router.post("/admin/confirm", include_in_schema=False)
async def confirm(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    await admin_only(who)
    password = str((await request.form()).get("password") or "")[:200]
    if not password:
        return _confirm_page(request, 422, "请输入密码。")
    try:
        await identity.enter_password_again(services(request), _secret(request), password)
    except identity.SignInRefused as exc:
        return _confirm_page(request, 401, exc.message)
    return go("/admin")


async def _acting(request: Request, who: Session) -> HTMLResponse | None:
    """The re-enter-password step when the password is not fresh; ``None`` when the action may go on."""
    await admin_only(who)
    if await _fresh(request):
        return None
    return _confirm_page(request, 401, "刚才的操作尚未执行：请先确认密码，再重新操作。")


def _person_message(exc: InvalidInput, login: str) -> str:
    text = exc.message
    if exc.field == "name":
        return "姓名须为 1 至 100 个字符，不能含控制字符。"
    if exc.field == "login":
        if "taken" in text:
            return f"用户名「{login}」已被占用，请换一个。"
        return "用户名须为 2 至 64 位：小写字母、数字、“.”、“_” 或 “-”，以字母或数字开头。"
    if exc.field == "department":
        return "没有这个部门，请从列表中选择。"
    if exc.field == "grid":
        return "网格员须选择所在网格。" if "needs a grid" in text else "所选地点不是网格，请从列表中选择。"
    if "liaison needs" in text:
        return "联络员须选择所属部门。"
    return "请从列表中选择角色。"


@router.post("/admin/people", include_in_schema=False)
async def add_person(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    if (step := await _acting(request, who)) is not None:
        return step
    form = await request.form()
    fields = {k: str(form.get(k) or "").strip()[:200] for k in ("name", "role", "department", "grid", "login")}
    try:
        role = Role(fields["role"])
    except ValueError:
        return await _page(request, who, 422, person_error="请从列表中选择角色。", form=fields)
    try:
        added = await _desk(request).add_person(
            who.actor, name=fields["name"], role=role, department=fields["department"] or None,
            grid=fields["grid"] or None, login=fields["login"].lower() or None)
    except InvalidInput as exc:
        return await _page(request, who, 422, person_error=_person_message(exc, fields["login"]), form=fields)
    assert added.password is not None
    page = render(request, "admin_password.html", user=added.user, password=added.password, title="账号已添加")
    page.headers.update(NO_STORE)
    return page


@router.post("/admin/people/{login}/disable", include_in_schema=False)
async def disable_person(request: Request, login: str, who: Session = Depends(csrf_checked)) -> Response:
    if (step := await _acting(request, who)) is not None:
        return step
    try:
        await _desk(request).disable_person(who.actor, login[:64])
    except InvalidInput:
        return await _page(request, who, 422, people_error="不能停用自己的账号。")
    except NotFound:
        return await _page(request, who, 404, people_error="没有这个账号。")
    return go("/admin?done=已停用账号")


@router.post("/admin/people/{login}/reset", include_in_schema=False)
async def reset_password(request: Request, login: str, who: Session = Depends(csrf_checked)) -> Response:
    if (step := await _acting(request, who)) is not None:
        return step
    try:
        user, password = await _desk(request).reset_password(who.actor, login[:64])
    except InvalidInput:
        return await _page(request, who, 422, people_error="不能在这里重置自己的密码。")
    except NotFound:
        return await _page(request, who, 404, people_error="没有这个账号。")
    page = render(request, "admin_password.html", user=user, password=password, title="密码已重置")
    page.headers.update(NO_STORE)
    return page


@router.post("/admin/people/{login}/channels", include_in_schema=False)
async def set_channels(request: Request, login: str, who: Session = Depends(csrf_checked)) -> Response:
    if (step := await _acting(request, who)) is not None:
        return step
    text = str((await request.form()).get("notify") or "")[:5000]
    try:
        await _desk(request).set_channels(who.actor, login[:64], text.splitlines())
    except InvalidInput as exc:
        return await _page(request, who, 422, channels_open=login, people_error=_channels_message(exc.message))
    except NotFound:
        return await _page(request, who, 404, people_error="没有这个账号。")
    return go("/admin?done=已保存通知渠道#people")


def _channels_message(problem: str) -> str:
    if "at most" in problem:
        return "每人最多 5 个通知地址。"
    line = re.search(r"channel (\d+)", problem)
    return ("通知地址须为 Apprise 地址，形如 “wecombot://…”、“mailto://…” 或 “json://…”，每行一个，不含空格"
            + (f"（第 {line.group(1)} 个地址有误）。" if line else "。"))


@router.post("/admin/tokens/{token_id}/revoke", include_in_schema=False)
async def revoke_token(request: Request, token_id: str, who: Session = Depends(csrf_checked)) -> Response:
    if (step := await _acting(request, who)) is not None:
        return step
    try:
        await _desk(request).revoke_token(who.actor, token_id[:100])
    except (InvalidInput, NotFound):
        return await _page(request, who, 404, token_error="没有这个令牌。")
    return go("/admin?done=已吊销令牌")


async def _uploaded_text(request: Request) -> str | Exception | None:
    """The uploaded file's text; ``None`` when no file was chosen; a ValueError with a Chinese message."""
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(MAX_FILE_CHARS + 1)
    if len(content) > MAX_FILE_CHARS:
        return ValueError("文件太大（上限 2 MB）。")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ValueError("文件不是 UTF-8 编码的文本（JSON）。")


@router.post("/admin/organisation", include_in_schema=False)
async def upload_organisation(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    if (step := await _acting(request, who)) is not None:
        return step
    text = await _uploaded_text(request)
    if not isinstance(text, str):
        return await _page(request, who, 422, org_error=str(text) if text else "请选择要上传的组织架构文件（JSON）。")
    try:
        await _desk(request).upload_organisation(who.actor, text)
    except OrganisationProblems as exc:
        conflict = exc.source.startswith("the organisation removes")
        heading = (f"未生效：仍有未结案件用到该文件删除的内容（{len(exc.problems)} 处）。" if conflict
                   else f"未生效：组织架构文件有 {len(exc.problems)} 处问题（每行开头是 JSON 路径）。")
        return await _page(request, who, 422, org_error=heading, org_problems=exc.problems)
    return go("/admin?done=组织架构已生效")


@router.post("/admin/calendar", include_in_schema=False)
async def load_calendar(request: Request, who: Session = Depends(csrf_checked)) -> Response:
    if (step := await _acting(request, who)) is not None:
        return step
    text = await _uploaded_text(request)
    if not isinstance(text, str):
        return await _page(request, who, 422, calendar_error=str(text) if text else "请选择要上传的日历文件（JSON）。")
    try:
        stored = await _desk(request).load_calendar(who.actor, text)
    except ScheduleProblems as exc:
        return await _page(request, who, 422, calendar_error=f"未载入：日历文件有 {len(exc.problems)} 处问题。",
                           calendar_problems=exc.problems)
    return go(f"/admin?done=已载入{stored.year}年日历")
