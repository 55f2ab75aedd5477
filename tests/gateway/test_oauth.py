"""`POST /token`: RFC 6749 §4.4 / §5, RFC 8705 §2 (over ASGI, certificate injected)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ficoba_sandbox.domain.access import OPERATION_SCOPES, SCOPES
from ficoba_sandbox.gateway.pki import x5t_s256

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def anon(gw_app: Any, make_client: Callable[..., httpx.Client]) -> httpx.Client:
    """Presents the demo client's certificate, no token, no correlation id."""
    return make_client(gw_app, token=False, correlation=False)


@pytest.fixture
def creds(demo_creds: dict[str, Any]) -> dict[str, Any]:
    return demo_creds


def basic(cid: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()}


def assert_error(r: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == error
    assert set(body) <= {"error", "error_description"}
    desc = body.get("error_description", "")
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in desc)
    assert r.headers["cache-control"] == "no-store"
    return dict(body)


def assert_ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["pragma"] == "no-cache"
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"access_token", "scope", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    return dict(body)


def test_client_secret_basic(anon: httpx.Client, creds: dict[str, Any]) -> None:
    r = anon.post(
        "/token",
        content=b"grant_type=client_credentials",
        headers={**FORM, **basic(creds["client_id"], creds["client_secret"])},
    )
    body = assert_ok(r)
    assert body["scope"].split() == [*SCOPES, *OPERATION_SCOPES]
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == creds["client_id"]
    assert claims["cnf"]["x5t#S256"] == x5t_s256(Path(creds["cert"]).read_text())
    assert "refresh_token" not in body


def test_client_secret_post(anon: httpx.Client, creds: dict[str, Any]) -> None:
    r = anon.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    )
    assert_ok(r)


def test_tls_client_auth(anon: httpx.Client, creds: dict[str, Any]) -> None:
    r = anon.post(
        "/token", data={"grant_type": "client_credentials", "client_id": creds["client_id"]}
    )
    assert_ok(r)


def test_basic_with_urlencoded_credentials(anon: httpx.Client, creds: dict[str, Any]) -> None:
    # RFC 6749 §2.3.1: id and secret are form-encoded before Basic (no-op for our alphabet).
    r = anon.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    assert_ok(r)


def test_scope_subset_and_invalid_scope(anon: httpx.Client, creds: dict[str, Any]) -> None:
    auth = (creds["client_id"], creds["client_secret"])
    r = anon.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "scope": "dgfip_ficoba_iban dgfip_ficoba_compte",
        },
        auth=auth,
    )
    body = assert_ok(r)
    # no operation scope asked: every one the client holds (a 2025-04 client knew none)
    assert body["scope"].split() == ["dgfip_ficoba_compte", "dgfip_ficoba_iban", *OPERATION_SCOPES]
    for bad in ("default", "dgfip_ficoba_compte dgfip_ficoba_nope", "openid", "a  b"):
        r = anon.post("/token", data={"grant_type": "client_credentials", "scope": bad}, auth=auth)
        assert_error(r, 400, "invalid_scope")


def test_scope_beyond_the_clients_rights(
    gw_app: Any, make_client: Callable[..., httpx.Client], enrol_client: Callable[..., Any]
) -> None:
    narrow = enrol_client("narrow-scope", scopes=["dgfip_ficoba_restitution_verification"])
    http = make_client(gw_app, narrow, token=False)
    auth = (narrow["client_id"], narrow["client_secret"])
    r = http.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "dgfip_ficoba_compte"},
        auth=auth,
    )
    assert_error(r, 400, "invalid_scope")
    r = http.post("/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert assert_ok(r)["scope"].split() == [
        "dgfip_ficoba_restitution_verification",
        *OPERATION_SCOPES,
    ]


