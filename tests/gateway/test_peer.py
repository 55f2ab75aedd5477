"""Proxy mode against a real uvicorn TLS listener: a forwarded certificate (RFC 9440) is a claim
to check, not a proof. The proxy here is the test itself, on loopback (hence
`trust_loopback_proxy`), connecting without a client certificate, as a TLS-terminating ingress."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import create_app
from ficoba_sandbox.gateway.pki import PkiPaths, load_cert, load_key
from ficoba_sandbox.gateway.state import ProxyConfigError
from ficoba_sandbox.settings import Settings
from gateway_support import ExternalPKI, TLSServer, client_cert_header, free_port, run_tls_server

pytestmark = pytest.mark.tls

GRANT = {"grant_type": "client_credentials"}
NUMCPTE = "/ficoba-api/v2/comptes/numCpte"


def _proxy_server(settings: Settings, demo: dict[str, Any], **overrides: Any) -> Any:
    s = settings.model_copy(
        update={
            "host": "127.0.0.1",
            "port": free_port(),
            "trusted_proxies": ["127.0.0.1/32"],
            "trust_loopback_proxy": True,
            **overrides,
        }
    )
    app = create_app(s)
    server = run_tls_server(s, app)
    origin = server.__enter__()
    return server, TLSServer(origin=origin, dir=Path(s.state_dir), demo=demo, app=app, settings=s)


@pytest.fixture(scope="module")
def proxied(settings: Settings, demo_creds: dict[str, Any]) -> Iterator[TLSServer]:
    """Trusted proxy on loopback; `tls_client_auth` through it not enabled (the default)."""
    server, tls = _proxy_server(settings, demo_creds)
    yield tls
    server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def proxied_tls_auth(settings: Settings, demo_creds: dict[str, Any]) -> Iterator[TLSServer]:
    """The same, with `--proxy-tls-client-auth`."""
    server, tls = _proxy_server(settings, demo_creds, proxy_tls_client_auth=True)
    yield tls
    server.__exit__(None, None, None)


def _forwarding(pem: str | bytes, *chain: bytes) -> dict[str, str]:
    headers = {"Client-Cert": client_cert_header(pem)}
    if chain:
        headers["Client-Cert-Chain"] = ", ".join(client_cert_header(c) for c in chain)
    return headers


def _search(
    http: httpx.Client, token: str, creds: dict[str, Any], body: dict[str, Any], **headers: str
) -> httpx.Response:
    return http.post(
        NUMCPTE,
        json=body,
        headers={
            "Authorization": f"Bearer {token}",
            "X-Correlation-ID": str(uuid.uuid4()),
            **headers,
        },
    )


def test_a_public_certificate_alone_gets_no_token_through_the_proxy(
    proxied: TLSServer, search_body: Callable[..., dict[str, Any]]
) -> None:
    """The attack: the demo client's public PEM in `Client-Cert` and its client_id, no secret
    (tls_client_auth). Before, a token and a search; now 401 invalid_client."""
    demo = proxied.demo
    forwarded = _forwarding(Path(demo["cert"]).read_text())
    with proxied.http(None) as proxy:
        r = proxy.post("/token", data={**GRANT, "client_id": demo["client_id"]}, headers=forwarded)
        assert r.status_code == 401, r.text
        assert r.json()["error"] == "invalid_client"
        assert "--proxy-tls-client-auth" in r.json()["error_description"]
        # With the secret, the forwarded certificate binds the token as before.
        r = proxy.post(
            "/token", data=GRANT, auth=(demo["client_id"], demo["client_secret"]), headers=forwarded
        )
        assert r.status_code == 200, r.text
        r = _search(
            proxy, r.json()["access_token"], demo, search_body(demo, "numCpte"), **forwarded
        )
        assert r.status_code == 200, r.text


def test_an_expired_forwarded_certificate_is_refused(
    proxied: TLSServer,
    enrol_client: Callable[..., dict[str, Any]],
    search_body: Callable[..., dict[str, Any]],
) -> None:
    """Before, an expired certificate passed through the proxy (no handshake checked it)."""
    old = enrol_client("proxy-expired", expired=True)
    forwarded = _forwarding(Path(old["cert"]).read_text())
    with proxied.http(None) as proxy:
        r = proxy.post(
            "/token", data=GRANT, auth=(old["client_id"], old["client_secret"]), headers=forwarded
        )
        assert r.status_code == 401, r.text
        assert r.json() == {
            "error": "invalid_client",
            "error_description": "client certificate expired or not yet valid",
        }
        # A token bound to it (issued while it was valid) no longer opens the API either.
        record = proxied.app.sandbox.gateway.registry.get("proxy-expired")
        token, _ = proxied.app.sandbox.gateway.tokens.issue(
            "proxy-expired", sorted(record.scopes), record.cert_x5t_s256
        )
        r = _search(proxy, token, old, search_body(old, "numCpte"), **forwarded)
        assert r.status_code == 401, r.text
        assert r.json()["erreur"]["code"] == "900901"
        assert "expired or not yet valid" in r.headers["www-authenticate"]


def test_the_sandbox_clock_judges_forwarded_certificates(
    settings: Settings, demo_creds: dict[str, Any]
) -> None:
    server, proxied = _proxy_server(settings, demo_creds)
    try:
        demo = proxied.demo
        forwarded = _forwarding(Path(demo["cert"]).read_text())
        auth = (demo["client_id"], demo["client_secret"])
        with proxied.http(None) as proxy:
            assert proxy.post("/token", data=GRANT, auth=auth, headers=forwarded).status_code == 200
            proxied.app.sandbox.clock.advance(timedelta(days=800))  # past the 365-day certificate
            r = proxy.post("/token", data=GRANT, auth=auth, headers=forwarded)
            assert r.status_code == 401, r.text
            assert "expired" in r.json()["error_description"]
    finally:
        server.__exit__(None, None, None)


def test_a_certificate_from_an_unknown_ca_is_refused(
    proxied: TLSServer, tmp_path: Path, demo_creds: dict[str, Any]
) -> None:
    rogue = ExternalPKI("rogue")
    cert, _, _ = rogue.leaf(tmp_path, demo_creds["client_id"])
    with proxied.http(None) as proxy:
        r = proxy.post(
            "/token",
            data=GRANT,
            auth=(demo_creds["client_id"], demo_creds["client_secret"]),
            headers=_forwarding(cert.read_bytes(), rogue.intermediate_pem, rogue.root_pem),
        )
        assert r.status_code == 401, r.text
        assert r.json()["error_description"] == "client certificate not issued by a trusted CA"


def test_tls_client_auth_through_the_proxy_when_enabled(
    proxied_tls_auth: TLSServer,
    enrol_client: Callable[..., dict[str, Any]],
    search_body: Callable[..., dict[str, Any]],
) -> None:
    demo = proxied_tls_auth.demo
    forwarded = _forwarding(Path(demo["cert"]).read_text())
    with proxied_tls_auth.http(None) as proxy:
        r = proxy.post("/token", data={**GRANT, "client_id": demo["client_id"]}, headers=forwarded)
        assert r.status_code == 200, r.text
        r = _search(
            proxy, r.json()["access_token"], demo, search_body(demo, "numCpte"), **forwarded
        )
        assert r.status_code == 200, r.text
        # enabled, still checked: an expired certificate gets nothing
        old = enrol_client("proxy-expired-2", expired=True)
        r = proxy.post(
            "/token",
            data={**GRANT, "client_id": old["client_id"]},
            headers=_forwarding(Path(old["cert"]).read_text()),
        )
        assert r.status_code == 401, r.text


def test_a_client_certificate_through_an_intermediate_of_the_sandbox_ca(
    proxied: TLSServer,
    tls_server: TLSServer,
    tmp_path: Path,
    enrol_client: Callable[..., dict[str, Any]],
    search_body: Callable[..., dict[str, Any]],
) -> None:
    """The sandbox CA may sign an intermediate CA (no `pathlen:0`): its client certificates
    work over mutual TLS (the client sends the intermediate) and through the proxy
    (`Client-Cert-Chain`)."""
    paths = PkiPaths(proxied.dir)
    sub = ExternalPKI("sandbox-sub", under=(load_cert(paths.ca_cert), load_key(paths.ca_key)))
    cert, key, chain = sub.leaf(tmp_path, "via-intermediate")
    creds = enrol_client("via-intermediate", cert_pem=chain.read_bytes())
    assert creds["key"] is None and "key_note" in creds
    auth = (creds["client_id"], creds["client_secret"])
    body = search_body(creds, "numCpte")
    with proxied.http(None) as proxy:
        forwarded = _forwarding(cert.read_bytes(), sub.intermediate_pem)
        r = proxy.post("/token", data=GRANT, auth=auth, headers=forwarded)
        assert r.status_code == 200, r.text
        assert _search(proxy, r.json()["access_token"], creds, body, **forwarded).status_code == 200
        # without its intermediate, the leaf does not chain
        r = proxy.post("/token", data=GRANT, auth=auth, headers=_forwarding(cert.read_bytes()))
        assert r.status_code == 401, r.text
    ctx = ssl.create_default_context(cafile=str(paths.ca_cert))
    ctx.load_cert_chain(str(chain), str(key))
    with httpx.Client(base_url=tls_server.origin, verify=ctx) as http:
        r = http.post("/token", data=GRANT, auth=auth)
        assert r.status_code == 200, r.text
        assert _search(http, r.json()["access_token"], creds, body).status_code == 200


@pytest.mark.parametrize(
    "proxies", [["127.0.0.1"], ["127.0.0.0/8"], ["0.0.0.0/0"], ["::1"], ["10.0.0.0/8", "::/0"]]
)
def test_a_trusted_proxy_range_with_loopback_is_refused(
    settings: Settings, proxies: list[str]
) -> None:
    with pytest.raises(ProxyConfigError, match="includes loopback"):
        create_app(settings.model_copy(update={"trusted_proxies": proxies}))


def test_a_trusted_proxy_range_without_loopback_is_accepted(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8", "fd00::/8"]}))
    assert len(app.sandbox.gateway.trusted_proxies) == 2
