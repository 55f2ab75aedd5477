"""Client authentication at `/token` (gateway/client_auth.py): the secret checked off the event
loop, the failure back-off (docs/security.md, "Client authentication")."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import create_app
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.client_auth import (
    MAX_KEYS,
    REFUSAL_DELAY,
    BackoffPolicy,
    ClientAuthentication,
)
from ficoba_sandbox.settings import Settings
from gateway_support import TLSServer, fetch_token, free_port, run_tls_server

HEALTH = "/ficoba-api/v2/etatSante"


@pytest.fixture
def burst_server(settings: Settings, demo_creds: dict[str, Any]) -> Iterator[TLSServer]:
    """A real mutual-TLS listener on its own app, the failure back-off off: what is measured is
    where the secrets are checked, not how soon guessing is refused."""
    s = settings.model_copy(
        update={
            "host": "127.0.0.1",
            "port": free_port(),
            "token_backoff_client_failures": 0,
            "token_backoff_peer_failures": 0,
            "default_quota": 100_000,  # the measure is not the quota's business
        }
    )
    app = create_app(s)
    with run_tls_server(s, app) as origin:
        yield TLSServer(origin=origin, dir=Path(s.state_dir), demo=demo_creds, app=app, settings=s)


def _latencies(http: httpx.Client, n: int, seconds: float = 0.0) -> list[float]:
    """`/etatSante` timed, at least `n` times and for at least `seconds`."""
    out: list[float] = []
    end = time.perf_counter() + seconds
    while len(out) < n or time.perf_counter() < end:
        t0 = time.perf_counter()
        r = http.get(HEALTH, headers={"X-Correlation-ID": str(uuid.uuid4())})
        out.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
    return out


def test_a_secret_guessing_burst_does_not_slow_down_other_clients(
    burst_server: TLSServer,
) -> None:
    """Eight parallel streams of wrong secrets on `/token`, over real mutual TLS: a client
    already holding a token keeps its `/etatSante` latency. With scrypt on the event loop, the
    median went from a few ms to about 300 ms (each guess holds the loop for its ~50 ms)."""
    server = burst_server
    creds = server.demo
    with server.http(creds) as http:
        http.headers["Authorization"] = f"Bearer {fetch_token(http, creds)}"
        _latencies(http, 10)  # warm: connection, token cache
        quiet = statistics.median(_latencies(http, 60))

        stop = threading.Event()
        guesses: list[int] = []

        def guess(n: int) -> None:
            with server.http(creds) as attacker:
                while not stop.is_set():
                    r = attacker.post(
                        "/token",
                        data={"grant_type": "client_credentials"},
                        auth=(creds["client_id"], f"wrong-{n}-{len(guesses)}"),
                    )
                    assert r.status_code == 401, r.text
                    guesses.append(n)

        streams = [threading.Thread(target=guess, args=(n,), daemon=True) for n in range(8)]
        for t in streams:
            t.start()
        try:
            time.sleep(0.5)  # every stream connected and guessing
            before = len(guesses)
            burst = statistics.median(_latencies(http, 20, seconds=2.0))
            during = len(guesses) - before
        finally:
            stop.set()
            for t in streams:
                t.join(timeout=30)
    assert during >= 5, f"only {during} guesses answered while the latency was measured"
    # generous (a noisy 2-CPU machine): 10x the quiet median, and never less than 60 ms
    bound = max(10 * quiet, 0.060)
    print(f"quiet {quiet * 1000:.1f} ms, burst {burst * 1000:.1f} ms, {during} guesses")
    assert burst < bound, f"median {burst * 1000:.1f} ms during the burst, {quiet * 1000:.1f} quiet"


# --------------------------------------------------------------------------- failure back-off


@pytest.fixture
def guarded(make_gw_app: Any) -> Any:
    """A probe app (frozen clock) whose back-off trips at 3 failures per client, 5 per peer;
    its refusals held 10 ms rather than a second (`test_a_refusal_is_held` holds them)."""
    app = make_gw_app(
        token_backoff_window=30, token_backoff_client_failures=3, token_backoff_peer_failures=5
    )
    app.sandbox.gateway.client_auth.refusal_delay = 0.01
    return app


def _token(http: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return http.post("/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))


def _count_hashes(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every secret the app's client authentication hashes (its `verify_secret`, spied on)."""
    auth = app.sandbox.gateway.client_auth
    hashed: list[str] = []
    real = auth.verify_secret

    async def spy(secret: str, stored: str | None) -> bool:
        hashed.append(secret)
        return bool(await real(secret, stored))

    monkeypatch.setattr(auth, "verify_secret", spy)
    return hashed


