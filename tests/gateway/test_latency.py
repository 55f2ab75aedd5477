"""Emulated latency (gateway/latency.py, the pipeline's `latency` step; docs/quota.md): the
grammar, the log-normal fit, and on the real app the delay per resource, other calls served
meanwhile, the 408 above `--request-timeout`, and the admin plane changing it at run time."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.gateway.latency import Fixed, Latency, LogNormal

GW = "/ficoba-api/v2"
BE = "/fcb-masrestit/api/v2"


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


# --- on the real app ----------------------------------------------------------------------------


@pytest.fixture
def calls(
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    search_body: Callable[..., dict[str, Any]],
) -> Callable[[SandboxApp], dict[str, Callable[[], httpx.Response]]]:
    """`calls(app)`: a call of the demo client to `numCpte`, `spi` and `/etatSante` (both
    prefixes) on that app, by name."""

    def _calls(app: SandboxApp) -> dict[str, Callable[[], httpx.Response]]:
        http = make_client(app)
        num, spi = search_body(demo_creds, "numCpte"), search_body(demo_creds, "spi")
        return {
            "numCpte": lambda: http.post(f"{GW}/comptes/numCpte", json=num),
            "spi": lambda: http.post(f"{GW}/comptes/spi", json=spi),
            "etatSante": lambda: http.get(f"{GW}/etatSante"),
            "etatSante backend": lambda: http.get(f"{BE}/etatSante"),
        }

    return _calls


def statuses(calls: dict[str, Callable[[], httpx.Response]]) -> dict[str, int]:
    return {name: call().status_code for name, call in calls.items()}


@pytest.mark.parametrize(
    ("spec", "delayed"),
    [
        ("numCpte=5s", {"numCpte"}),
        ("spi=5s;*=0ms", {"spi"}),
        ("numCpte=1ms;*=5s", {"spi", "etatSante", "etatSante backend"}),
        ("p50=5s,p99=6s", {"numCpte", "spi", "etatSante", "etatSante backend"}),
    ],
)
def test_the_delay_applies_to_the_resources_the_spec_names(
    open_app: Callable[..., SandboxApp], calls: Callable[..., Any], spec: str, delayed: set[str]
) -> None:
    """Told by the status, not by a stopwatch: a delay above the 50 ms timeout answers 408."""
    app = open_app(latency=spec, request_timeout="50ms")
    got = statuses(calls(app))
    assert got == {name: 408 if name in delayed else 200 for name in got}


def test_a_delay_above_the_timeout_answers_408_after_the_timeout(
    open_app: Callable[..., SandboxApp], calls: Callable[..., Any]
) -> None:
    call = calls(open_app(latency="numCpte=5s", request_timeout="300ms"))
    start = time.perf_counter()
    r = call["numCpte"]()
    elapsed = time.perf_counter() - start
    assert r.status_code == 408
    assert r.json()["erreur"]["code"] == "HTTP408"
    assert r.json()["erreur"]["message"] == "Temps d'attente d'une réponse du serveur écoulé"
    assert r.headers["RateLimit"].startswith('"default";r=199;')  # counted
    assert "Retry-After" not in r.headers
    assert 0.29 <= elapsed < 4.0  # the timeout, not the 5 s delay
    assert call["spi"]().status_code == 200


def test_a_delay_under_the_timeout_is_served_after_it(
    open_app: Callable[..., SandboxApp], calls: Callable[..., Any]
) -> None:
    call = calls(open_app(latency="100ms", request_timeout="2s"))
    for name in ("numCpte", "etatSante"):
        start = time.perf_counter()
        assert call[name]().status_code == 200
        assert time.perf_counter() - start >= 0.099


def test_a_delay_does_not_stall_other_calls(
    open_app: Callable[..., SandboxApp],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    search_body: Callable[..., dict[str, Any]],
) -> None:
    """Ten calls waiting 600 ms each and ten undelayed ones, all at once: the undelayed ones are
    answered while the others wait, and the waits overlap (asyncio.sleep on the app's loop)."""
    app = open_app(latency="numCpte=600ms")
    token = make_client(app).headers["Authorization"]

    def timed(resource: str) -> tuple[int, float, float]:
        with make_client(app, token=False) as http:
            start = time.perf_counter()
            r = http.post(
                f"{GW}/comptes/{resource}",
                json=search_body(demo_creds, resource),
                headers={"Authorization": token},
            )
            return r.status_code, start, time.perf_counter()

    with ThreadPoolExecutor(max_workers=20) as pool:
        begin = time.perf_counter()
        slow = [pool.submit(timed, "numCpte") for _ in range(10)]
        time.sleep(0.05)
        fast = [f.result(timeout=30) for f in [pool.submit(timed, "spi") for _ in range(10)]]
        delayed = [f.result(timeout=30) for f in slow]
        total = time.perf_counter() - begin

    assert [status for status, _, _ in fast + delayed] == [200] * 20
    assert all(end - start >= 0.59 for _, start, end in delayed)
    assert max(end for _, _, end in fast) < min(end for _, _, end in delayed)
    assert total < 3.0, total  # one after the other, the ten waits alone take 6 s


def test_the_admin_plane_changes_the_latency_at_run_time(
    open_app: Callable[..., SandboxApp], calls: Callable[..., Any]
) -> None:
    app = open_app()
    call = calls(app)
    levels = app.sandbox.levels
    assert call["numCpte"]().status_code == 200
    levels.latency, levels.request_timeout = Latency.parse("numCpte=5s"), 0.05
    assert call["numCpte"]().status_code == 408
    assert levels.describe()["latency"] == {"numCpte": "5000ms"}
    levels.latency = Latency.parse(None)
    assert call["numCpte"]().status_code == 200
