"""JWT access tokens (RFC 9068 profile, RFC 8705 binding) and the verified-token cache."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway import tokens
from ficoba_sandbox.gateway.pki import load_key
from ficoba_sandbox.gateway.registry import Registry
from ficoba_sandbox.gateway.tokens import AUDIENCE, ISSUER, InvalidToken, TokenService
from gateway_support import wait_for_file_watch


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


# The verified-token cache: the signature is checked once per token, every other check still
# runs on every call.

GW = "/ficoba-api/v2"


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return original(token, *args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counting)
    return seen


def test_signature_checked_once_per_token(service: TokenService, decodes: list[str]) -> None:
    a, _ = service.issue("acme", ["dgfip_ficoba_compte"], "T")
    b, _ = service.issue("acme", [], "T")
    first = service.verify(a)
    assert service.verify(a) == first and service.verify(a).scopes == ("dgfip_ficoba_compte",)
    service.verify(b)
    assert decodes == [a, b]


def test_cached_token_expires_by_the_clock(
    service: TokenService, clock: SystemClock, decodes: list[str]
) -> None:
    token, _ = service.issue("acme", [], "T")
    service.verify(token)
    clock.advance(timedelta(seconds=3599))
    service.verify(token)  # still valid, from the cache
    assert len(decodes) == 1
    clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidToken, match="expired"):
        service.verify(token)
    clock.advance(timedelta(seconds=-10))  # back in time: verified again from scratch
    assert service.verify(token).client_id == "acme"


def test_cached_token_not_yet_valid_when_the_clock_goes_back(
    service: TokenService, clock: SystemClock
) -> None:
    token, _ = service.issue("acme", [], "T")
    service.verify(token)
    clock.advance(timedelta(seconds=-120))
    with pytest.raises(InvalidToken, match="not yet valid"):
        service.verify(token)


def test_rejected_tokens_are_not_cached(service: TokenService) -> None:
    token, _ = service.issue("acme", [], "T")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(InvalidToken):
            service.verify(forged)
    assert forged not in service._verified


def test_cache_is_bounded(
    service: TokenService, monkeypatch: pytest.MonkeyPatch, decodes: list[str]
) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_CACHE_SIZE", 3)
    issued = [service.issue(f"c{i}", [], "T")[0] for i in range(5)]
    for token in issued:
        service.verify(token)
    assert list(service._verified) == issued[-3:]
    service.verify(issued[0])  # evicted: verified again
    assert decodes.count(issued[0]) == 2


def test_revocation_binding_and_ip_enforced_on_a_cached_token(
    gw_app: Any,
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., Any],
    sandbox_dir: Path,
    clock: SystemClock,
) -> None:
    c = enrol_client("cached", ips=["127.0.0.0/8"])
    http = make_client(gw_app, c)
    for _ in range(3):  # the token is in the cache now
        assert http.get(f"{GW}/probe").status_code == 200
    token = http.headers["Authorization"]
    # binding: the same (cached) token over another client's certificate connection
    other = make_client(gw_app, enrol_client("cached-other"), token=False)
    r = other.get(f"{GW}/probe", headers={"Authorization": token})
    assert r.status_code == 401 and r.json()["erreur"]["code"] == "900901"
    # IP allow-list
    far = make_client(gw_app, c, token=False, client_ip="10.9.9.9")
    assert far.get(f"{GW}/probe", headers={"Authorization": token}).status_code == 403
    # expiry by the app clock
    clock.advance(timedelta(seconds=3600))
    r = http.get(f"{GW}/probe")
    assert r.status_code == 401 and "token expired" in r.headers["www-authenticate"]
    clock.advance(timedelta(seconds=-3600))
    assert http.get(f"{GW}/probe").status_code == 200
    # revocation
    Registry(sandbox_dir).revoke("cached")  # as the command line does
    wait_for_file_watch()
    r = http.get(f"{GW}/probe")
    assert r.status_code == 401 and r.json()["erreur"]["code"] == "900901"
