"""Revocation (RFC 7009) and introspection (RFC 7662), the authorization server's metadata
(RFC 8414) and keys: Authlib over the real mutual-TLS listener, and the revocation list shared
through the state directory (gateway/revocation.py)."""

from __future__ import annotations

import json
import ssl
import stat
import uuid
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ficoba_sandbox.domain.access import OPERATION_SCOPES, SCOPES
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.revocation import FILE, RevocationList
from gateway_support import envelope

NUM = {"iban": "FR7630004009550000135601429", "verificationCompte": "1"}


def _body(creds: dict[str, Any]) -> dict[str, Any]:
    return envelope(creds, NUM)


@pytest.mark.tls
def test_authlib_discovers_scopes_revokes_over_mutual_tls(tls_server: Any) -> None:
    """Metadata → token with a chosen scope → allowed (200) and forbidden (403 900910)
    operations → revocation → the next call refused (401 900901)."""
    with warnings.catch_warnings(record=True):  # Authlib's httpx2 notice (docs/pitfalls.md)
        from authlib.integrations.httpx_client import OAuth2Client
    creds = tls_server.demo
    ctx = ssl.create_default_context(cafile=creds["ca"])
    ctx.load_cert_chain(creds["cert"], creds["key"])
    with httpx.Client(verify=ctx) as plain:
        meta = plain.get(f"{tls_server.origin}/.well-known/oauth-authorization-server").json()
        jwks = plain.get(meta["jwks_uri"]).json()
    assert meta["token_endpoint"] == tls_server.token_url
    assert "tls_client_auth" in meta["token_endpoint_auth_methods_supported"]
    assert meta["tls_client_certificate_bound_access_tokens"] is True
    assert set(meta["scopes_supported"]) == {*SCOPES, *OPERATION_SCOPES}
    ids = {"X-Correlation-ID": str(uuid.uuid4())}
    with OAuth2Client(
        creds["client_id"],
        creds["client_secret"],
        token_endpoint_auth_method="client_secret_basic",
        scope="RechercheParNumCompte dgfip_ficoba_compte",
        metadata=meta,
        verify=ctx,
    ) as oauth:
        token = oauth.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
        assert token["scope"] == "dgfip_ficoba_compte RechercheParNumCompte"
        # the token verifies with the published key
        key = jwt.PyJWK(jwks["keys"][0]).key
        claims = jwt.decode(token["access_token"], key, algorithms=["ES256"],
                            options={"verify_aud": False})  # fmt: skip
        assert claims["scope"] == token["scope"]
        base = tls_server.base_url
        allowed = oauth.post(f"{base}/comptes/numCpte", json=_body(creds), headers=ids)
        assert allowed.status_code == 200, allowed.text
        forbidden = oauth.post(f"{base}/comptes/spi", json=_body(creds), headers=ids)
        assert forbidden.status_code == 403
        assert forbidden.json()["erreur"]["code"] == "900910"
        assert 'scope="RechercheParSpi"' in forbidden.headers["WWW-Authenticate"]
        seen = oauth.introspect_token(meta["introspection_endpoint"], token=token["access_token"])
        assert seen.json()["active"] is True and seen.json()["client_id"] == creds["client_id"]
        revoked = oauth.revoke_token(meta["revocation_endpoint"], token=token["access_token"])
        assert revoked.status_code == 200, revoked.text
        refused = oauth.post(f"{base}/comptes/numCpte", json=_body(creds), headers=ids)
        assert refused.status_code == 401
        assert refused.json()["erreur"]["code"] == "900901"
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
        seen = oauth.introspect_token(meta["introspection_endpoint"], token=token["access_token"])
        assert seen.json() == {"active": False}


def test_a_client_revokes_and_introspects_its_own_tokens_only(
    gw_app: Any, make_client: Any, enrol_client: Any, demo_creds: dict[str, Any]
) -> None:
    other = enrol_client("other-client")
    demo = make_client(gw_app)
    token = demo.headers["Authorization"].split()[1]
    intruder = make_client(gw_app, other, token=False)
    auth = (other["client_id"], other["client_secret"])
    r = intruder.post("/introspect", data={"token": token}, auth=auth)
    assert r.status_code == 200 and r.json() == {"active": False}
    r = intruder.post("/revoke", data={"token": token}, auth=auth)
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    # not revoked: the owner still calls
    r = demo.post("/ficoba-api/v2/comptes/numCpte", json=_body(demo_creds))
    assert r.status_code == 200, r.text
    # unauthenticated: invalid_client, as at /token; no token: invalid_request
    assert intruder.post("/revoke", data={"token": token}).status_code == 401
    r = intruder.post("/revoke", data={}, auth=auth)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    # an unknown token: nothing to revoke, 200 (RFC 7009 §2.2)
    assert intruder.post("/revoke", data={"token": "abc.def.ghi"}, auth=auth).status_code == 200
    assert intruder.get("/revoke").status_code == 405


def test_the_list_is_shared_private_and_pruned(tmp_path: Path) -> None:
    clock = SystemClock()
    one, two = RevocationList(tmp_path, clock), RevocationList(tmp_path, clock)
    now = int(clock.now().timestamp())
    assert not two.is_revoked("jti-1")
    one.revoke("jti-1", now + 60)
    assert one.is_revoked("jti-1")
    two._watch.look_now()  # the other replica's next look (domain/watch.py)
    assert two.is_revoked("jti-1")
    assert stat.S_IMODE((tmp_path / FILE).stat().st_mode) == 0o600
    clock.advance(timedelta(seconds=120))
    two.revoke("jti-2", now + 600)
    kept = json.loads((tmp_path / FILE).read_text())["revoked"]
    assert set(kept) == {"jti-2"}  # jti-1 expired: pruned
    # a damaged file keeps what was read
    (tmp_path / FILE).write_text("{not json")
    two._watch.look_now()
    assert two.is_revoked("jti-2")
