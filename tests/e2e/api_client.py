"""A small helper for driving the API as a given role."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


def case_body(**changes: Any) -> dict[str, Any]:
    """A new case whose applicant is unique, so the duplicate check (重复件) leaves it alone."""
    n = uuid.uuid4().int
    applicant = {"name": "王小明", "role": "applicant", "phone": f"139{n % 10**8:08d}",
                 "id_number": f"110101{1950 + n % 50}0101{n % 10**4:04d}"}
    return {**NEW_CASE, "parties": [applicant, NEW_CASE["parties"][1]], **changes}


NEW_CASE: dict[str, Any] = {
    "title": "拖欠工资",
    "description": "某装修公司拖欠三名工人工资共计两万元，多次讨要未果。",
    "category": "wages",
    "channel": "hotline",
    "grid_id": "grid-donghu-huayuan-1",
    "risk_level": "high",
    "parties": [
        {"name": "王小明", "role": "applicant", "phone": "13912345678", "id_number": "110101199001011234"},
        {"name": "某装修公司", "role": "respondent"},
    ],
}


class Api:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base = base
        self.tokens = tokens
        self.http = httpx.AsyncClient(timeout=60)

    async def call(self, role: str | None, method: str, path: str, json: Any = None,
                   headers: dict[str, str] | None = None, content: bytes | None = None) -> httpx.Response:
        h = dict(headers or {})
        if role is not None:
            h["Authorization"] = f"Bearer {self.tokens.get(role, role)}"
        if content is not None:
            h.setdefault("Content-Type", "application/json")
            return await self.http.request(method, self.base + path, content=content, headers=h)
        return await self.http.request(method, self.base + path, json=json, headers=h)

    async def ok(self, role: str, method: str, path: str, json: Any = None, **kw: Any) -> Any:
        response = await self.call(role, method, path, json, **kw)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()

    async def new_case(self, **changes: Any) -> str:
        body = case_body(**changes)
        return str((await self.ok("mediator", "POST", "/cases", body))["case_id"])


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    for word in words:
        assert word in body["detail"], body["detail"]
    return body
