"""The console's clients (admin/console/clients.py): the registry, a new client made as
`clients add` makes it, able to call the real API at once, and its credentials downloaded
through single-use handles; bad forms get an alert, never a 500."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from ficoba_sandbox.admin.console.clients import PAGE
from ficoba_sandbox.gateway.pki import client_ssl_context
from gateway_support import QAServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def links(page: str) -> dict[str, str]:
    section = page.split('<ul id="downloads">', 1)[1].split("</ul>", 1)[0]
    return {
        part.split('data-file="', 1)[1].split('"', 1)[0]: part.split('href="', 1)[1].split('"', 1)[
            0
        ]
        for part in section.split("<li>")[1:]
    }


def test_the_registry_shows_each_client_with_its_certificate(
    admin: httpx.Client, console_server: QAServer
) -> None:
    page = admin.get(PAGE)
    assert page.status_code == 200
    row = page.text.split('id="client-demo-client"', 1)[1].split("</tr>", 1)[0]
    record = console_server.app.sandbox.gateway.registry.get("demo-client")
    assert record is not None and record.cert_not_after[:10] in row and "days left" in row
    assert "Download credentials" in row and console_server.demo["siret_demandeur"] in row


def test_a_new_client_calls_at_once_and_its_files_download_once(
    admin: httpx.Client, console_server: QAServer
) -> None:
    client_id = f"console-{uuid.uuid4().hex[:8]}"
    form = urlencode(
        [("client_id", client_id), ("quota", "50"), ("motifs", "0001, 0100:compte;spi"),
         ("modalities", "with_ficoba_iban"), ("hours", "")]
    )  # fmt: skip
    made = admin.post(PAGE + "/new", content=form, headers=FORM)
    assert made.status_code == 200, made.text
    assert f"Client {client_id} created." in made.text
    password = made.text.split('<code id="p12-password">', 1)[1].split("<", 1)[0]
    files = links(made.text)
    assert set(files) == {"json", "cert", "key", "p12"}
    creds = admin.get(files["json"]).json()
    assert creds["client_id"] == client_id and creds["client_secret"]
    assert creds["client_secret"] not in made.text
    again = admin.get(files["json"])
    assert again.status_code == 410 and 'role="alert"' in again.text
    p12 = admin.get(files["p12"])
    assert p12.headers["content-disposition"] == f'attachment; filename="{client_id}.p12"'
    key, cert, _ = pkcs12.load_key_and_certificates(p12.content, password.encode())
    assert key is not None and cert is not None and client_id in cert.subject.rfc4514_string()
    # the registry as `clients add` writes it, seen by the running sandbox at once
    record = console_server.app.sandbox.gateway.registry.get(client_id)
    assert record is not None and record.quota_per_minute == 50
    assert record.modalities == {"with_ficoba_iban"} and set(record.motifs) == {"0001", "0100"}
    tls = client_ssl_context(creds["ca"], creds["cert"], creds["key"])
    with httpx.Client(verify=tls, timeout=30) as api:
        token = api.post(
            console_server.origin + "/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, creds["client_secret"]),
        )
        assert token.status_code == 200, token.text
        health = api.get(
            console_server.origin + "/ficoba-api/v2/etatSante",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert health.status_code == 200
    events = admin.get("/__sandbox/journal/events").json()["events"]
    assert any(
        e["action"] == "client.add" and e["details"]["client_id"] == client_id for e in events
    )
    # its row; new handles from it, the secret still only in the file
    page = admin.get(PAGE)
    assert f'id="client-{client_id}"' in page.text and "0100</code> (compte, spi)" in page.text
    fresh = admin.post(PAGE + "/credentials", content=f"client_id={client_id}", headers=FORM)
    assert json.loads(admin.get(links(fresh.text)["json"]).text)["client_id"] == client_id
    assert '<code id="p12-password">' not in fresh.text


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ([("client_id", "bad id!")], "client_id"),
        ([("client_id", "demo-client")], "already exists"),
        ([("client_id", "ok-id"), ("quota", "many")], "whole numbers"),
        ([("client_id", "ok-id"), ("quota", "0")], "quota must be at least 1"),
        ([("client_id", "ok-id"), ("modalities", "EVERYTHING")], "unknown modality"),
        ([("client_id", "ok-id"), ("motifs", "12x")], "invalid motif"),
        ([("client_id", "ok-id"), ("sirets", "12345678900000")], "invalid SIRET"),
        ([("client_id", "ok-id"), ("ips", "not-a-network")], "not-a-network"),
        ([("client_id", "ok-id"), ("hours", "soon")], "soon"),
        ([("client_id", "ok-id"), ("cert_validity", "99999")], "1 to 3650 days"),
    ],
)
def test_a_refused_form_says_why_and_keeps_what_was_typed(
    admin: httpx.Client, console_server: QAServer, fields: list[tuple[str, str]], shown: str
) -> None:
    r = admin.post(PAGE + "/new", content=urlencode(fields), headers=FORM)
    assert r.status_code == 422 and 'role="alert"' in r.text, r.text[-500:]
    assert shown in r.text and "Traceback" not in r.text
    assert f'value="{fields[0][1]}"' in r.text.replace("&#34;", '"') or fields[0][1] == "bad id!"
    assert console_server.app.sandbox.gateway.registry.get("ok-id") is None


def test_credentials_only_for_a_client_whose_file_is_here(admin: httpx.Client) -> None:
    for client_id in ("nobody", ""):
        r = admin.post(PAGE + "/credentials", content=f"client_id={client_id}", headers=FORM)
        assert r.status_code == 422 and 'role="alert"' in r.text
    assert admin.get(PAGE + "/download/made-up-handle/json").status_code == 410
    fresh = admin.post(PAGE + "/credentials", content="client_id=demo-client", headers=FORM)
    handle_url = links(fresh.text)["cert"]
    assert admin.get(handle_url.replace("/cert", "/secrets")).status_code == 410
    assert admin.get(handle_url).text.startswith("-----BEGIN CERTIFICATE-----")
