"""Latency emulation: grammar, distribution fit, no stall of other requests, the 408 path."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
import pytest
from quota_stub_app import PREFIX, build

from ficoba_sandbox.gateway.latency import Fixed, Latency, LogNormal, parse_duration
from ficoba_sandbox.settings import Settings

AUTH = {"Authorization": "Bearer bank-a"}


def test_durations() -> None:
    assert parse_duration("200ms") == 0.2
    assert parse_duration("1.5s") == 1.5
    for bad in ("200", "ms", "-1s", "2m"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_grammar() -> None:
    assert Latency.parse(None).enabled is False
    assert Latency.parse("200ms").delays == {"*": Fixed(0.2)}
    assert Latency.parse("p50=80ms,p99=400ms").delays == {"*": LogNormal(0.08, 0.4)}
    spec = Latency.parse("numCpte=p50=80ms,p99=400ms; *=20ms ;spi=1s")
    assert spec.delays == {"numCpte": LogNormal(0.08, 0.4), "*": Fixed(0.02), "spi": Fixed(1.0)}
    assert spec.describe()["numCpte"] == "p50=80ms,p99=400ms"
    assert Latency.parse("numCpte=300ms").delay_for("spi") == 0.0
    for bad in (
        "p50=80ms",
        "p50=400ms,p99=80ms",
        "numCpte=1s;numCpte=2s",
        "x y=1s",
        "p50=1s,p42=2s",
    ):
        with pytest.raises(ValueError):
            Latency.parse(bad)


def test_lognormal_fit_and_seeded_rng() -> None:
    a = Latency.parse("p50=80ms,p99=400ms", seed=7)
    b = Latency.parse("p50=80ms,p99=400ms", seed=7)
    sample = [a.delay_for("numCpte") for _ in range(20_000)]
    assert sample[:50] == [b.delay_for("numCpte") for _ in range(50)]  # reproducible
    assert statistics.median(sample) == pytest.approx(0.08, rel=0.05)
    p99 = statistics.quantiles(sample, n=100)[98]
    assert p99 == pytest.approx(0.4, rel=0.1)


def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox", timeout=30)


@pytest.mark.anyio
async def test_latency_does_not_stall_other_requests() -> None:
    app, _ = build(Settings(latency="numCpte=600ms"))
    async with _client(app) as c:

        async def timed(coro: object) -> tuple[int, float, float]:
            start = time.perf_counter()
            r = await coro  # type: ignore[misc]
            return r.status_code, start, time.perf_counter()

        t0 = time.perf_counter()
        slow = [
            asyncio.create_task(timed(c.post(f"{PREFIX}/comptes/numCpte", json={}, headers=AUTH)))
            for _ in range(10)
        ]
        await asyncio.sleep(0.05)
        fast = await asyncio.gather(
            *(timed(c.post(f"{PREFIX}/comptes/spi", json={}, headers=AUTH)) for _ in range(10))
        )
        fast_done = time.perf_counter()
        slow_results = await asyncio.gather(*slow)
        total = time.perf_counter() - t0

    assert all(status == 200 for status, _, _ in [*fast, *slow_results])
    # the undelayed calls answer while the delayed ones are still waiting
    assert fast_done - t0 < 0.4, fast_done - t0
    assert all(end - start >= 0.59 for _, start, end in slow_results)
    # ten 600 ms waits overlap: well under the 6 s they would take one after another
    assert total < 1.5, total


@pytest.mark.anyio
async def test_a_delay_above_the_timeout_answers_408_after_the_timeout() -> None:
    app, _ = build(Settings(latency="numCpte=5s", request_timeout="300ms"))
    async with _client(app) as c:
        start = time.perf_counter()
        r = await c.post(f"{PREFIX}/comptes/numCpte", json={}, headers=AUTH)
        elapsed = time.perf_counter() - start
        other = await c.post(f"{PREFIX}/comptes/spi", json={}, headers=AUTH)
    assert r.status_code == 408
    assert r.json()["erreur"]["code"] == "HTTP408"
    assert r.json()["erreur"]["message"] == "Temps d'attente d'une réponse du serveur écoulé"
    assert "RateLimit" in r.headers
    assert 0.29 <= elapsed < 2.0
    assert other.status_code == 200


@pytest.mark.anyio
async def test_a_delay_under_the_timeout_is_served() -> None:
    app, _ = build(Settings(latency="100ms", request_timeout="2s"))
    async with _client(app) as c:
        start = time.perf_counter()
        r = await c.post(f"{PREFIX}/comptes/numCpte", json={}, headers=AUTH)
        elapsed = time.perf_counter() - start
    assert r.status_code == 200 and elapsed >= 0.099
