"""Authlib's OAuth2 client over the real mutual-TLS listener: what it sees of `/token` (a bearer
token, no refresh token) and a search with it. The README's httpx and Authlib snippets run as
printed in tests/test_readme_walkthrough.py."""

from __future__ import annotations

import ssl
import uuid
import warnings
from typing import Any

import pytest

pytestmark = pytest.mark.tls


def _search_body(creds: dict[str, Any]) -> dict[str, Any]:
    return {
        "dateDemande": "2025-01-15",
        "motif": creds["motifs"][0],
        "siretDemandeur": creds["siret_demandeur"],
        "sirenDemandeur": "",
        "justification": "Demo ficoba-sandbox",
        "criteresRecherche": {"iban": "FR7630004009550000135601429", "verificationCompte": "1"},
    }


def _creds(tls_server: Any) -> dict[str, Any]:
    return {**tls_server.demo, "token_url": tls_server.token_url, "base_url": tls_server.base_url}


def test_authlib_gets_a_bearer_token_without_refresh_and_searches(tls_server: Any) -> None:
    # Authlib 1.9 warns at import that its httpx integration prefers httpx2 (docs/pitfalls.md); it forces
    # that warning with simplefilter("always"), so only recording it keeps it quiet.
    with warnings.catch_warnings(record=True) as caught:
        from authlib.integrations.httpx_client import OAuth2Client
    assert all("httpx2" in str(w.message) for w in caught)

    creds = _creds(tls_server)
    ctx = ssl.create_default_context(cafile=creds["ca"])
    ctx.load_cert_chain(creds["cert"], creds["key"])
    with OAuth2Client(
        creds["client_id"],
        creds["client_secret"],
        token_endpoint_auth_method="client_secret_basic",
        verify=ctx,
    ) as oauth:
        token = oauth.fetch_token(creds["token_url"], grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and "refresh_token" not in token
        r = oauth.post(
            f"{creds['base_url']}/comptes/numCpte",
            json=_search_body(creds),
            headers={"X-Correlation-ID": str(uuid.uuid4())},
        )
    assert r.status_code == 200, r.text
