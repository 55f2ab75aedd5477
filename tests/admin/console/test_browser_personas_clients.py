"""The console's personas and clients pages in a real headless Chromium, against the console's
own server: find a persona by typing (htmx, no submit), open her page and her ready requests;
create a client from the form and open the PKCS#12 it downloads with the password shown."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import pkcs12

from ficoba_sandbox.admin.console.clients import PAGE as CLIENTS
from ficoba_sandbox.admin.console.personas import PAGE as PERSONAS
from gateway_support import QAServer


def test_find_a_persona_as_one_types_and_open_her_requests(
    console_page: Any, console_server: QAServer
) -> None:
    store = console_server.app.sandbox.store
    persona = next(p for p in store.personnes_physiques() if p.persona and p.numero_spi)
    page = console_page
    page.goto(console_server.admin_url + PERSONAS)
    box = page.get_by_label("Name, IBAN, SPI, SIREN or SIRET")
    box.press_sequentially(f"{persona.nom_naissance} {persona.prenoms}".lower(), delay=20)
    found = page.locator(f'#results tr[data-personne="{persona.id}"]')
    found.wait_for()  # swapped in by htmx as one types: the page did not change
    assert page.url.endswith(PERSONAS)
    found.get_by_role("link").click()
    page.locator("#person-name").wait_for()
    assert persona.nom_naissance in page.locator("#person-name").inner_text()
    assert page.locator("#request-personne_physique pre[data-kind=curl]").is_visible()
    assert "client_secret" not in page.locator("main").inner_text().replace('["client_secret"]', "")


def test_create_a_client_and_open_its_pkcs12(
    console_page: Any, console_server: QAServer, tmp_path: Path
) -> None:
    client_id = f"browser-{uuid.uuid4().hex[:8]}"
    page = console_page
    page.goto(console_server.admin_url + CLIENTS)
    page.get_by_label("Client id (letters, digits, . _ -)").fill(client_id)
    page.get_by_label("Quota per minute (empty: the server's default)").fill("20")
    page.get_by_role("button", name="Create the client").click()
    page.locator("#created").wait_for()
    password = page.locator("#p12-password").inner_text()
    with page.expect_download() as download:
        page.locator('#downloads a[data-file="p12"]').click()
    saved = tmp_path / "client.p12"
    download.value.save_as(saved)
    key, cert, cas = pkcs12.load_key_and_certificates(saved.read_bytes(), password.encode())
    assert key is not None and cert is not None and client_id in cert.subject.rfc4514_string()
    assert len(cas) == 1  # the sandbox CA, so a browser trusts the server too
    assert page.locator(f"#client-{client_id}").is_visible()
