"""The verified-token cache (gateway/tokens.py): the signature is checked once per token, every
other check still runs on every call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway import tokens
from ficoba_sandbox.gateway.registry import Registry
from ficoba_sandbox.gateway.tokens import InvalidToken, TokenService

GW = "/ficoba-api/v2"


@pytest.fixture
def service(sandbox_dir: Path, clock: SystemClock) -> TokenService:
    return TokenService(sandbox_dir / "pki/token-signing.key", clock, 3600)


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
    Registry(sandbox_dir).revoke("cached")
    r = http.get(f"{GW}/probe")
    assert r.status_code == 401 and r.json()["erreur"]["code"] == "900901"