def test_operation_scopes(
    gw_app: Any,
    anon: httpx.Client,
    creds: dict[str, Any],
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
) -> None:
    """The gateway's operation scopes (OpenAPI 2026-01) beside the data scopes in `scope`."""
    auth = (creds["client_id"], creds["client_secret"])
    grant = {"grant_type": "client_credentials"}
    r = anon.post("/token", data={**grant, "scope": "VerifParIban RechercheParSpi"}, auth=auth)
    assert assert_ok(r)["scope"].split() == [*SCOPES, "RechercheParSpi", "VerifParIban"]
    r = anon.post("/token", data={**grant, "scope": "RechercheParSpi dgfip_ficoba_iban"}, auth=auth)
    assert assert_ok(r)["scope"] == "dgfip_ficoba_iban RechercheParSpi"
    for bad in ("RechercheParSpy", "rechercheparspi", "RechercheParSpi RechercheParSpi"):
        r = anon.post("/token", data={**grant, "scope": bad}, auth=auth)
        assert_error(r, 400, "invalid_scope")
    # registered by default: the operations the modalities open (spi only here)
    spi = enrol_client("spi-only", modalities=["with_ficoba_spi"])
    http = make_client(gw_app, spi, token=False)
    spi_auth = (spi["client_id"], spi["client_secret"])
    r = http.post("/token", data=grant, auth=spi_auth)
    assert assert_ok(r)["scope"].split() == [*SCOPES, "RechercheParSpi"]
    r = http.post("/token", data={**grant, "scope": "RechercheParNumCompte"}, auth=spi_auth)
    assert_error(r, 400, "invalid_scope")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods(anon: httpx.Client, method: str) -> None:
    r = anon.request(method, "/token")
    assert_error(r, 405, "invalid_request")
    assert r.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (b'{"grant_type": "client_credentials"}', "application/json"),
        (b"grant_type=client_credentials", "text/plain"),
        (b"grant_type=client_credentials", None),
        (b"--x\r\n", "multipart/form-data; boundary=x"),
    ],
)
def test_not_form_encoded(
    anon: httpx.Client, creds: dict[str, Any], content: bytes, ctype: str | None
) -> None:
    headers = basic(creds["client_id"], creds["client_secret"])
    if ctype:
        headers["Content-Type"] = ctype
    r = anon.post("/token", content=content, headers=headers)
    assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        b"grant_type=client_credentials&grant_type=client_credentials",
        b"grant_type=client_credentials&scope=dgfip_ficoba_compte&scope=dgfip_ficoba_iban",
        b"grant_type=&grant_type=client_credentials",
    ],
)
def test_repeated_parameters(anon: httpx.Client, creds: dict[str, Any], body: bytes) -> None:
    headers = {**FORM, **basic(creds["client_id"], creds["client_secret"])}
    assert_error(anon.post("/token", content=body, headers=headers), 400, "invalid_request")


