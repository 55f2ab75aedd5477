"""A real uvicorn listener with real certificates (mutual TLS, CERT_REQUIRED)."""

from __future__ import annotations

import shutil
import ssl
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.cli.serve import curl_lines, demo_search
from ficoba_sandbox.gateway.clients import ClientSpec, enrol
from ficoba_sandbox.gateway.pki import client_ssl_context, ensure_pki
from gateway_support import run_printed_commands

pytestmark = pytest.mark.tls

GRANT = {"grant_type": "client_credentials"}


def cid() -> dict[str, str]:
    return {"X-Correlation-ID": str(uuid.uuid4())}


def token_for(http: httpx.Client, creds: dict[str, Any]) -> str:
    r = http.post("/token", data=GRANT, auth=(creds["client_id"], creds["client_secret"]))
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_token_and_call_over_mutual_tls(tls_server: Any) -> None:
    demo = tls_server.demo
    with tls_server.http(demo) as http:
        # the token endpoint identifies the client by its certificate: proves that the peer
        # certificate reached the app through our uvicorn protocol class
        r = http.post("/token", data={**GRANT, "client_id": demo["client_id"]})
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        r = http.get(
            "/ficoba-api/v2/etatSante", headers={"Authorization": f"Bearer {token}", **cid()}
        )
        assert r.status_code == 200, r.text
        assert r.headers["x-request-id"]


def _refused(tls_server: Any, ctx: ssl.SSLContext) -> None:
    with (
        httpx.Client(base_url=tls_server.origin, verify=ctx) as http,
        pytest.raises(httpx.TransportError),
    ):
        http.post("/token", data=GRANT)


def test_no_client_certificate_refused(tls_server: Any) -> None:
    _refused(tls_server, tls_server.ssl_context(None))


def test_certificate_from_another_ca_refused(tls_server: Any, tmp_path: Path) -> None:
    other, _ = ensure_pki(tmp_path / "other")
    rogue = enrol(other, ClientSpec(client_id=tls_server.demo["client_id"]), "https://x")
    ctx = client_ssl_context(tls_server.dir / "pki/ca.pem", Path(rogue["cert"]), Path(rogue["key"]))
    _refused(tls_server, ctx)


@pytest.mark.parametrize("shape", ["expired", "not_yet_valid"])
def test_expired_or_not_yet_valid_certificate_refused(
    tls_server: Any, enrol_client: Callable[..., Any], shape: str
) -> None:
    creds = enrol_client(f"cert-{shape}", **{shape: True})
    _refused(tls_server, tls_server.ssl_context(creds))


def test_tls_below_1_2_refused(tls_server: Any) -> None:
    import warnings

    ctx = tls_server.ssl_context(tls_server.demo)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the point: an old protocol
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except ValueError:  # pragma: no cover - OpenSSL built without old protocols
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")
    _refused(tls_server, ctx)


def test_plain_http_refused(tls_server: Any) -> None:
    plain = tls_server.origin.replace("https://", "http://")
    with httpx.Client(base_url=plain) as http, pytest.raises(httpx.TransportError):
        http.post("/token", data=GRANT)


def test_certificate_of_a_with_client_id_b(
    tls_server: Any, enrol_client: Callable[..., Any]
) -> None:
    b = enrol_client("tls-b")
    with tls_server.http(tls_server.demo) as http:
        for kwargs in (
            {"data": GRANT, "auth": (b["client_id"], b["client_secret"])},
            {"data": {**GRANT, "client_id": b["client_id"], "client_secret": b["client_secret"]}},
            {"data": {**GRANT, "client_id": b["client_id"]}},
        ):
            r = http.post("/token", **kwargs)
            assert r.status_code == 401, r.text
            assert r.json()["error"] == "invalid_client"
            assert r.headers["www-authenticate"].startswith("Basic ")


def test_token_of_a_over_connection_of_b(tls_server: Any, enrol_client: Callable[..., Any]) -> None:
    b = enrol_client("tls-b2")
    with tls_server.http(tls_server.demo) as http_a:
        token_a = token_for(http_a, tls_server.demo)
    with tls_server.http(b) as http_b:
        r = http_b.get(
            "/ficoba-api/v2/etatSante", headers={"Authorization": f"Bearer {token_a}", **cid()}
        )
        assert r.status_code == 401
        assert r.json()["erreur"]["code"] == "900901"
        assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_forged_x_forwarded_for_has_no_effect(
    tls_server: Any, enrol_client: Callable[..., Any]
) -> None:
    far = enrol_client("tls-far", ips=["10.9.0.0/16"])
    spoof = {"X-Forwarded-For": "10.9.0.1", "Forwarded": "for=10.9.0.1", "X-Real-IP": "10.9.0.1"}
    with tls_server.http(far) as http:
        token = token_for(http, far)
        r = http.get(
            "/ficoba-api/v2/etatSante",
            headers={"Authorization": f"Bearer {token}", **cid(), **spoof},
        )
        assert r.status_code == 403, r.text
        assert r.json()["erreur"]["code"] == "HTTP403"
    # and a loopback client is not locked out by a forged foreign address either
    with tls_server.http(tls_server.demo) as http:
        token = token_for(http, tls_server.demo)
        r = http.get(
            "/ficoba-api/v2/etatSante",
            headers={"Authorization": f"Bearer {token}", **cid(), "X-Forwarded-For": "203.0.113.1"},
        )
        assert r.status_code != 403


def test_forged_client_cert_header_has_no_effect(
    tls_server: Any, enrol_client: Callable[..., Any]
) -> None:
    import base64

    b = enrol_client("tls-b3")
    demo = tls_server.demo
    der = ssl.PEM_cert_to_DER_cert(Path(demo["cert"]).read_text())
    with tls_server.http(b) as http:
        r = http.post(
            "/token",
            data=GRANT,
            auth=(demo["client_id"], demo["client_secret"]),
            headers={"Client-Cert": ":" + base64.b64encode(der).decode() + ":"},
        )
        assert r.status_code == 401


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_printed_curl_commands_work(tls_server: Any) -> None:
    creds = tls_server.demo
    search = demo_search(tls_server.app.sandbox, creds)
    lines = curl_lines(
        creds,
        search,
        credentials_file=tls_server.dir / "demo-client.json",
        origin=tls_server.origin,
    )
    assert not any(creds["client_secret"] in line for line in lines)  # read when run
    run_printed_commands(lines)
    run_printed_commands(lines)  # pasted twice: each paste has its own X-Correlation-ID
    journal = tls_server.app.sandbox.journal
    journal.flush()
    searches = [r for r in journal.query(client_id=creds["client_id"], limit=10)
                if r["path"].endswith(search[0])][:2]  # fmt: skip
    assert len(searches) == 2
    assert searches[0]["correlation_id"] != searches[1]["correlation_id"]
