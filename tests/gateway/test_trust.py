"""Bring-your-own certificates: an integrator's PKI (root -> intermediate -> leaf, made here with
`cryptography`), registered in the sandbox, over a real uvicorn TLS listener."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from ficoba_sandbox.app import create_app
from ficoba_sandbox.gateway.clients import ClientSpec, enrol, ensure_demo_client
from ficoba_sandbox.gateway.pki import PkiPaths, client_ssl_context, ensure_pki
from ficoba_sandbox.gateway.registry import RegistryError
from ficoba_sandbox.gateway.trust import ChainVerifier, TrustError, add_cas, der_bytes
from ficoba_sandbox.settings import Settings
from gateway_support import ExternalPKI, free_port, run_tls_server

pytestmark = pytest.mark.tls

GRANT = {"grant_type": "client_credentials"}


@dataclass
class Integrator:
    paths: PkiPaths
    origin: str
    pki: ExternalPKI
    creds: dict[str, Any]
    cert: Path
    key: Path
    chain: Path


@pytest.fixture(scope="module")
def integrator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Integrator]:
    """A state directory of its own: its CA bundle registered (root and intermediate), a client
    with a leaf of that PKI (the leaf alone: its intermediate is registered), then the server."""
    tmp = tmp_path_factory.mktemp("byo")
    paths, _ = ensure_pki(tmp / "d")
    ensure_demo_client(paths, "https://localhost:8443")
    pki = ExternalPKI("integrator")
    assert len(add_cas(paths, pki.bundle())) == 2
    cert, key, chain = pki.leaf(tmp, "byo-client")
    creds = enrol(paths, ClientSpec(client_id="byo-client", cert_pem=cert.read_bytes()), "x")
    settings = Settings(state_dir=paths.root, size=500, host="127.0.0.1", port=free_port())
    with run_tls_server(settings, create_app(settings)) as origin:
        yield Integrator(paths, origin, pki, creds, cert, key, chain)


def _token_and_search(origin: str, ctx: Any, creds: dict[str, Any]) -> None:
    with httpx.Client(base_url=origin, verify=ctx) as http:
        r = http.post("/token", data=GRANT, auth=(creds["client_id"], creds["client_secret"]))
        assert r.status_code == 200, r.text
        r = http.get(
            "/ficoba-api/v2/etatSante",
            headers={
                "Authorization": f"Bearer {r.json()['access_token']}",
                "X-Correlation-ID": str(uuid.uuid4()),
            },
        )
        assert r.status_code == 200, r.text


def test_a_client_with_its_own_certificate_gets_a_token_and_calls(integrator: Integrator) -> None:
    creds = integrator.creds
    assert creds["key"] is None and "private key" in creds["key_note"]
    assert Path(creds["cert"]).read_bytes() == integrator.cert.read_bytes()
    assert not integrator.paths.client_key("byo-client").exists()
    ca = integrator.paths.ca_cert
    _token_and_search(
        integrator.origin, client_ssl_context(ca, integrator.cert, integrator.key), creds
    )
    # the same, the client sending its intermediate too
    ctx = client_ssl_context(ca, integrator.chain, integrator.key)
    _token_and_search(integrator.origin, ctx, creds)


def test_the_demo_client_still_works_beside(integrator: Integrator) -> None:
    creds = json.loads((integrator.paths.root / "demo-client.json").read_text())
    ctx = client_ssl_context(integrator.paths.ca_cert, Path(creds["cert"]), Path(creds["key"]))
    _token_and_search(integrator.origin, ctx, creds)


def test_a_leaf_of_an_untrusted_ca_is_refused_at_the_handshake(
    integrator: Integrator, tmp_path: Path
) -> None:
    stranger = ExternalPKI("stranger")
    cert, key, chain = stranger.leaf(tmp_path, "byo-client")
    for presented in (cert, chain):
        ctx = client_ssl_context(integrator.paths.ca_cert, presented, key)
        with (
            httpx.Client(base_url=integrator.origin, verify=ctx) as http,
            pytest.raises(httpx.TransportError),
        ):
            http.post("/token", data=GRANT)


def test_an_intermediate_registered_alone_is_an_anchor(tmp_path: Path) -> None:
    """An integrator may register their issuing CA without the root above it; the TLS
    listener (`VERIFY_X509_PARTIAL_CHAIN`) and the proxy's verifier agree."""
    paths, _ = ensure_pki(tmp_path / "d")
    ensure_demo_client(paths, "https://localhost:8443")
    pki = ExternalPKI("issuing-only")
    add_cas(paths, pki.bundle(root=False))
    cert, key, _ = pki.leaf(tmp_path, "issuing-only")
    creds = enrol(paths, ClientSpec(client_id="issuing-only", cert_pem=cert.read_bytes()), "x")
    settings = Settings(state_dir=paths.root, size=500, host="127.0.0.1", port=free_port())
    with run_tls_server(settings, create_app(settings)) as origin:
        _token_and_search(origin, client_ssl_context(paths.ca_cert, cert, key), creds)


def test_the_trust_bundle_files(integrator: Integrator) -> None:
    paths = integrator.paths
    for f in (paths.extra_cas, paths.client_ca_bundle):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    bundle = x509.load_pem_x509_certificates(paths.client_ca_bundle.read_bytes())
    assert [c.subject for c in bundle] == [
        x509.load_pem_x509_certificate(paths.ca_cert.read_bytes()).subject,
        integrator.pki.intermediate.subject,
        integrator.pki.root.subject,
    ]
    assert add_cas(paths, integrator.pki.bundle()) == []  # registered once


def test_what_cannot_be_registered(integrator: Integrator, tmp_path: Path) -> None:
    paths = integrator.paths
    with pytest.raises(TrustError, match="not a CA certificate"):
        add_cas(paths, integrator.cert.read_bytes())
    with pytest.raises(TrustError, match="no PEM certificate"):
        add_cas(paths, b"not a certificate")
    stranger = ExternalPKI("stranger")
    cert, _, chain = stranger.leaf(tmp_path, "stranger")
    for pem in (cert, chain):
        with pytest.raises(RegistryError, match="not issued by a trusted CA"):
            enrol(paths, ClientSpec(client_id="stranger", cert_pem=pem.read_bytes()), "x")
    expired, _, _ = integrator.pki.leaf(tmp_path, "old", expired=True)
    with pytest.raises(RegistryError, match="expired"):
        enrol(paths, ClientSpec(client_id="old", cert_pem=expired.read_bytes()), "x")


def test_chain_verifier_remembers_a_path_only_within_its_dates(tmp_path: Path) -> None:
    pki = ExternalPKI("cache")
    cert, _, _ = pki.leaf(tmp_path, "cached")
    leaf = x509.load_pem_x509_certificate(cert.read_bytes())
    verifier = ChainVerifier([pki.root])
    chain = (der_bytes(pki.intermediate),)
    now = datetime.now(UTC)
    assert verifier.refusal(der_bytes(leaf), chain, now) is None
    assert verifier.refusal(der_bytes(leaf), chain, now) is None  # from the cache
    later = now + timedelta(days=400)  # the leaf is valid 90 days
    assert verifier.refusal(der_bytes(leaf), chain, later) == (
        "client certificate expired or not yet valid"
    )
    assert verifier.refusal(b"\x30\x03junk", (), now) == "client certificate unreadable"
    assert verifier.refusal(der_bytes(leaf), (), now) == (
        "client certificate not issued by a trusted CA"
    )