@pytest.mark.parametrize(
    "query",
    ["client_secret=x", "client_id=demo-client", "grant_type=client_credentials", "foo=bar"],
)
def test_query_parameters_rejected(anon: httpx.Client, creds: dict[str, Any], query: str) -> None:
    r = anon.post(
        f"/token?{query}",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    assert_error(r, 400, "invalid_request")


def test_missing_and_unsupported_grant_type(anon: httpx.Client, creds: dict[str, Any]) -> None:
    auth = (creds["client_id"], creds["client_secret"])
    assert_error(
        anon.post("/token", data={"scope": "dgfip_ficoba_compte"}, auth=auth),
        400,
        "invalid_request",
    )
    assert_error(anon.post("/token", data={"grant_type": ""}, auth=auth), 400, "invalid_request")
    for grant in ("password", "authorization_code", "refresh_token", "foo"):
        r = anon.post("/token", data={"grant_type": grant}, auth=auth)
        assert_error(r, 400, "unsupported_grant_type")


def test_two_authentication_methods(anon: httpx.Client, creds: dict[str, Any]) -> None:
    r = anon.post(
        "/token",
        data={"grant_type": "client_credentials", "client_secret": creds["client_secret"]},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    assert_error(r, 400, "invalid_request")
    r = anon.post(
        "/token",
        data={"grant_type": "client_credentials", "client_id": "someone-else"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    assert_error(r, 400, "invalid_request")


def test_invalid_client_cases(anon: httpx.Client, creds: dict[str, Any]) -> None:
    grant = {"grant_type": "client_credentials"}
    cases = [
        anon.post("/token", data=grant, auth=(creds["client_id"], "wrong")),
        anon.post("/token", data=grant, auth=("nobody", creds["client_secret"])),
        anon.post("/token", data=grant, headers={"Authorization": "Basic !!!"}),
        anon.post(
            "/token",
            data=grant,
            headers={"Authorization": "Basic " + base64.b64encode(b"nocolon").decode()},
        ),
        anon.post("/token", data=grant, headers={"Authorization": "Bearer abc"}),
        anon.post(
            "/token", data={**grant, "client_id": creds["client_id"], "client_secret": "wrong"}
        ),
        anon.post("/token", data=grant),  # no authentication at all
        anon.post("/token", data={**grant, "client_id": "nobody"}),  # tls_client_auth, unknown id
    ]
    descriptions = set()
    for r in cases:
        body = assert_error(r, 401, "invalid_client")
        assert r.headers["www-authenticate"].startswith('Basic realm="ficoba-sandbox"')
        descriptions.add(body.get("error_description"))
    assert len(descriptions) == 1  # no hint as to which part failed


def test_certificate_of_a_with_client_id_b(
    gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    creds: dict[str, Any],
) -> None:
    b = enrol_client("client-b")
    # The demo client's connection, B's credentials (all three methods): refused.
    http = make_client(gw_app, creds, token=False)
    grant = {"grant_type": "client_credentials"}
    for r in (
        http.post("/token", data=grant, auth=(b["client_id"], b["client_secret"])),
        http.post(
            "/token",
            data={**grant, "client_id": b["client_id"], "client_secret": b["client_secret"]},
        ),
        http.post("/token", data={**grant, "client_id": b["client_id"]}),
    ):
        assert_error(r, 401, "invalid_client")
    # No certificate at all: refused too (the listener would not even finish the handshake).
    nocert = make_client(gw_app, None, token=False, cert_pem="")
    r = nocert.post("/token", data=grant, auth=(b["client_id"], b["client_secret"]))
    assert_error(r, 401, "invalid_client")


def test_unauthorized_client(
    gw_app: Any, make_client: Callable[..., httpx.Client], enrol_client: Callable[..., Any]
) -> None:
    c = enrol_client("no-grant", grant_types=())
    http = make_client(gw_app, c, token=False)
    r = http.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(c["client_id"], c["client_secret"]),
    )
    assert_error(r, 400, "unauthorized_client")


def test_revoked_client_gets_no_token(
    gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    sandbox_dir: Path,
) -> None:
    from ficoba_sandbox.gateway.registry import Registry

    c = enrol_client("to-revoke")
    http = make_client(gw_app, c, token=False)
    auth = (c["client_id"], c["client_secret"])
    assert_ok(http.post("/token", data={"grant_type": "client_credentials"}, auth=auth))
    Registry(sandbox_dir).revoke("to-revoke")
    assert_error(
        http.post("/token", data={"grant_type": "client_credentials"}, auth=auth),
        401,
        "invalid_client",
    )


def test_oversized_and_malformed_body(anon: httpx.Client, creds: dict[str, Any]) -> None:
    headers = {**FORM, **basic(creds["client_id"], creds["client_secret"])}
    big = b"grant_type=client_credentials&pad=" + b"x" * 20_000
    assert_error(anon.post("/token", content=big, headers=headers), 400, "invalid_request")
    assert_error(anon.post("/token", content=b"\xff\xfe", headers=headers), 400, "invalid_request")
    assert_error(
        anon.post("/token", content=b"grant_type", headers=headers), 400, "invalid_request"
    )
