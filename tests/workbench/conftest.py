"""The workbench in a real browser: `liandiao up --demo` as a user starts it, and the system Chromium (Debian's
package; Playwright cannot download its own here) driven by Playwright. One stack and one browser for the
whole module; each test opens its own context (cookies) and page."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from entrypoints.demo.people import PEOPLE
from tests.e2e.stack import RunningStack

CHROMIUM = os.environ.get("LIANDIAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("LIANDIAO_SCREENSHOTS", Path(__file__).parents[2] / "test-output" / "screenshots"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Login:
    login: str
    password: str


@dataclass
class Desk:
    """The running stack, its base URL, one login per role, and what the browser saw going wrong."""

    base: str
    data_dir: Path
    logins: dict[str, Login]
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def demo_logins() -> dict[str, Login]:
    """The demo's people (entrypoints/demo/people.py): what `make run` prints, so the tests sign in as a user would."""
    return {p.role.value: Login(p.login, p.password) for p in PEOPLE}


@pytest.fixture(scope="module")
def desk() -> Iterator[Desk]:
    # Not under pytest's own temporary root: a parallel pytest run resets that to mode 0700, and the
    # embedded PostgreSQL runs as an unprivileged user when we are root.
    root = Path(tempfile.mkdtemp(prefix="liandiao-workbench-"))
    data_dir = root / "data"
    policy = root / "policy.toml"  # the defaults, with 公示 on: the public page is part of the tour
    policy.write_text("[publicity]\nenabled = true\n", encoding="utf-8")
    stack = RunningStack(data_dir, "--demo", "--policy", str(policy)).start(timeout=240)
    try:
        yield Desk(base=stack.api.removesuffix("/api/v1"), data_dir=data_dir, logins=demo_logins())
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install the Debian packages chromium and fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def watch(page: Any, desk: Desk, *, console: bool = True) -> Any:
    """Record every request that leaves the server and every console error or uncaught exception. Pages
    answered with an error status on purpose (a refusal, a CSRF-less post) make Chromium log "Failed to load
    resource"; their tests pass ``console=False`` and check the page instead."""
    def on_request(request: Any) -> None:
        url = request.url
        if not (url.startswith(desk.base + "/") or url == desk.base or url.startswith(("data:", "about:", "blob:"))):
            desk.outside_requests.append(url)

    page.on("request", on_request)
    page.on("pageerror", lambda e: desk.console_errors.append(f"{page.url}: {e}"))
    if console:
        page.on("console", lambda m: desk.console_errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    return page


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


