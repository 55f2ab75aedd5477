"""Checks on every API call (over ASGI with an injected certificate; probe routes)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.pki import x5t_s256
from ficoba_sandbox.gateway.registry import DEMO_SIREN, DEMO_SIRET, Registry
from gateway_support import wait_for_file_watch

GW = "/ficoba-api/v2"
BE = "/fcb-masrestit/api/v2"
UUID = "62d8e8ff-ce4f-4e50-b318-1edd2dab0f9f"


def assert_erreur(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"erreur"}
    assert body["erreur"]["code"] == code
    assert body["erreur"]["message"]
    assert body["erreur"]["horodatage"].endswith("Z")


@pytest.fixture
def client(gw_app: Any, make_client: Callable[..., httpx.Client]) -> httpx.Client:
    return make_client(gw_app)


def test_success_sets_caller_and_echoes_ids(
    client: httpx.Client, demo_creds: dict[str, Any]
) -> None:
    r = client.get(f"{GW}/probe", headers={"X-Correlation-ID": UUID})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["client_id"] == demo_creds["client_id"]
    assert body["sirets"] == [DEMO_SIRET] and body["sirens"] == [DEMO_SIREN]
    assert len(body["modalities"]) == 9 and len(body["scopes"]) == 10
    assert set(body["motifs"]["0001"]) and len(body["motifs"]["0001"]) == 11
    assert body["correlation_id"] == UUID
    assert body["peer_ip"] == "127.0.0.1"
    assert r.headers["x-correlation-id"] == UUID
    assert r.headers["x-request-id"] == body["request_id"]
    uuid.UUID(body["request_id"])
    r = client.get(f"{GW}/probe", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = client.get(f"{GW}/probe", headers={"X-Request-ID": "bad value\u00e9".encode("latin-1")})
    uuid.UUID(r.headers["x-request-id"])  # replaced


def test_etat_sante_and_backend_prefix_need_the_token(
    gw_app: Any, make_client: Callable[..., httpx.Client], client: httpx.Client
) -> None:
    anon = make_client(gw_app, token=False)
    for path in (
        f"{GW}/etatSante",
        f"{BE}/etatSante",
        f"{BE}/probe",
        "/elsewhere",
        "/ficoba-api/V2/probe",
    ):
        assert_erreur(anon.get(path), 401, "900902")
    for path in (f"{GW}/etatSante", f"{BE}/etatSante", f"{BE}/probe"):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "value", [None, "", "not-a-uuid", "62d8e8ff-ce4f-4e50-b318-1edd2dab0f9", UUID + "0"]
)
def test_correlation_id(
    gw_app: Any, make_client: Callable[..., httpx.Client], value: str | None
) -> None:
    http = make_client(gw_app, correlation=False)
    headers = {} if value is None else {"X-Correlation-ID": value}
    r = http.get(f"{GW}/probe", headers=headers)
    assert_erreur(r, 400, "910000")
    assert "x-correlation-id" not in r.headers
    assert r.headers["x-request-id"]
    assert_erreur(http.get(f"{BE}/probe", headers=headers), 400, "CAT005")


def test_correlation_is_checked_before_the_token(
    gw_app: Any, make_client: Callable[..., httpx.Client]
) -> None:
    http = make_client(gw_app, token=False, correlation=False)
    assert_erreur(http.get(f"{GW}/probe"), 400, "910000")


def test_no_token(gw_app: Any, make_client: Callable[..., httpx.Client]) -> None:
    http = make_client(gw_app, token=False)
    for headers in ({}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        r = http.get(f"{GW}/probe", headers=headers)
        assert_erreur(r, 401, "900902")
        assert r.headers["www-authenticate"] == 'Bearer realm="ficoba-sandbox"'
        assert r.headers["x-correlation-id"]


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Bearer a b", "Bearer ä"])
def test_malformed_bearer(
    gw_app: Any, make_client: Callable[..., httpx.Client], authorization: str
) -> None:
    http = make_client(gw_app, token=False)
    r = http.get(f"{GW}/probe", headers={"Authorization": authorization.encode("utf-8")})
    assert_erreur(r, 400, "900901")
    assert 'error="invalid_request"' in r.headers["www-authenticate"]


def test_token_in_query_rejected(client: httpx.Client) -> None:
    token = client.headers["Authorization"].split()[1]
    r = client.get(f"{GW}/probe", params={"access_token": token})
    assert_erreur(r, 400, "900901")
    assert 'error="invalid_request"' in r.headers["www-authenticate"]


@pytest.mark.parametrize("token", ["abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_invalid_token(gw_app: Any, make_client: Callable[..., httpx.Client], token: str) -> None:
    http = make_client(gw_app, token=False)
    r = http.get(f"{GW}/probe", headers={"Authorization": f"Bearer {token}"})
    assert_erreur(r, 401, "900901")
    assert r.headers["www-authenticate"].startswith(
        'Bearer realm="ficoba-sandbox", error="invalid_token"'
    )


def test_tampered_token(client: httpx.Client) -> None:
    token = client.headers["Authorization"].split()[1]
    h, p, s = token.split(".")
    p2 = (
        base64.urlsafe_b64encode(base64.urlsafe_b64decode(p + "==").replace(b"demo", b"dem0"))
        .rstrip(b"=")
        .decode()
    )
    r = client.get(f"{GW}/probe", headers={"Authorization": f"Bearer {h}.{p2}.{s}"})
    assert_erreur(r, 401, "900901")


def test_expired_token(client: httpx.Client, clock: SystemClock) -> None:
    assert client.get(f"{GW}/probe").status_code == 200
    clock.advance(timedelta(seconds=3600))
    r = client.get(f"{GW}/probe")
    assert_erreur(r, 401, "900901")
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_token_of_a_over_connection_of_b(
    gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    client: httpx.Client,
) -> None:
    b = enrol_client("client-b2")
    token_a = client.headers["Authorization"]
    conn_b = make_client(gw_app, b, token=False)
    r = conn_b.get(f"{GW}/probe", headers={"Authorization": token_a})
    assert_erreur(r, 401, "900901")
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    # no certificate on the connection at all
    nocert = make_client(gw_app, None, token=False, cert_pem="")
    assert_erreur(nocert.get(f"{GW}/probe", headers={"Authorization": token_a}), 401, "900901")


def test_revoked_client_and_reissued_certificate(
    gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    sandbox_dir: Path,
) -> None:
    c = enrol_client("rotating")
    http = make_client(gw_app, c)
    assert http.get(f"{GW}/probe").status_code == 200
    old_token = http.headers["Authorization"]
    c2 = enrol_client("rotating")  # re-issued: new certificate, registry changed on disk
    http2 = make_client(gw_app, c2, token=False)
    assert_erreur(http2.get(f"{GW}/probe", headers={"Authorization": old_token}), 401, "900901")
    assert_erreur(http.get(f"{GW}/probe"), 401, "900901")  # old cert no longer registered
    http3 = make_client(gw_app, c2)
    assert http3.get(f"{GW}/probe").status_code == 200
    Registry(sandbox_dir).revoke("rotating")  # as the command line does, from another process
    wait_for_file_watch()
    assert_erreur(http3.get(f"{GW}/probe"), 401, "900901")


def test_ip_allow_list(
    gw_app: Any, make_client: Callable[..., httpx.Client], enrol_client: Callable[..., Any]
) -> None:
    c = enrol_client("ip-limited", ips=["10.1.0.0/16", "2001:db8::/32"])
    ok = make_client(gw_app, c, client_ip="10.1.2.3")
    assert ok.get(f"{GW}/probe").status_code == 200
    mapped = make_client(gw_app, c, client_ip="::ffff:10.1.2.3")
    assert mapped.get(f"{GW}/probe").status_code == 200
    v6 = make_client(gw_app, c, client_ip="2001:db8::5")
    assert v6.get(f"{GW}/probe").status_code == 200
    denied = make_client(gw_app, c, client_ip="127.0.0.1")
    r = denied.get(f"{GW}/probe", headers={"X-Forwarded-For": "10.1.2.3", "X-Real-IP": "10.1.2.3"})
    assert_erreur(r, 403, "HTTP403")
    r = denied.get(f"{GW}/probe", headers={"Forwarded": "for=10.1.2.3"})
    assert_erreur(r, 403, "HTTP403")


def test_scopes_narrowed_to_the_token(
    gw_app: Any, make_client: Callable[..., httpx.Client]
) -> None:
    http = make_client(gw_app, scope="dgfip_ficoba_restitution_verification")
    body = http.get(f"{GW}/probe").json()
    assert body["scopes"] == ["dgfip_ficoba_restitution_verification"]
    assert len(body["modalities"]) == 9


def test_rights_follow_the_registry_without_restart(
    gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    sandbox_dir: Path,
) -> None:
    from dataclasses import replace

    c = enrol_client("live-rights")
    http = make_client(gw_app, c)
    assert len(http.get(f"{GW}/probe").json()["modalities"]) == 9
    reg = Registry(sandbox_dir)
    record = reg.get("live-rights")
    assert record is not None
    reg.put(
        replace(
            record,
            modalities=frozenset({"with_ficoba_spi"}),
            scopes=frozenset({"dgfip_ficoba_compte"}),
        )
    )
    wait_for_file_watch()
    body = http.get(f"{GW}/probe").json()
    assert body["modalities"] == ["with_ficoba_spi"] and body["scopes"] == ["dgfip_ficoba_compte"]


def test_forged_client_cert_header_ignored_without_trusted_proxy(
    gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    demo_creds: dict[str, Any],
) -> None:
    b = enrol_client("client-b3")
    der = Path(demo_creds["cert"]).read_text()
    import ssl

    header = ":" + base64.b64encode(ssl.PEM_cert_to_DER_cert(der)).decode() + ":"
    conn_b = make_client(gw_app, b, token=False)
    r = conn_b.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(demo_creds["client_id"], demo_creds["client_secret"]),
        headers={"Client-Cert": header, "X-SSL-Client-Cert": der.replace("\n", " ")},
    )
    assert r.status_code == 401


def test_trusted_proxy_mode(
    make_gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    demo_creds: dict[str, Any],
) -> None:
    app = make_gw_app(trusted_proxies=["192.0.2.10/32"])
    grant = {"grant_type": "client_credentials"}
    auth = (demo_creds["client_id"], demo_creds["client_secret"])
    header = {"Client-Cert": _client_cert_header(demo_creds)}
    # The ingress connects without a client certificate and forwards the client's in Client-Cert.
    proxy = make_client(app, None, token=False, cert_pem="", client_ip="192.0.2.10")
    r = proxy.post("/token", data=grant, auth=auth, headers=header)
    assert r.status_code == 200, r.text
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = proxy.get(f"{GW}/probe", headers={**bearer, **header, "X-Forwarded-For": "127.0.0.1"})
    assert r.status_code == 200 and r.json()["peer_ip"] == "127.0.0.1"
    # The forwarded client IP is the one checked against the allow-list.
    r = proxy.get(
        f"{GW}/probe", headers={**bearer, **header, "X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
    )
    assert_erreur(r, 403, "HTTP403")
    # Without the header, the proxy's connection carries no client certificate: refused.
    assert_erreur(
        proxy.get(f"{GW}/probe", headers={**bearer, "X-Forwarded-For": "127.0.0.1"}), 401, "900901"
    )
    assert proxy.post("/token", data=grant, auth=auth).status_code == 401
    # Repeated Client-Cert (a singleton field): ignored.
    r = proxy.get(
        f"{GW}/probe",
        headers=[
            ("Authorization", bearer["Authorization"]),
            ("Client-Cert", header["Client-Cert"]),
            ("Client-Cert", header["Client-Cert"]),
            ("X-Correlation-ID", UUID),
        ],
    )
    assert_erreur(r, 401, "900901")
    # From anyone else, the headers are ignored (the connection's own certificate counts).
    b = enrol_client("client-b4")
    other = make_client(app, b, token=False, client_ip="127.0.0.1")
    assert other.post("/token", data=grant, auth=auth, headers=header).status_code == 401
    r = other.get(f"{GW}/probe", headers={**bearer, **header})
    assert_erreur(r, 401, "900901")


def _client_cert_header(creds: dict[str, Any]) -> str:
    import ssl

    der = ssl.PEM_cert_to_DER_cert(Path(creds["cert"]).read_text())
    return ":" + base64.b64encode(der).decode() + ":"


def test_thumbprint_of_demo_cert_is_in_token(
    client: httpx.Client, demo_creds: dict[str, Any]
) -> None:
    import jwt

    token = client.headers["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["cnf"]["x5t#S256"] == x5t_s256(Path(demo_creds["cert"]).read_text())


def test_generated_request_ids_are_version_4_uuids() -> None:
    """`X-Request-ID` made by the gateway when the client sent none: a canonical version-4,
    RFC 4122 variant UUID, and no two alike."""
    import uuid

    from ficoba_sandbox.gateway.checks import new_request_id

    ids = [new_request_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:500]:
        u = uuid.UUID(text)
        assert (u.version, u.variant, str(u)) == (4, uuid.RFC_4122, text)
