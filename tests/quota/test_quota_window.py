"""Quota per authenticated client: 200/min by default, moving window, 429 900804 with headers."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from quota_stub_app import PREFIX, build

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.quota import Quota
from ficoba_sandbox.settings import Settings

pytestmark = pytest.mark.anyio

HORODATAGE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RATELIMIT = re.compile(r'^"default";r=(\d+);t=(\d+)$')


def client_for(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")  # type: ignore[arg-type]


async def call(c: httpx.AsyncClient, client_id: str, resource: str = "numCpte") -> httpx.Response:
    return await c.post(
        f"{PREFIX}/comptes/{resource}", json={}, headers={"Authorization": f"Bearer {client_id}"}
    )


async def burst(c: httpx.AsyncClient, client_id: str, n: int) -> list[int]:
    return [(await call(c, client_id)).status_code for _ in range(n)]


def remaining(r: httpx.Response) -> int:
    m = RATELIMIT.match(r.headers["RateLimit"])
    assert m, r.headers["RateLimit"]
    return int(m[1])


async def test_200_pass_and_the_201st_gets_429_with_its_headers(clock: SystemClock) -> None:
    app, _ = build(Settings(), clock=clock)
    async with client_for(app) as c:
        first = await call(c, "bank-a")
        assert first.status_code == 200
        assert first.headers["RateLimit-Policy"] == '"default";q=200;w=60'
        assert first.headers["RateLimit"] == '"default";r=199;t=60'
        assert "Retry-After" not in first.headers
        statuses = [first.status_code] + await burst(c, "bank-a", 199)
        assert statuses == [200] * 200

        clock.advance(timedelta(seconds=17))
        over = await call(c, "bank-a")
    assert over.status_code == 429
    assert over.headers["content-type"].startswith("application/json")
    body = over.json()
    assert set(body) == {"erreur"}
    assert body["erreur"]["code"] == "900804"
    assert body["erreur"]["message"] == "Message throttled out"
    assert HORODATAGE.match(body["erreur"]["horodatage"])
    assert body["erreur"]["horodatage"] == "2026-03-10T10:00:17.000Z"  # the app clock
    assert over.headers["Retry-After"] == "43"  # the first call leaves the window at t=60
    assert over.headers["RateLimit-Policy"] == '"default";q=200;w=60'
    assert over.headers["RateLimit"] == '"default";r=0;t=43'


async def test_remaining_counts_down_on_every_counted_response(clock: SystemClock) -> None:
    app, _ = build(Settings(default_quota=5), clock=clock)
    async with client_for(app) as c:
        seen = [remaining(await call(c, "bank-a")) for _ in range(5)]
        sante = await c.get(f"{PREFIX}/etatSante", headers={"Authorization": "Bearer bank-a"})
    assert seen == [4, 3, 2, 1, 0]
    assert sante.status_code == 429  # /etatSante with a token counts like any API call
    assert sante.headers["Retry-After"] == "60"


async def test_clients_are_independent(clock: SystemClock) -> None:
    app, _ = build(Settings(default_quota=3), clock=clock)
    async with client_for(app) as c:
        assert await burst(c, "bank-a", 4) == [200, 200, 200, 429]
        assert await burst(c, "bank-b", 4) == [200, 200, 200, 429]
        assert await burst(c, "bank-a", 1) == [429]


async def test_a_500_per_minute_client_gets_500(clock: SystemClock) -> None:
    tiers = {"big-bank": 500}
    app, levels = build(Settings(), clock=clock, quota_of=tiers.get)
    async with client_for(app) as c:
        statuses = await burst(c, "big-bank", 501)
        small = await burst(c, "small-bank", 201)
        last = await call(c, "big-bank")
    assert statuses.count(200) == 500 and statuses[-1] == 429
    assert small.count(200) == 200 and small[-1] == 429
    assert last.headers["RateLimit-Policy"] == '"default";q=500;w=60'
    state = await levels.quota_state("big-bank")
    assert state["quota"] == 500 and state["used"] == 500 and state["remaining"] == 0


async def test_the_quota_the_gateway_read_from_the_registry_wins(clock: SystemClock) -> None:
    app, _ = build(Settings(default_quota=2), clock=clock, tiers={"tier-500": 500, "tier-3": 3})
    async with client_for(app) as c:
        assert (await burst(c, "tier-500", 501)).count(200) == 500
        assert await burst(c, "tier-3", 4) == [200, 200, 200, 429]
        assert await burst(c, "untiered", 3) == [200, 200, 429]


async def test_the_window_slides(clock: SystemClock) -> None:
    """A call made at t counts until t+60 s inclusive and frees its slot strictly after."""
    app, _ = build(Settings(default_quota=10), clock=clock)
    async with client_for(app) as c:
        assert await burst(c, "bank-a", 4) == [200] * 4  # t=0
        clock.advance(timedelta(seconds=30))
        assert await burst(c, "bank-a", 7) == [200] * 6 + [429]  # t=30
        clock.advance(timedelta(seconds=30))
        r = await call(c, "bank-a")  # t=60: the t=0 calls still count
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        clock.advance(timedelta(milliseconds=1))
        assert await burst(c, "bank-a", 5) == [200] * 4 + [429]  # the 4 from t=0 left
        r = await call(c, "bank-a")
        assert r.headers["Retry-After"] == "30"  # the t=30 calls leave at t=90
        clock.advance(timedelta(seconds=30))
        assert await burst(c, "bank-a", 7) == [200] * 6 + [429]


async def test_no_double_burst_across_a_minute_boundary(clock: SystemClock) -> None:
    """200 at t=59 s and 200 at t=61 s: with a fixed window both would pass; here not."""
    app, _ = build(Settings(), clock=clock)
    async with client_for(app) as c:
        clock.advance(timedelta(seconds=59))
        assert (await burst(c, "bank-a", 200)).count(200) == 200
        clock.advance(timedelta(seconds=2))
        assert (await burst(c, "bank-a", 200)).count(200) == 0


async def test_refused_calls_do_not_consume_quota(clock: SystemClock) -> None:
    app, _ = build(Settings(default_quota=3), clock=clock)
    async with client_for(app) as c:
        assert await burst(c, "bank-a", 3) == [200] * 3
        for _ in range(5):
            clock.advance(timedelta(seconds=10))
            assert await burst(c, "bank-a", 2) == [429, 429]
        clock.advance(timedelta(seconds=11))  # t=61: the three calls of t=0 have left
        assert await burst(c, "bank-a", 4) == [200, 200, 200, 429]


async def test_admin_reset_and_state(clock: SystemClock) -> None:
    app, levels = build(Settings(default_quota=2), clock=clock)
    async with client_for(app) as c:
        assert await burst(c, "bank-a", 3) == [200, 200, 429]
        state = await levels.quota_state("bank-a")
        assert state == {
            "client_id": "bank-a",
            "quota": 2,
            "window_seconds": 60,
            "used": 2,
            "remaining": 0,
            "reset_in_seconds": 60,
            "storage": "memory",
        }
        await levels.reset_quota("bank-a")
        assert (await levels.quota_state("bank-a"))["used"] == 0
        assert await burst(c, "bank-a", 3) == [200, 200, 429]


async def test_unauthenticated_and_token_calls_are_not_counted(clock: SystemClock) -> None:
    app, levels = build(Settings(default_quota=1), clock=clock)
    async with client_for(app) as c:
        for _ in range(3):
            anonymous = await c.get(f"{PREFIX}/etatSante")
            assert anonymous.status_code == 200 and "RateLimit" not in anonymous.headers
            tok = await c.post("/token", headers={"Authorization": "Bearer bank-a"})
            assert tok.status_code == 200 and "RateLimit" not in tok.headers
        assert (await levels.quota_state("bank-a"))["used"] == 0
        assert await burst(c, "bank-a", 2) == [200, 429]


async def test_the_key_is_the_client_id_not_the_ip_nor_a_header(clock: SystemClock) -> None:
    app, _ = build(Settings(default_quota=1), clock=clock)
    async with client_for(app) as c:
        assert await burst(c, "bank-a", 1) == [200]
        spoof = {
            "Authorization": "Bearer bank-a",
            "X-Forwarded-For": "10.9.9.9",
            "X-Client-Id": "z",
        }
        r = await c.post(f"{PREFIX}/comptes/spi", json={}, headers=spoof)
        assert r.status_code == 429


async def test_storage_failure_refuses_the_call() -> None:
    """Redis unreachable: 503 CAT001, never an unlimited pass."""
    from quota_helpers import free_port

    settings = Settings(quota_storage=f"redis://127.0.0.1:{free_port()}/0")
    app, _ = build(settings)
    async with client_for(app) as c:
        r = await call(c, "bank-a")
    assert r.status_code == 503
    assert r.json()["erreur"]["code"] == "CAT001"


def test_bad_storage_uri_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported quota storage"):
        Quota("memcached://localhost", clock=SystemClock())


async def test_pure_quota_decisions(clock: SystemClock) -> None:
    q = Quota(clock=clock, default_quota=2)
    a = await q.hit("x")
    b = await q.hit("x")
    c = await q.hit("x")
    assert (a.allowed, a.remaining, b.allowed, b.remaining, c.allowed) == (True, 1, True, 0, False)
    assert c.retry_after == 60
    assert dict(c.headers())["Retry-After"] == "60"
