"""JWT access tokens (RFC 9068 profile, RFC 8705 binding)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.pki import load_key
from ficoba_sandbox.gateway.tokens import AUDIENCE, ISSUER, InvalidToken, TokenService


@pytest.fixture
def service(sandbox_dir: Path, clock: SystemClock) -> TokenService:
    return TokenService(sandbox_dir / "pki/token-signing.key", clock, 3600)


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_claims_and_header(service: TokenService) -> None:
    token, ttl = service.issue("acme", ["dgfip_ficoba_compte"], "THUMB")
    assert ttl == 3600
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE
    assert claims["sub"] == claims["client_id"] == "acme"
    assert claims["cnf"] == {"x5t#S256": "THUMB"}
    assert claims["scope"] == "dgfip_ficoba_compte"
    assert claims["exp"] - claims["iat"] == 3600 and claims["jti"]
    verified = service.verify(token)
    assert verified.client_id == "acme" and verified.x5t_s256 == "THUMB"
    assert verified.scopes == ("dgfip_ficoba_compte",)


def test_tokens_are_unique(service: TokenService) -> None:
    tokens = {service.issue("acme", [], "T")[0] for _ in range(200)}
    assert len(tokens) == 200


def test_expiry_follows_the_injected_clock(service: TokenService, clock: SystemClock) -> None:
    token, _ = service.issue("acme", [], "T")
    clock.advance(timedelta(seconds=3599))
    service.verify(token)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidToken, match="expired"):
        service.verify(token)


def test_future_token_rejected(service: TokenService, clock: SystemClock) -> None:
    token, _ = service.issue("acme", [], "T")
    clock.advance(timedelta(seconds=-120))
    with pytest.raises(InvalidToken):
        service.verify(token)


def test_two_servers_sharing_d_accept_each_others_tokens(sandbox_dir: Path) -> None:
    a = TokenService(sandbox_dir / "pki/token-signing.key", SystemClock(), 60)
    b = TokenService(sandbox_dir / "pki/token-signing.key", SystemClock(), 60)
    assert b.verify(a.issue("acme", [], "T")[0]).client_id == "acme"


def test_tampered_and_forged_tokens(
    service: TokenService, sandbox_dir: Path, tmp_path: Path
) -> None:
    token, _ = service.issue("acme", ["dgfip_ficoba_compte"], "T")
    h, p, s = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["scope"] = "dgfip_ficoba_compte dgfip_ficoba_adresse"
    forged = [
        f"{h}.{_b64(claims)}.{s}",  # payload changed
        f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{p}.",  # alg none
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),  # signature changed
        "not-a-jwt",
        "",
    ]
    # HS256 signed with the public key (algorithm confusion)
    pub = load_key(sandbox_dir / "pki/token-signing.key").public_key()
    pem = pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged.append(
        f"{_b64({'alg': 'HS256', 'typ': 'at+jwt'})}.{p}."
        + base64.urlsafe_b64encode(
            __import__("hmac").new(pem, f"x.{p}".encode(), "sha256").digest()
        )
        .rstrip(b"=")
        .decode()
    )
    # signed by another key
    other = TokenService(_other_key(tmp_path), service.clock, 3600)
    forged.append(other.issue("acme", [], "T")[0])
    # right key, wrong typ / issuer / audience
    key = load_key(sandbox_dir / "pki/token-signing.key")
    good = jwt.decode(token, options={"verify_signature": False})
    forged.append(jwt.encode(good, key, algorithm="ES256", headers={"typ": "JWT"}))
    forged.append(
        jwt.encode({**good, "iss": "x"}, key, algorithm="ES256", headers={"typ": "at+jwt"})
    )
    forged.append(
        jwt.encode({**good, "aud": "x"}, key, algorithm="ES256", headers={"typ": "at+jwt"})
    )
    no_cnf = {k: v for k, v in good.items() if k != "cnf"}
    forged.append(jwt.encode(no_cnf, key, algorithm="ES256", headers={"typ": "at+jwt"}))
    for bad in forged:
        with pytest.raises(InvalidToken):
            service.verify(bad)


def _other_key(tmp_path: Path) -> Path:
    from ficoba_sandbox.gateway.pki import ensure_pki

    paths, _ = ensure_pki(tmp_path / "other")
    return paths.token_key