def test_repeated_failures_of_a_client_answer_429_before_any_hash(
    guarded: Any,
    make_client: Any,
    demo_creds: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed = _count_hashes(guarded, monkeypatch)
    cid, secret = demo_creds["client_id"], demo_creds["client_secret"]
    with make_client(guarded, token=False, correlation=False) as http:
        for n in range(3):
            assert _token(http, cid, f"wrong-{n}").status_code == 401
        assert len(hashed) == 3
        # the right secret too: it is not even looked at while the client is backed off
        for candidate in ("wrong-3", secret):
            r = _token(http, cid, candidate)
            assert r.status_code == 429, r.text
            assert r.json()["error"] == "slow_down"
            assert r.headers["retry-after"] == "30"  # the frozen clock: one whole window
            assert r.headers["cache-control"] == "no-store"
        assert len(hashed) == 3
        # an unknown client id gets the same answer: it tells nothing about which ids exist
        for n in range(4):
            r = _token(http, "nobody-like-that", f"wrong-{n}")
        assert (r.status_code, r.json()["error"]) == (429, "slow_down")
        # another client from another address is not concerned
        with make_client(guarded, token=False, correlation=False, client_ip="127.0.0.9") as other:
            assert _token(other, "someone-else", "wrong").status_code == 401
        # the window passes (the sandbox's clock): the client may try again, and succeeds
        guarded.sandbox.clock.advance(timedelta(seconds=31))
        assert _token(http, cid, secret).status_code == 200


def test_a_success_clears_the_clients_failures(
    guarded: Any, make_client: Any, demo_creds: dict[str, Any]
) -> None:
    cid, secret = demo_creds["client_id"], demo_creds["client_secret"]
    with make_client(guarded, token=False, correlation=False) as http:
        for _ in range(2):
            for n in range(2):
                assert _token(http, cid, f"wrong-{n}").status_code == 401
            assert _token(http, cid, secret).status_code == 200
        # the successes did not count against the peer, but they did not clear its failures
        # either (one valid credential must not launder guesses): its 5th fails, then 429
        assert _token(http, cid, "wrong-4").status_code == 401
        assert _token(http, cid, "wrong-5").status_code == 429


def test_rotating_client_ids_is_stopped_per_peer(
    guarded: Any, make_client: Any, demo_creds: dict[str, Any]
) -> None:
    with make_client(guarded, token=False, correlation=False, client_ip="127.0.0.7") as http:
        for n in range(5):
            assert _token(http, f"guess-{n}", "wrong").status_code == 401
        r = _token(http, "guess-5", "wrong")
        assert (r.status_code, r.json()["error"]) == (429, "slow_down")
        # the peer is backed off for every client id, the right credentials included
        r = _token(http, demo_creds["client_id"], demo_creds["client_secret"])
        assert r.status_code == 429
    with make_client(guarded, token=False, correlation=False, client_ip="127.0.0.8") as http:
        assert _token(http, demo_creds["client_id"], demo_creds["client_secret"]).status_code == 200


def test_the_back_off_remembers_a_bounded_number_of_ids_and_peers() -> None:
    clock = SystemClock()
    clock.freeze()
    auth = ClientAuthentication(clock, BackoffPolicy(window=60, client_failures=3, peer_failures=3))
    for n in range(MAX_KEYS * 3):
        auth.begin(f"id-{n}", f"10.0.{n // 256 % 256}.{n % 256}")
    assert auth.tracked() == (MAX_KEYS, MAX_KEYS)
    # what is remembered is the most recent: the last id still counts, the first is forgotten
    assert auth.begin("id-0", None).retry_after == 0
    last = f"id-{MAX_KEYS * 3 - 1}"
    auth.begin(last, None)
    auth.begin(last, None)
    assert auth.begin(last, None).retry_after == 60


def test_retry_after_counts_from_the_oldest_failure_in_the_window() -> None:
    clock = SystemClock()
    clock.freeze()
    auth = ClientAuthentication(clock, BackoffPolicy(window=60, client_failures=2, peer_failures=0))
    auth.begin("c", "10.0.0.1")
    clock.advance(timedelta(seconds=20))
    auth.begin("c", "10.0.0.1")
    clock.advance(timedelta(seconds=10))
    assert auth.begin("c", "10.0.0.1").retry_after == 30
    clock.advance(timedelta(seconds=30))
    assert auth.begin("c", "10.0.0.1").retry_after == 0


def test_a_threshold_of_zero_turns_the_back_off_off() -> None:
    clock = SystemClock()
    clock.freeze()
    auth = ClientAuthentication(clock, BackoffPolicy(window=60, client_failures=0, peer_failures=0))
    assert all(auth.begin("c", "10.0.0.1").retry_after == 0 for _ in range(1000))
    assert auth.tracked() == (0, 0)


def test_a_refusal_is_held(make_gw_app: Any, make_client: Any) -> None:
    """A client that ignores `Retry-After` and retries at once gets one refusal a second per
    connection, not a flood of cheap answers that would slow everyone down."""
    app = make_gw_app(token_backoff_client_failures=1, token_backoff_peer_failures=0)
    with make_client(app, token=False, correlation=False) as http:
        assert _token(http, "someone", "wrong").status_code == 401
        t0 = time.perf_counter()
        assert _token(http, "someone", "wrong").status_code == 429
        assert time.perf_counter() - t0 >= REFUSAL_DELAY
