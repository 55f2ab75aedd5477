"""The QA console in a real headless Chromium (Debian's, driven by Playwright; no browser
download): the login form, the nav, the language switch, the logout, with htmx loaded under the
pages' content security policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from ficoba_sandbox.admin import create_admin_app
from ficoba_sandbox.app import SandboxApp
from gateway_support import free_port, serve_in_thread

TOKEN = "browser-test-admin-token"


@pytest.fixture
def console_url(app: SandboxApp) -> Iterator[str]:
    port = free_port()
    settings = app.sandbox.settings.model_copy(
        update={"admin_token": TOKEN, "admin_host": "127.0.0.1", "admin_port": port}
    )
    admin = create_admin_app(app.sandbox, settings)
    config = uvicorn.Config(admin, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    with serve_in_thread(config):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(chromium: Any, console_url: str) -> Iterator[Any]:
    context = chromium.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


def test_log_in_walk_the_sections_switch_language_and_log_out(page: Any, console_url: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    response = page.goto(console_url + "/")
    assert response.status == 401
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong admin token."
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Magic values").first.wait_for()
    assert page.url == console_url + "/"
    assert page.get_by_role("table").first.is_visible()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Journal").click()
    page.wait_for_url("**/__sandbox/console/journal")
    assert page.locator('[aria-current="page"]').inner_text() == "Journal"
    assert page.evaluate("typeof htmx") == "object"
    # keyboard: the skip link is the first stop and leads to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.get_by_role("link", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("link", name="Valeurs magiques").first.click()
    assert page.locator("html").get_attribute("lang") == "fr"  # kept by its cookie
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/__sandbox/console/login")
    assert page.goto(console_url + "/__sandbox/console/journal").status == 401
    assert errors == []


def test_the_console_server_fixture_logs_in_through_the_form(
    console_page: Any, console_server: Any
) -> None:
    console_page.goto(console_server.admin_url + "/__sandbox/console/journal")
    assert console_page.locator('[aria-current="page"]').inner_text() == "Journal"
