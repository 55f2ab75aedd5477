"""The console's journal (admin/console/journal.py): the calls of the console's real server,
filtered every way the page offers, live or paused, and a call's masked request, answer and
explanation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from ficoba_sandbox.admin.console.journal import PAGE
from ficoba_sandbox.qa import magic
from ficoba_sandbox.qa.runner import Runner
from gateway_support import QAServer

HTMX = {"HX-Request": "true"}


@pytest.fixture
def calls(console_server: QAServer) -> dict[str, str]:
    """Three calls of the demo client, each with its own correlation id: a 200, a 400 CAF001
    (a criterion missing) and a 200 with messageInformatif (an IBAN not found)."""
    runner = Runner(console_server.target())
    ids = {name: str(uuid.uuid4()) for name in ("ok", "caf001", "not_found")}
    siret, motif = console_server.demo["siret_demandeur"], console_server.demo["motifs"][0]
    today = runner.today()  # the sandbox's day, from its admin plane
    bodies = {
        "ok": None,
        "caf001": magic.envelope(siret, motif, today, {"verificationCompte": "0"}),
        "not_found": magic.envelope(
            siret, motif, today, {"iban": "FR7699999000020000000001167", "verificationCompte": "0"}
        ),
    }
    try:
        token = runner.token()
        for name, body in bodies.items():
            headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": ids[name]}
            base = console_server.origin + "/ficoba-api/v2"
            if body is None:
                r = runner.http.get(base + "/etatSante", headers=headers)
            else:
                r = runner.http.post(base + "/comptes/numCpte", json=body, headers=headers)
            assert r.status_code == (400 if name == "caf001" else 200), r.text
    finally:
        runner.close()
    return ids


def shown_ids(html: str) -> set[str]:
    return {
        part.split('"', 1)[0] for part in html.split('data-correlation-id="')[1:] if part[:1] != '"'
    }


def test_filters_combine_and_are_kept_in_the_url(
    admin: httpx.Client, calls: dict[str, str]
) -> None:
    every = admin.get(PAGE)
    assert every.status_code == 200 and set(calls.values()) <= shown_ids(every.text)
    assert 'hx-trigger="every 2s"' in every.text
    for params, wanted in [
        ({"correlation_id": calls["caf001"]}, {calls["caf001"]}),
        ({"code": "CAF001", "correlation_id": calls["caf001"]}, {calls["caf001"]}),
        ({"code": "CAF011", "correlation_id": calls["caf001"]}, set()),
        ({"status": "4xx", "correlation_id": calls["caf001"]}, {calls["caf001"]}),
        ({"status": "200", "correlation_id": calls["caf001"]}, set()),
        ({"search_type": "compte", "correlation_id": calls["ok"]}, set()),
        ({"search_type": "compte", "correlation_id": calls["not_found"]}, {calls["not_found"]}),
        ({"client": "demo-client", "correlation_id": calls["ok"]}, {calls["ok"]}),
        ({"client": "someone-else", "correlation_id": calls["ok"]}, set()),
    ]:
        page = admin.get(PAGE, params=params)
        assert shown_ids(page.text) == wanted, params
        # the live refresh asks for the same filters
        assert f"/rows?{httpx.QueryParams(params)}".replace("&", "&amp;") in page.text
    # the row of a code that is a messageInformatif
    not_found = admin.get(PAGE, params={"code": "CAF011"})
    assert calls["not_found"] in shown_ids(not_found.text)
    # times, in Paris: from a minute ago shows them, up to an hour ago does not
    now = datetime.now(ZoneInfo("Europe/Paris"))
    recent = {"from": (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")}
    assert set(calls.values()) <= shown_ids(admin.get(PAGE, params=recent).text)
    old = {"to": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    assert not set(calls.values()) & shown_ids(admin.get(PAGE, params=old).text)


def test_live_rows_and_a_pause(admin: httpx.Client, calls: dict[str, str]) -> None:
    rows = admin.get(PAGE + "/rows", params={"correlation_id": calls["ok"]}, headers=HTMX)
    assert rows.text.lstrip().startswith('<section id="journal-rows"')
    assert 'hx-trigger="every 2s"' in rows.text and shown_ids(rows.text) == {calls["ok"]}
    paused = admin.get(PAGE, params={"live": "0"})
    assert "hx-trigger" not in paused.text.split('id="journal-rows"', 1)[1].split("</section>")[0]
    assert "Paused." in paused.text


def test_a_call_its_masked_request_its_answer_and_why(
    admin: httpx.Client, calls: dict[str, str], demo_creds: dict[str, str]
) -> None:
    page = admin.get(PAGE, params={"correlation_id": calls["caf001"]})
    row_id = page.text.split('id="row-', 1)[1].split('"', 1)[0]
    detail = admin.get(f"{PAGE}/row/{row_id}", headers=HTMX)
    assert detail.status_code == 200 and detail.text.lstrip().startswith('<section id="detail"')
    assert "POST /ficoba-api/v2/comptes/numCpte" in detail.text
    assert "verificationCompte" in detail.text  # the request as journalled
    assert "<strong>400</strong> — erreur.code <code>CAF001</code>" in detail.text
    why = detail.text.split('id="detail-why">', 1)[1].split("</div>", 1)[0]
    assert "<code>CAF001</code>" in why and "mandatory criterion is missing" in why
    assert "iban" in why  # the feedback's message names the attribute at fault
    fr = admin.get(f"{PAGE}/row/{row_id}", params={"lang": "fr"}, headers=HTMX)
    assert "Un critère obligatoire manque" in fr.text
    admin.get(PAGE, params={"lang": "en"})
    # a 200 "no result": why is its messageInformatif
    page = admin.get(PAGE, params={"correlation_id": calls["not_found"]})
    row_id = page.text.split('id="row-', 1)[1].split('"', 1)[0]
    assert "<code>CAF011</code>" in admin.get(f"{PAGE}/row/{row_id}").text
    # a success needs no why
    page = admin.get(PAGE, params={"correlation_id": calls["ok"]})
    row_id = page.text.split('id="row-', 1)[1].split('"', 1)[0]
    assert "Answered 200: the request was accepted." in admin.get(f"{PAGE}/row/{row_id}").text
    # the /token rows: the secret is never shown, masked in the journal
    tokens = admin.get(PAGE, params={"client": "demo-client", "live": "0"})
    for token_row in tokens.text.split('id="row-')[1:]:
        if "/token</code>" in token_row.split("</tr>", 1)[0]:
            token_row_id = token_row.split('"', 1)[0]
            shown = admin.get(f"{PAGE}/row/{token_row_id}").text
            assert demo_creds["client_secret"] not in shown
            break
    else:
        pytest.fail("no /token row shown")


def test_bad_filters_and_unknown_rows(admin: httpx.Client) -> None:
    for params in ({"status": "often"}, {"from": "yesterday"}):
        r = admin.get(PAGE, params=params)
        assert r.status_code == 400 and 'role="alert"' in r.text, params
        assert "Traceback" not in r.text
    assert admin.get(PAGE + "/row/999999999").status_code == 404
    assert admin.get(PAGE, params={"row": "999999999"}).status_code == 404
    assert admin.get(PAGE + "/row/not-a-number").status_code == 422
