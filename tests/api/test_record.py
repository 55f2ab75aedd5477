"""api/record.py on the real app: what the journal row of each kind of call says, what it never
holds (secrets; identifiers and names when masking is on), and that a crash is recorded."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.pki import x5t_s256
from ficoba_sandbox.journal import Journal, Masker, format_ts
from ficoba_sandbox.qa import magic
from gateway_support import envelope

GW = "/ficoba-api/v2/comptes"
SPI = "1489335901"  # DUBOIS DANIEL, a persona of the protocol's examples
NAME = "SANDBOXINCONNUE"
FIRST_NAME = "MARGUERITTE"
JUSTIFICATION = "Dossier contentieux numero secretissime"
FROZEN = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def request(creds: dict[str, Any], criteres: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A body whose justification the journal must never hold in clear."""
    return envelope(creds, criteres, **{"justification": JUSTIFICATION, **fields})


def per_phy(creds: dict[str, Any], **fields: Any) -> dict[str, Any]:
    etat_civil = {"nom": NAME, "prenoms": FIRST_NAME, "anneeNaissance": "1980", "sexe": ""}
    return request(creds, {"etatCivil": etat_civil}, **fields)


@pytest.fixture
def journaled(
    make_app: Callable[..., Any], tmp_path: Path
) -> Iterator[Callable[..., tuple[SandboxApp, Journal]]]:
    """`journaled(masker=..., writer=...)`: a real app whose journal is in `tmp_path`."""
    made: list[Journal] = []

    def make(clock: Any = None, **options: Any) -> tuple[SandboxApp, Journal]:
        app: SandboxApp = make_app(clock=clock) if clock is not None else make_app()
        app.sandbox.journal.close()
        app.sandbox.journal = journal = Journal.in_dir(tmp_path, **options)
        made.append(journal)
        return app, journal

    yield make
    for journal in made:
        journal.close()


def scenario(
    app: SandboxApp, make_client: Callable[..., httpx.Client], creds: dict[str, Any]
) -> str:
    """Token refused then issued, a search, a "no result", a refused body, an anonymous call, a
    call without correlation id, a forged token. Returns the token."""
    anon = make_client(app, token=False, correlation=False)
    r = anon.post(
        "/token",
        data={"grant_type": "client_credentials", "client_id": creds["client_id"],
              "client_secret": "wrong"},
    )  # fmt: skip
    assert r.status_code == 401
    client = make_client(app, correlation=False)  # a token over /token (HTTP Basic)
    token = client.headers["Authorization"].split()[1]
    r = client.post(f"{GW}/spi", json=request(creds, {"numeroSPI": SPI}),
                    headers={"X-Correlation-ID": str(uuid.UUID(int=1))})  # fmt: skip
    assert r.status_code == 200, r.text
    r = client.post(f"{GW}/perPhy", json=per_phy(creds),
                    headers={"X-Correlation-ID": str(uuid.UUID(int=2))})  # fmt: skip
    assert r.json()["messageInformatif"]["code"] == "CAF013", r.text
    r = client.post(f"{GW}/perPhy", json=per_phy(creds, justification=""),
                    headers={"X-Correlation-ID": str(uuid.UUID(int=3))})  # fmt: skip
    assert r.json()["erreur"]["code"] == "CAF001"
    criteres = {"iban": magic.IBAN_JOINT, "recherchePP": "1", "recherchePM": "0",
                "rechercheSirenSiret": "0"}  # fmt: skip
    r = anon.post(f"{GW}/verifIban", json=request(creds, criteres),
                  headers={"X-Correlation-ID": str(uuid.UUID(int=4))})  # fmt: skip
    assert r.status_code == 401
    r = client.post(f"{GW}/numCpte", json=request(creds, {"iban": magic.IBAN_CLOSED}))
    assert r.status_code == 400
    criteres = {"recherchePP": "0", "recherchePM": "1", "rechercheSIRENSIRET": "0"}
    r = anon.post(f"{GW}/multiDet", json=request(creds, criteres),
                  headers={"Authorization": f"Bearer {token}x",
                           "X-Correlation-ID": str(uuid.UUID(int=5))})  # fmt: skip
    assert r.status_code == 401
    return token


