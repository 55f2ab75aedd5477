"""The console's controls and recette pages in a real headless Chromium, against the console's
own server (real listeners): freeze the clock and release it; start a recette, see its criteria,
stop it and open its report."""

from __future__ import annotations

from typing import Any

from ficoba_sandbox.admin.console.controls import PAGE as CONTROLS
from ficoba_sandbox.admin.console.recette import PAGE as RECETTE
from gateway_support import QAServer


def test_freeze_advance_and_release_the_clock(console_page: Any, console_server: QAServer) -> None:
    page = console_page
    page.goto(console_server.admin_url + CONTROLS)
    state = page.locator("#clock-state")
    assert state.inner_text() == "Real time"
    try:
        page.get_by_label("Freeze at (Paris time, optional)").fill("2030-01-02T10:15:00")
        page.get_by_role("button", name="Freeze", exact=True).click()
        page.locator('#clock-state[data-state="frozen"]').wait_for()
        assert "2030-01-02 10:15:00 CET" in page.locator("#clock-now").inner_text()
        page.get_by_label("Advance by (e.g. 90s, 15m, 2h, 1d)").fill("2h")
        page.get_by_role("button", name="Advance").click()
        page.locator("#clock-now", has_text="2030-01-02 12:15:00 CET").wait_for()
        # a refused duration is announced in the control, the state kept
        page.get_by_label("Advance by (e.g. 90s, 15m, 2h, 1d)").fill("soon")
        page.get_by_role("button", name="Advance").click()
        page.locator("#control-clock [role=alert]").wait_for()
        assert page.locator("#clock-state").inner_text() == "Frozen"
        page.get_by_role("button", name="Back to real time").click()
        page.locator('#clock-state[data-state="real"]').wait_for()
        assert page.locator("#clock-state").inner_text() == "Real time"
        assert not console_server.app.sandbox.clock.frozen
    finally:
        page.request.post(  # the session-scoped server back to real time whatever happened
            console_server.admin_url + "/__sandbox/clock/reset",
            headers={"Authorization": f"Bearer {console_server.admin_token}"},
        )


def test_start_a_recette_follow_it_stop_it_and_open_its_report(
    console_page: Any, console_server: QAServer
) -> None:
    page = console_page
    page.goto(console_server.admin_url + RECETTE)
    try:
        page.get_by_role("button", name="Start the recette (arm the drills)").click()
        page.locator('#recette-state[data-armed="yes"]').wait_for()
        assert page.locator("#recette-drills tbody tr").count() == 5
        assert page.locator("#recette-criteria tbody tr").count() > 0
        page.get_by_role("button", name="Stop the recette (disarm the drills)").click()
        page.locator('#recette-state[data-armed="no"]').wait_for()
        assert page.locator("#recette-state").inner_text() == "Stopped"
        page.get_by_role("link", name="Open the report (HTML)").click()
        page.wait_for_url("**/recette/report?**")
        assert page.locator("h1").inner_text().startswith("Functional acceptance report")
        assert page.locator("#verdict").is_visible()
        # its inline style sheet applied under its own policy (a refused one leaves no colour)
        assert page.evaluate("document.styleSheets.length") == 1
        with page.expect_download() as download:
            page.goto(console_server.admin_url + RECETTE)
            page.get_by_role("link", name="Download Markdown").click()
        assert download.value.suggested_filename == "recette-demo-client.md"
    finally:
        page.request.delete(
            console_server.admin_url + "/__sandbox/recette/demo-client/drills",
            headers={"Authorization": f"Bearer {console_server.admin_token}"},
        )
