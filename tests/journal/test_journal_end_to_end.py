"""The journal on the real app (create_app + the real gateway and /token), over ASGI with a
client certificate injected as our uvicorn protocol class does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.api.journal_middleware import install_journal
from ficoba_sandbox.gateway.pki import x5t_s256
from ficoba_sandbox.journal import Journal

GW = "/ficoba-api/v2"
SPI = "1489335901123"


@pytest.fixture
def journaled_app(make_app: Callable[..., Any], tmp_path: Path) -> Iterator[tuple[Any, Journal]]:
    app = make_app()
    journal = Journal.in_dir(tmp_path)
    install_journal(app, journal)  # replaces the app's own journal if create_app installed one
    yield app, journal
    journal.close()


def spi_body(spi: str = SPI) -> dict[str, Any]:
    return {
        "dateDemande": "2026-01-05",
        "motif": "0001",
        "siretDemandeur": "",
        "justification": "",
        "criteresRecherche": {"numeroSPI": spi},
    }


def test_real_app_calls_are_journaled(
    journaled_app: tuple[Any, Journal],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    tmp_path: Path,
) -> None:
    app, journal = journaled_app
    client = make_client(app)  # fetches a token over /token (HTTP Basic + certificate)
    anon = make_client(app, token=False)
    corr_ok, corr_anon = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        ok = client.post(
            f"{GW}/comptes/spi", json=spi_body(), headers={"X-Correlation-ID": corr_ok}
        )
        rejected = anon.post(
            f"{GW}/comptes/spi", json=spi_body(), headers={"X-Correlation-ID": corr_anon}
        )
        no_corr = client.post(
            f"{GW}/comptes/spi", json=spi_body(), headers={"X-Correlation-ID": "nope"}
        )
        token = client.headers["Authorization"].split()[1]
    finally:
        client.close()
        anon.close()
    assert rejected.status_code == 401
    journal.flush()
    rows = journal.query(limit=50, newest_first=False)
    by = {r["correlation_id"]: r for r in rows}
    thumb = x5t_s256(Path(demo_creds["cert"]).read_text())
    client_id = demo_creds["client_id"]

    (tok,) = [r for r in rows if r["path"] == "/token"]
    assert tok["status"] == 200 and tok["auth_scheme"] == "Basic"
    assert tok["client_id"] == client_id and tok["client_id_source"] == "basic"
    assert tok["thumbprint"] == thumb

    row = by[corr_ok]
    assert row["status"] == ok.status_code
    assert row["client_id"] == client_id and row["client_id_source"] == "gateway"
    assert row["thumbprint"] == thumb and row["peer_ip"] == "127.0.0.1"
    assert row["search_type"] == "spi" and row["motif"] == "0001"
    assert row["request_id"] == ok.headers["x-request-id"]
    body = ok.json()
    assert row["reference_demande"] == body.get("referenceDemande")
    assert row["error_code"] == (body.get("erreur") or {}).get("code")
    assert row["info_code"] == (body.get("messageInformatif") or {}).get("code")
    assert row["justification"] == "empty"

    anon_row = by[corr_anon]
    assert (anon_row["status"], anon_row["error_code"]) == (401, "900902")
    assert anon_row["auth_scheme"] is None and anon_row["thumbprint"] == thumb
    assert anon_row["request_id"] == rejected.headers["x-request-id"]

    bad = by["nope"]
    assert bad["status"] == no_corr.status_code == 400
    assert bad["error_code"] == no_corr.json()["erreur"]["code"]

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("journal.sqlite3*"))
    journal.close()
    raw += b"".join(p.read_bytes() for p in tmp_path.glob("journal.sqlite3*"))
    for secret in (demo_creds["client_secret"], token, token.split(".")[1], SPI):
        assert secret.encode() not in raw


def test_create_app_wires_a_journal_in_the_state_dir(
    make_app: Callable[..., Any], settings: Any
) -> None:
    app = make_app()
    journal = app.state.journal
    assert isinstance(journal, Journal)
    assert journal.path == Path(settings.state_dir) / "journal.sqlite3"
    assert journal.masker.enabled is settings.mask_journal
