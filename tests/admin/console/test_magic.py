"""The console's magic values (admin/console/magic.py): the catalogue by outcome, and "send it"
through the real mutual-TLS API of the console's own server, its journal row marked as sent from
the console; a mark a client forges marks nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from ficoba_sandbox.admin.console.magic import PAGE
from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.qa import console_mark
from ficoba_sandbox.qa.runner import Runner
from gateway_support import QAServer

HTMX = {"HX-Request": "true"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def journal_row(admin: httpx.Client, correlation_id: str) -> dict[str, object]:
    rows = admin.get("/__sandbox/journal", params={"limit": 50}).json()["rows"]
    return next(r for r in rows if r["correlation_id"] == correlation_id)


def test_the_catalogue_is_grouped_by_outcome(admin: httpx.Client) -> None:
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert "Outcome: <code>500 CAT003</code>" in page.text
    row = page.text.split('id="magic-sql-error"', 1)[1].split("</tr>", 1)[0]
    assert 'data-outcome="500 CAT003"' in page.text.split('id="magic-sql-error"', 1)[1][:40]
    assert "criteresRecherche.iban = FR7699999005000000000000390" in row
    assert 'aria-label="Send it: sql-error"' in row
    # French titles
    assert "Erreur technique SQL" in admin.get(PAGE, params={"lang": "fr"}).text
    admin.get(PAGE, params={"lang": "en"})


def test_send_it_goes_through_the_real_api_and_is_marked_in_the_journal(
    admin: httpx.Client, demo_creds: dict[str, str]
) -> None:
    form = "name=sql-error&client_id=demo-client&prefix=%2Fficoba-api%2Fv2"
    sent = admin.post(PAGE + "/send", content=form, headers={**FORM, **HTMX})
    assert sent.status_code == 200
    assert sent.text.lstrip().startswith('<section id="sent"')
    assert '<strong id="sent-status">500</strong>' in sent.text
    assert "&#34;code&#34;: &#34;CAT003&#34;" in sent.text  # the erreur the client got
    assert "as the catalogue expects" in sent.text
    assert "x-correlation-id: " in sent.text.lower()
    # neither the token nor the secret nor the mark in the page
    assert "Bearer &lt;token&gt;" in sent.text and demo_creds["client_secret"] not in sent.text
    assert console_mark.HEADER not in sent.text
    correlation_id = sent.text.split('<code id="sent-correlation-id">', 1)[1].split("<", 1)[0]
    row = journal_row(admin, correlation_id)
    assert row["client_id"] == "demo-client" and row["status"] == 500
    assert row["error_code"] == "CAT003"
    assert row["details"]["sent_from"] == "console"  # type: ignore[index]
    # the backend prefix too; without htmx the whole page, the result in it
    form = "name=closed-account&client_id=demo-client&prefix=%2Ffcb-masrestit%2Fapi%2Fv2"
    page = admin.post(PAGE + "/send", content=form, headers=FORM)
    assert page.status_code == 200 and '<main id="content"' in page.text
    assert "/fcb-masrestit/api/v2/comptes/numCpte" in page.text


def test_a_forged_or_replayed_mark_marks_nothing(
    console_server: QAServer, admin: httpx.Client
) -> None:
    runner = Runner(console_server.target())
    try:
        token = runner.token()
        forged = str(uuid.uuid4())
        marks = {
            forged: "0" * 64,  # a made-up mark
            str(uuid.uuid4()): console_mark.sign(b"another key" * 3, forged),
        }
        # a mark seen on a console call, replayed on another correlation id
        sent = admin.post(
            PAGE + "/send",
            content="name=sql-error&client_id=demo-client&prefix=%2Fficoba-api%2Fv2",
            headers={**FORM, **HTMX},
        )
        seen = sent.text.split('<code id="sent-correlation-id">', 1)[1].split("<", 1)[0]
        real = console_mark.sign(console_server.app.sandbox.console_key, seen)
        marks[str(uuid.uuid4())] = real
        for correlation_id, mark in marks.items():
            r = runner.http.get(
                console_server.origin + "/ficoba-api/v2/etatSante",
                headers={
                    "Authorization": f"Bearer {token}",
                    "X-Correlation-ID": correlation_id,
                    console_mark.HEADER: mark,
                },
            )
            assert r.status_code == 200  # the answer does not change
            assert "sent_from" not in journal_row(admin, correlation_id)["details"]  # type: ignore[operator]
    finally:
        runner.close()


@pytest.mark.parametrize(
    ("form", "status", "shown"),
    [
        ("name=sql-error&client_id=nobody&prefix=%2Fficoba-api%2Fv2", 422, "is unknown"),
        (
            "name=no-such-value&client_id=demo-client&prefix=%2Fficoba-api%2Fv2",
            422,
            "Unknown magic",
        ),
        ("name=sql-error&client_id=demo-client&prefix=%2Fetc", 422, "not one of the console"),
        ("name=" + "x" * 20_000, 400, "not one of the console"),
    ],
)
def test_bad_input_gets_an_alert(admin: httpx.Client, form: str, status: int, shown: str) -> None:
    r = admin.post(PAGE + "/send", content=form, headers={**FORM, **HTMX})
    assert r.status_code == status and 'role="alert"' in r.text and shown in r.text


def test_an_api_that_does_not_answer_is_said_not_a_500(
    open_app: Callable[..., SandboxApp], admin_of: Callable[[SandboxApp], httpx.Client]
) -> None:
    """An app with no API listener (its settings name a port nobody listens on)."""
    from gateway_support import free_port

    admin = admin_of(open_app(port=free_port()))
    r = admin.post(
        PAGE + "/send",
        content="name=sql-error&client_id=demo-client&prefix=%2Fficoba-api%2Fv2",
        headers={**FORM, **HTMX},
    )
    assert r.status_code == 200 and 'role="alert"' in r.text
    assert "The API did not answer" in r.text and "ConnectError" in r.text
