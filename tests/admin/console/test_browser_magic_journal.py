"""The console's magic values and journal in a real headless Chromium, against the console's
own server: send the magic value of 500 CAT003 through the real API, see what the client got,
see its row arrive in the open journal view without a reload, marked as sent from the console,
and read why it got that answer."""

from __future__ import annotations

from typing import Any

from ficoba_sandbox.admin.console.journal import PAGE as JOURNAL
from ficoba_sandbox.admin.console.magic import PAGE as MAGIC
from gateway_support import QAServer


def test_send_cat003_and_see_it_arrive_in_the_journal_with_its_explanation(
    console_page: Any, chromium: Any, console_server: QAServer
) -> None:
    page = console_page
    # the journal, open in a second tab of the same session, live
    journal = page.context.new_page()
    journal.set_default_timeout(15_000)
    journal.goto(console_server.admin_url + JOURNAL)
    assert journal.locator("#journal-rows[hx-trigger]").count() == 1

    page.goto(console_server.admin_url + MAGIC)
    row = page.locator('tr[data-outcome="500 CAT003"]').first
    name = row.locator("th code").inner_text()
    row.get_by_role("button", name=f"Send it: {name}").click()
    page.locator("#sent-status", has_text="500").wait_for()
    assert '"code": "CAT003"' in page.locator("#sent-body").inner_text()
    correlation_id = page.locator("#sent-correlation-id").inner_text()

    # the row arrives by the view's own polling (no reload), marked as sent from the console
    arrived = journal.locator(f'tr[data-correlation-id="{correlation_id}"]')
    arrived.wait_for()
    assert arrived.get_attribute("data-sent-from") == "console"
    assert "500" in arrived.inner_text() and "CAT003" in arrived.inner_text()
    arrived.get_by_role("link", name="why").click()
    why = journal.locator("#detail-why")
    why.wait_for()
    assert name in why.inner_text() and "CAT003" in why.inner_text()
    assert "Technical error on the FICOBA side" in why.inner_text()

    # and from the result, the link to the journal filtered on this call
    page.get_by_role("link", name="See this call in the journal").click()
    page.wait_for_url(f"**/journal?correlation_id={correlation_id}")
    assert page.locator("tr[data-correlation-id]").count() == 1