def test_each_call_is_recorded_with_its_facts(
    journaled: Callable[..., tuple[SandboxApp, Journal]],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
) -> None:
    clock = SystemClock()
    clock.freeze(FROZEN)
    app, journal = journaled(clock)
    before = format_ts(datetime.now(UTC))
    scenario(app, make_client, demo_creds)
    rows = journal.query(limit=100, newest_first=False)
    assert len(rows) == 8
    # `ts` is the wall clock's; the frozen sandbox clock's instant is recorded beside it
    # (docs/journal.md, "Time")
    assert all(before <= r["ts"] <= format_ts(datetime.now(UTC)) for r in rows)
    assert {r["details"]["sandbox_time"] for r in rows} == {"2026-06-01T09:30:00.000000Z"}
    thumb = x5t_s256(Path(demo_creds["cert"]).read_text())
    assert all(r["peer_ip"] == "127.0.0.1" and r["thumbprint"] == thumb for r in rows)
    assert all(r["latency_ms"] >= 0 for r in rows)
    client_id = demo_creds["client_id"]

    refused, issued = rows[0], rows[1]
    assert (refused["path"], refused["status"], refused["error_code"]) == (
        "/token",
        401,
        "invalid_client",
    )
    assert refused["client_id"] == client_id and refused["client_id_source"] == "form"
    assert issued["status"] == 200 and issued["error_code"] is None
    assert issued["client_id_source"] == "basic" and issued["auth_scheme"] == "Basic"
    assert issued["details"]["issued_token"].isalpha()

    by = {r["correlation_id"]: r for r in rows}
    spi = by[str(uuid.UUID(int=1))]
    assert spi["client_id"] == client_id and spi["client_id_source"] == "gateway"
    assert spi["search_type"] == "spi" and spi["motif"] == demo_creds["motifs"][0]
    assert spi["reference_demande"].startswith("FCB_2026_")
    assert spi["auth_scheme"] == "Bearer" and spi["justification"] == "present"
    assert spi["details"]["token_ref"] == issued["details"]["issued_token"]

    no_result = by[str(uuid.UUID(int=2))]
    assert (no_result["status"], no_result["info_code"]) == (200, "CAF013")
    assert no_result["search_type"] == "personne_physique"

    empty = by[str(uuid.UUID(int=3))]
    assert (empty["status"], empty["error_code"], empty["justification"]) == (
        400,
        "CAF001",
        "empty",
    )

    anonymous = by[str(uuid.UUID(int=4))]
    assert (anonymous["status"], anonymous["error_code"]) == (401, "900902")
    assert anonymous["auth_scheme"] is None and anonymous["client_id"] is None
    assert anonymous["search_type"] == "verif_iban_personne_physique"
    assert anonymous["motif"] == demo_creds["motifs"][0]  # the body is read whoever refuses

    (uncorrelated,) = [r for r in rows if r["path"].endswith("/numCpte")]
    assert (uncorrelated["status"], uncorrelated["error_code"]) == (400, "910000")
    assert uncorrelated["search_type"] == "compte" and uncorrelated["correlation_id"] is None
    assert uncorrelated["client_id"] == client_id
    assert uncorrelated["client_id_source"] == "token_claim"

    forged = by[str(uuid.UUID(int=5))]
    assert (forged["status"], forged["error_code"]) == (401, "900901")
    assert forged["search_type"] == "multi_detention_personne_morale"
    assert journal.last_rejected(client_id)["correlation_id"] == str(uuid.UUID(int=5))


def test_a_crash_inside_a_resource_is_a_journaled_500(
    journaled: Callable[..., tuple[SandboxApp, Journal]],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, journal = journaled()

    def crash(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.sandbox.backend, "run", crash)
    client = make_client(app)
    r = client.post(f"{GW}/spi", json=request(demo_creds, {"numeroSPI": SPI}))
    assert r.status_code == 500 and r.json()["erreur"]["code"] == "CAT004"
    assert "boom" not in r.text and "Traceback" not in r.text
    journal.flush()
    (row,) = [row for row in journal.query(limit=10) if row["path"].endswith("/spi")]
    assert row["status"] == 500 and row["error_code"] == "CAT004"
    assert row["details"]["exception"] == "RuntimeError"


def _db_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.glob("journal.sqlite3*")))


