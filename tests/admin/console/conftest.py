"""The console's whole-server fixtures: its own sandbox on real listeners (the mutual-TLS API
and the admin plane, so "send it" goes through the real pipeline) and a real headless Chromium
(Debian's, driven by Playwright; no browser download)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ficoba_sandbox.settings import Settings
from gateway_support import QAServer, running_qa_server
from system_deps import skip_or_fail


@pytest.fixture(scope="session")
def console_server(settings: Settings, demo_creds: dict[str, Any]) -> Iterator[QAServer]:
    """The console's sandbox: its own app (own clock, faults, maintenance, quota), so what the
    console's tests drive cannot disturb other tests' servers; its API on a real mutual-TLS
    listener and its admin plane (with the console) on another, token from `D/admin.json`."""
    with running_qa_server(settings, demo_creds) as server:
        yield server


@pytest.fixture
def admin(console_server: QAServer) -> Iterator[httpx.Client]:
    """A client of the console's admin plane with its token (so no CSRF check)."""
    token = {"Authorization": f"Bearer {console_server.admin_token}"}
    with httpx.Client(base_url=console_server.admin_url, headers=token, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module (a new page per test). Not per session:
    Playwright's sync API runs an event loop in the main thread while it is started, and the
    tests of other modules that call `asyncio.run` must not find one."""
    playwright = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        skip_or_fail(
            "chromium is not installed (apt-get install chromium; .ci/install-system-deps)"
        )
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def console_page(chromium: Any, console_server: QAServer) -> Iterator[Any]:
    """A page of a fresh browser context already logged in to `console_server`'s console
    (through its login form); fails the test on any script error or content-security report."""
    context = chromium.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    tab.goto(console_server.admin_url + "/")
    tab.get_by_label("Admin token").fill(console_server.admin_token)
    tab.get_by_role("button", name="Log in").click()
    tab.get_by_role("navigation", name="Sections").wait_for()
    try:
        yield tab
        assert errors == []
    finally:
        context.close()
