"""Dev PKI, init, client registry, secrets."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import stat
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from stdnum.fr import siren as siren_mod
from stdnum.fr import siret as siret_mod

from ficoba_sandbox.admin import create_admin_app
from ficoba_sandbox.app import create_app
from ficoba_sandbox.cli import gateway as cli_gateway
from ficoba_sandbox.domain.access import MODALITIES, SCOPES, SearchType
from ficoba_sandbox.gateway.clients import (
    CREDENTIAL_KEYS,
    ensure_demo_client,
    fictitious_siret,
    public_origin,
)
from ficoba_sandbox.gateway.pki import (
    client_ssl_context,
    ensure_pki,
    load_cert,
    server_sans,
    x5t_s256,
)
from ficoba_sandbox.gateway.registry import (
    ClientRecord,
    Registry,
    RegistryError,
    hash_secret,
    parse_motif,
    verify_secret,
)
from ficoba_sandbox.settings import Settings
from gateway_support import (
    free_port,
    run_on_asgi_loop,
    run_tls_server,
    serve_in_thread,
    wait_for_file_watch,
)

# RFC 8705 Appendix A (Figure 6) and its x5t#S256 (Figure 5).
RFC8705_CERT = """-----BEGIN CERTIFICATE-----
MIIBBjCBrAIBAjAKBggqhkjOPQQDAjAPMQ0wCwYDVQQDDARtdGxzMB4XDTE4MTAx
ODEyMzcwOVoXDTIyMDUwMjEyMzcwOVowDzENMAsGA1UEAwwEbXRsczBZMBMGByqG
SM49AgEGCCqGSM49AwEHA0IABNcnyxwqV6hY8QnhxxzFQ03C7HKW9OylMbnQZjjJ
/Au08/coZwxS7LfA4vOLS9WuneIXhbGGWvsDSb0tH6IxLm8wCgYIKoZIzj0EAwID
SQAwRgIhAP0RC1E+vwJD/D1AGHGzuri+hlV/PpQEKTWUVeORWz83AiEA5x2eXZOV
bUlJSGQgjwD5vaUaKlLR50Q2DmFfQj1L+SY=
-----END CERTIFICATE-----
"""
RFC8705_X5T = "A4DtL2JmUMhAsvJj5tKyn64SqzmuXbMrJa0n761y5v0"


def test_rfc8705_appendix_a_thumbprint() -> None:
    assert x5t_s256(RFC8705_CERT) == RFC8705_X5T
    assert x5t_s256(RFC8705_CERT.encode()) == RFC8705_X5T
    cert = x509.load_pem_x509_certificate(RFC8705_CERT.encode())
    assert x5t_s256(cert) == RFC8705_X5T
    from cryptography.hazmat.primitives.serialization import Encoding

    assert x5t_s256(cert.public_bytes(Encoding.DER)) == RFC8705_X5T


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    cli_gateway.register(sub)
    args = parser.parse_args(list(argv))
    return int(args.handler(args))


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_init_writes_demo_client_idempotently(tmp_path: Path, capsys: Any) -> None:
    d = tmp_path / "D"
    assert run_cli("init", "--dir", str(d)) == 0
    first = json.loads(capsys.readouterr().out)
    demo = json.loads((d / "demo-client.json").read_text())
    assert demo == first
    assert list(demo) == list(CREDENTIAL_KEYS)
    for key in ("cert", "key", "ca", "p12"):
        assert Path(demo[key]).is_absolute() and Path(demo[key]).exists()
    assert demo["token_url"] == "https://localhost:8443/token"
    assert demo["base_url"] == "https://localhost:8443/ficoba-api/v2"
    assert siret_mod.is_valid(demo["siret_demandeur"])
    assert demo["motifs"][0] == "0001"
    record = Registry(d).get(demo["client_id"])
    assert record is not None
    assert record.motifs["0001"] == frozenset(SearchType)
    assert record.modalities == frozenset(MODALITIES) and record.scopes == frozenset(SCOPES)

    before = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    assert run_cli("init", "--dir", str(d)) == 0
    assert json.loads(capsys.readouterr().out) == first
    after = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    assert before == after  # nothing overwritten

    for key in (
        d / "pki/ca.key",
        d / "pki/server.key",
        d / "pki/token-signing.key",
        Path(demo["key"]),
        Path(demo["p12"]),
    ):
        assert _mode(key) == 0o600, key
    assert _mode(d / "demo-client.json") == 0o600
    assert _mode(d / "registry.json") == 0o600


def test_certificates_shape(sandbox_dir: Path, demo_creds: dict[str, Any]) -> None:
    server = load_cert(sandbox_dir / "pki/server.pem")
    assert {"localhost", "127.0.0.1", "::1"} <= server_sans(server)
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    client = load_cert(Path(demo_creds["cert"]))
    eku = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    cn = client.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
    assert cn == demo_creds["client_id"]
    validity = client.not_valid_after_utc - client.not_valid_before_utc
    assert 300 < validity.days < 400
    ca = load_cert(sandbox_dir / "pki/ca.pem")
    assert client.issuer == ca.subject == server.issuer


def test_extra_san_reissues_server_cert_only(tmp_path: Path) -> None:
    paths, _ = ensure_pki(tmp_path)
    ca_before = paths.ca_cert.read_bytes()
    ensure_pki(tmp_path, ["sandbox.example", "10.0.0.7"])
    sans = server_sans(load_cert(paths.server_cert))
    assert {"sandbox.example", "10.0.0.7", "localhost", "127.0.0.1", "::1"} <= sans
    assert paths.ca_cert.read_bytes() == ca_before


def test_clients_add_list_revoke(tmp_path: Path, capsys: Any) -> None:
    d = str(tmp_path)
    assert run_cli("init", "--dir", d) == 0
    capsys.readouterr()
    code = run_cli(
        "clients", "add", "--dir", d, "--id", "bank-1",
        "--modality", "with_ficoba_spi", "--scope", "compte", "--scope", "dgfip_ficoba_adresse",
        "--quota", "500", "--ip", "10.0.0.0/8", "--siret", "99000001000019",
        "--siren", "990000010", "--motif", "0100", "--motif", "0200:spi,compte",
        "--cert-validity", "30",
    )  # fmt: skip
    assert code == 0
    creds = json.loads(capsys.readouterr().out)
    assert list(creds) == list(CREDENTIAL_KEYS)
    assert creds["motifs"] == ["0100", "0200"]
    assert json.loads((tmp_path / "clients/bank-1.json").read_text()) == creds
    r = Registry(tmp_path).get("bank-1")
    assert r is not None
    assert r.modalities == {"with_ficoba_spi"}
    assert r.scopes == {"dgfip_ficoba_compte", "dgfip_ficoba_adresse"}
    assert r.quota_per_minute == 500
    assert [str(n) for n in r.ips] == ["10.0.0.0/8"]
    assert r.motifs == {"0100": frozenset(SearchType), "0200": {SearchType.SPI, SearchType.COMPTE}}
    assert r.sirets == {"99000001000019"} and r.sirens == {"990000010"}
    assert creds["client_secret"] not in (tmp_path / "registry.json").read_text()

    assert run_cli("clients", "add", "--dir", d, "--id", "bank-1") == 2  # exists
    assert run_cli("clients", "add", "--dir", d, "--id", "bad/id") == 2
    assert run_cli("clients", "add", "--dir", d, "--id", "x", "--siret", "12345678901234") == 2
    capsys.readouterr()
    assert run_cli("clients", "list", "--dir", d, "--json") == 0
    listed = {c["client_id"]: c for c in json.loads(capsys.readouterr().out)}
    assert set(listed) == {"bank-1", "demo-client"}
    assert "secret_hash" not in listed["bank-1"]
    assert run_cli("clients", "revoke", "--dir", d, "bank-1") == 0
    assert Registry(tmp_path).get("bank-1").revoked  # type: ignore[union-attr]
    assert Registry(tmp_path).active("bank-1") is None
    assert run_cli("clients", "revoke", "--dir", d, "nobody") == 2


def test_registry_reloads_when_the_file_changes(tmp_path: Path, capsys: Any) -> None:
    run_cli("init", "--dir", str(tmp_path))
    registry = Registry(tmp_path)  # as a running server holds it
    assert registry.get("later") is None
    run_cli("clients", "add", "--dir", str(tmp_path), "--id", "later")
    assert registry.get("later") is not None
    run_cli("clients", "revoke", "--dir", str(tmp_path), "later")
    assert registry.active("later") is None
    capsys.readouterr()  # the credentials `init` and `clients add` hand over: not a log


def test_secret_hashing() -> None:
    stored = hash_secret("s3cret")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_secret("s3cret", stored)
    assert not verify_secret("s3creT", stored)
    assert not verify_secret("s3cret", None)
    assert not verify_secret("s3cret", "garbage")
    assert hash_secret("s3cret") != stored  # salted


def test_parse_motif() -> None:
    assert parse_motif("0001") == ("0001", frozenset(SearchType))
    assert parse_motif("021:spi, compte") == ("021", {SearchType.SPI, SearchType.COMPTE})
    for bad in ("1", "abcd", "0001:nope"):
        with pytest.raises(RegistryError):
            parse_motif(bad)


def test_fictitious_sirets_are_valid() -> None:
    for seed in ("a", "b", "bank-1", "demo-client"):
        s = fictitious_siret(seed)
        assert siret_mod.is_valid(s) and siren_mod.is_valid(s[:9]) and s.startswith("99")


def test_new_secrets_are_command_line_safe() -> None:
    """A secret starting with "-" broke `replay --client-secret ...` (argparse reads an option)."""
    from ficoba_sandbox.gateway.registry import new_secret

    seen = {new_secret() for _ in range(500)}
    assert len(seen) == 500
    assert all(len(s) == 64 and set(s) <= set("0123456789abcdef") for s in seen)


def test_a_records_caller_is_built_once_per_scope_set() -> None:
    """`ClientRecord.caller` keeps the Caller of each granted scope set: the value built afresh,
    the same instance again, another one for other scopes; a record derived by `replace` (what
    the CLI writes) starts with none of them."""
    from dataclasses import replace

    from ficoba_sandbox.domain.access import Caller
    from ficoba_sandbox.gateway.registry import ClientRecord

    record = ClientRecord(
        client_id="c",
        secret_hash="h",
        cert_x5t_s256="t",
        sirets=frozenset({"99123021000015"}),
        motifs={"0001": frozenset({SearchType.COMPTE})},
    )
    some = ["dgfip_ficoba_date", "dgfip_ficoba_adresse", "not-a-scope"]
    first = record.caller(some)
    assert first == Caller(
        client_id="c",
        scopes=frozenset({"dgfip_ficoba_date", "dgfip_ficoba_adresse"}),
        sirets=frozenset({"99123021000015"}),
        motifs={"0001": frozenset({SearchType.COMPTE})},
    )
    assert record.caller(tuple(reversed(some))) is first
    assert record.caller() is record.caller() and record.caller().scopes == record.scopes
    assert record.caller(["dgfip_ficoba_date"]).scopes == {"dgfip_ficoba_date"}
    narrower = replace(record, scopes=frozenset({"dgfip_ficoba_date"}))
    assert narrower.caller(some).scopes == {"dgfip_ficoba_date"}
    assert narrower == replace(narrower)  # the memo is not part of the value


# --- a registry file that does not load, while the server runs --------------------------------


@pytest.mark.tls
@pytest.mark.parametrize(
    ("broken", "where"),
    [
        (lambda good: good[: len(good) // 2], "line "),  # truncated mid-write
        (lambda good: "", "line 1 column 1"),  # emptied
        (lambda good: good.replace('"format"', '"formats"', 1), "unknown format"),
    ],
    ids=["truncated", "empty", "other format"],
)
def test_a_registry_that_does_not_load_keeps_the_last_version_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, broken: Any, where: str
) -> None:
    """Real server (mutual TLS API, admin plane): the calls keep their answers, `ready` says why
    it is not, one log line names the file and the position; fixed, it is read again."""
    paths, _ = ensure_pki(tmp_path)
    creds, _ = ensure_demo_client(paths, public_origin("127.0.0.1", 8443))
    admin_token = secrets.token_hex(32)
    settings = Settings(
        state_dir=tmp_path,
        size=200,
        port=free_port(),
        admin_port=free_port(),
        admin_token=admin_token,
    )
    app = create_app(settings)
    admin_config = uvicorn.Config(
        create_admin_app(app.sandbox, settings),
        host="127.0.0.1",
        port=settings.admin_port,
        log_level="warning",
        lifespan="off",
    )
    registry = tmp_path / "registry.json"
    good = registry.read_text("utf-8")
    ctx = client_ssl_context(paths.ca_cert, Path(creds["cert"]), Path(creds["key"]))
    with (
        run_tls_server(settings, app) as origin,
        serve_in_thread(admin_config),
        httpx.Client(base_url=origin, verify=ctx) as api,
        httpx.Client(
            base_url=f"http://127.0.0.1:{settings.admin_port}",
            headers={"Authorization": f"Bearer {admin_token}"},
        ) as admin,
    ):

        def token() -> httpx.Response:
            return api.post(
                "/token",
                data={"grant_type": "client_credentials"},
                auth=(creds["client_id"], creds["client_secret"]),
            )

        bearer = {"Authorization": f"Bearer {token().json()['access_token']}"}
        caplog.set_level(logging.INFO, logger="ficoba_sandbox.gateway.registry")
        registry.write_text(broken(good), "utf-8")  # in place, as an editor or a full disk would
        wait_for_file_watch()
        for _ in range(3):
            assert token().status_code == 200
            health = api.get(
                "/ficoba-api/v2/etatSante",
                headers={**bearer, "X-Correlation-ID": str(uuid.uuid4())},
            )
            assert health.status_code == 200, health.text
        ready = admin.get("/__sandbox/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["registry"] is False
        problem = ready.json()["problems"]["registry"]
        assert str(registry) in problem and where in problem
        assert admin.get("/__sandbox/health").json()["status"] == "degraded"
        said = [r for r in caplog.records if r.name == "ficoba_sandbox.gateway.registry"]
        assert len(said) == 1 and said[0].exc_info is None
        assert str(registry) in said[0].getMessage() and where in said[0].getMessage()

        registry.write_text(good, "utf-8")
        wait_for_file_watch()
        assert admin.get("/__sandbox/ready").status_code == 200
        assert admin.get("/__sandbox/health").json() == {
            "status": "ok",
            "contract_version": "2026-01",
        }
        assert token().status_code == 200
        said = [r for r in caplog.records if r.name == "ficoba_sandbox.gateway.registry"]
        assert len(said) == 2 and "readable again" in said[1].getMessage()
    run_on_asgi_loop(app.sandbox.aclose())


def test_a_command_never_overwrites_a_registry_that_does_not_load(
    tmp_path: Path, capsys: Any
) -> None:
    run_cli("init", "--dir", str(tmp_path))
    registry = tmp_path / "registry.json"
    registry.write_text('{"format": "ficoba-sandbox/registry/v1", "clients": {', "utf-8")
    assert run_cli("clients", "add", "--dir", str(tmp_path), "--id", "bank-2") == 2
    assert "line 1 column" in capsys.readouterr().err
    assert registry.read_text("utf-8").endswith('"clients": {')


def test_declared_hours_are_kept_and_checked() -> None:
    """`hours` (clients add --hours): normalised, absent when not declared, refused when wrong."""
    record = ClientRecord.from_json({"client_id": "h", "secret_hash": "x", "hours": "08:00-19:00"})
    assert record.hours == "08:00-19:00" and record.to_json()["hours"] == "08:00-19:00"
    plain = ClientRecord.from_json({"client_id": "p", "secret_hash": "x"})
    assert plain.hours is None and "hours" not in plain.to_json()
    with pytest.raises(RegistryError, match="hours"):
        ClientRecord.from_json({"client_id": "b", "secret_hash": "x", "hours": "19:00-08:00"})