def test_masking_nothing_sensitive_in_the_file(
    journaled: Callable[..., tuple[SandboxApp, Journal]],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    tmp_path: Path,
) -> None:
    app, journal = journaled(masker=Masker(enabled=True, keep=2))
    token = scenario(app, make_client, demo_creds)
    journal.flush()
    raw = _db_bytes(tmp_path)  # while open: main file + WAL
    journal.close()
    raw += _db_bytes(tmp_path)
    assert str(uuid.UUID(int=1)).encode() in raw  # the file is readable: the grep can see things
    secrets = {
        "spi": SPI,
        "iban": magic.IBAN_JOINT,
        "name": NAME,
        "first name": FIRST_NAME,
        "justification": JUSTIFICATION,
        "client secret": demo_creds["client_secret"],
        "token": token,
        "token payload": token.split(".")[1],
    }
    for label, value in secrets.items():
        assert value.encode() not in raw, f"raw {label} in the journal file"
    assert b"wrong" not in raw  # the refused client_secret


def test_masking_off_keeps_identifiers_but_never_secrets(
    journaled: Callable[..., tuple[SandboxApp, Journal]],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    tmp_path: Path,
) -> None:
    app, journal = journaled(masker=Masker(enabled=False))
    token = scenario(app, make_client, demo_creds)
    journal.close()
    raw = _db_bytes(tmp_path)
    for value in (SPI, magic.IBAN_JOINT, NAME):
        assert value.encode() in raw  # positive control: masking really is what hides them
    assert demo_creds["client_secret"].encode() not in raw
    assert token.encode() not in raw and token.split(".")[1].encode() not in raw


def test_a_secret_sent_in_any_encoding_stays_out_of_the_row(
    journaled: Callable[..., tuple[SandboxApp, Journal]],
    make_client: Callable[..., httpx.Client],
    tmp_path: Path,
) -> None:
    app, journal = journaled(masker=Masker())
    secret = "pasted-alone-" + "q" * 20
    http = make_client(app, token=False, correlation=False)
    alone = base64.b64encode(secret.encode()).decode()  # a Basic value with no "id:"
    http.post("/token", headers={"Authorization": f"Basic {alone}"}, data={"grant_type": "x"})
    http.post(
        "/token",
        content=f"client_id=a&client_secret={secret}",
        headers={"Content-Type": "text/plain"},
    )
    http.post(f"/token?client_secret={secret}", data={"grant_type": "client_credentials"})
    http.post("/token", json={"client_secret": secret, "client_assertion": secret})
    journal.flush()
    rows = journal.query(limit=10)
    assert len(rows) == 4
    assert secret not in repr(rows) and alone.rstrip("=") not in repr(rows)
    journal.close()
    assert secret.encode() not in _db_bytes(tmp_path)


def test_an_x_jwt_assertion_is_accepted_and_journalled_as_a_fingerprint(
    journaled: Callable[..., tuple[SandboxApp, Journal]],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    tmp_path: Path,
) -> None:
    """`X-JWT-Assertion` (optional on every operation, OpenAPI 2025-10 and 2024-11): the call is
    answered as without it; the row holds its fingerprint, never the assertion."""
    app, journal = journaled(masker=Masker(enabled=True, keep=2))
    client = make_client(app)
    payload = base64.urlsafe_b64encode(b'{"sub":"agent-fictif-42"}').decode().rstrip("=")
    assertion = f"eyJhbGciOiJub25lIn0.{payload}.c2lnbmF0dXJlLWZpY3RpdmU"
    body = envelope(demo_creds, {"iban": magic.IBAN_JOINT, "verificationCompte": "1"})
    r = client.post(f"{GW}/numCpte", json=body, headers={"X-JWT-Assertion": assertion})
    assert r.status_code == 200, r.text
    r = client.get("/ficoba-api/v2/etatSante", headers={"X-JWT-Assertion": assertion})
    assert r.status_code == 200, r.text
    journal.flush()
    rows = journal.query(limit=10)
    calls = [row for row in rows if row["path"].startswith("/ficoba-api/")]
    assert len(calls) == 2
    refs = {row["details"].get("jwt_assertion_ref") for row in calls}
    assert len(refs) == 1 and None not in refs
    raw = _db_bytes(tmp_path)
    journal.close()
    assert assertion.encode() not in raw and payload.encode() not in raw
