"""The quota (gateway/quota.py, the pipeline's `quota` step; docs/quota.md) on the real app: real
tokens, real client certificates. A moving window of 60 s per authenticated client, 429 `900804`
with `Retry-After`, the IETF RateLimit fields on every counted answer, what is not counted, the
admin plane's state and reset, one quota shared through Redis by two apps and by two `serve`
processes, and a quota storage that cannot be reached refusing the call (503 `CAT001`)."""

from __future__ import annotations

import asyncio
import random
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.clients import ClientSpec, enrol, ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import PkiPaths, client_ssl_context, ensure_pki
from ficoba_sandbox.gateway.quota import Quota, QuotaStorageError, _Window
from ficoba_sandbox.gateway.registry import Registry
from ficoba_sandbox.qa.drills import disarm, make_plan, write_plan
from gateway_support import (
    free_port,
    run_on_asgi_loop,
    served_state,
    spawn_serve,
    wait_for_file_watch,
)

GW = "/ficoba-api/v2"
SANTE = f"{GW}/etatSante"
CORR = "6f1c2b9e-0d3a-4e8b-9a57-3c2d1e0f4a6b"
RATELIMIT = re.compile(r'^"default";r=(\d+);t=(\d+)$')

OpenApp = Callable[..., SandboxApp]
MakeClient = Callable[..., httpx.Client]
Enrol = Callable[..., dict[str, Any]]
SearchBody = Callable[..., dict[str, Any]]


@pytest.fixture
def clock() -> SystemClock:
    """Frozen at 10:00:00 UTC on 10 March 2026: the tests move it instead of sleeping."""
    c = SystemClock()
    c.freeze(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    return c


def burst(http: httpx.Client, n: int) -> list[int]:
    return [http.get(SANTE).status_code for _ in range(n)]


def remaining(r: httpx.Response) -> int:
    m = RATELIMIT.match(r.headers["RateLimit"])
    assert m, r.headers["RateLimit"]
    return int(m[1])


def quota_state(app: SandboxApp, client_id: str) -> dict[str, Any]:
    return run_on_asgi_loop(app.sandbox.levels.quota_state(client_id))


# --- the window, the answers --------------------------------------------------------------------


def test_the_201st_call_of_a_minute_gets_429_with_retry_after_and_ratelimit(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    app = open_app(clock=clock)
    http = make_client(app, enrol_client("quota-default"))  # the registry's default: 200
    first = http.get(SANTE)
    assert first.status_code == 200
    assert first.headers["RateLimit-Policy"] == '"default";q=200;w=60'
    assert first.headers["RateLimit"] == '"default";r=199;t=60'
    assert "Retry-After" not in first.headers
    assert burst(http, 199) == [200] * 199

    clock.advance(timedelta(seconds=17))
    over = http.get(SANTE, headers={"X-Correlation-ID": CORR})
    assert over.status_code == 429
    assert over.headers["content-type"] == "application/json"
    assert over.json() == {
        "erreur": {
            "code": "900804",
            "message": "Message throttled out",
            "horodatage": "2026-03-10T10:00:17.000Z",  # the app's clock
        }
    }
    assert over.headers.get_list("Retry-After") == ["43"]  # the first call leaves at t=60
    assert over.headers["RateLimit-Policy"] == '"default";q=200;w=60'
    assert over.headers["RateLimit"] == '"default";r=0;t=43'
    assert over.headers["X-Correlation-ID"] == CORR


def test_every_counted_answer_carries_the_ratelimit_fields(
    open_app: OpenApp,
    make_client: MakeClient,
    enrol_client: Enrol,
    search_body: SearchBody,
    clock: SystemClock,
) -> None:
    """Searches, a business error, `/etatSante` and HEAD count alike (docs/quota.md)."""
    app = open_app(clock=clock)
    creds = enrol_client("quota-five", quota=5)
    http = make_client(app, creds)
    answers = [
        http.post(f"{GW}/comptes/numCpte", json=search_body(creds, "numCpte")),
        http.post(f"{GW}/comptes/spi", json=search_body(creds, "spi")),
        http.post(f"{GW}/comptes/spi", json=search_body(creds, "spi", dateDemande="2099-01-01")),
        http.head(SANTE),
        http.get(SANTE),
    ]
    assert [r.status_code for r in answers] == [200, 200, 400, 200, 200]
    assert answers[2].json()["erreur"]["code"] == "CAF024"
    assert [remaining(r) for r in answers] == [4, 3, 2, 1, 0]
    over = http.post(f"{GW}/comptes/numCpte", json=search_body(creds, "numCpte"))
    assert over.status_code == 429
    assert over.headers["Retry-After"] == "60"
    assert over.headers["RateLimit"] == '"default";r=0;t=60'


def test_clients_are_independent(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    app = open_app(clock=clock)
    a = make_client(app, enrol_client("quota-a", quota=3))
    b = make_client(app, enrol_client("quota-b", quota=3))
    assert burst(a, 4) == [200, 200, 200, 429]
    assert burst(b, 4) == [200, 200, 200, 429]
    assert burst(a, 1) == [429]


def test_the_registry_quota_wins_over_the_default(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    app = open_app(clock=clock, default_quota=2)
    big = make_client(app, enrol_client("quota-big", quota=500))
    statuses = burst(big, 501)
    assert statuses.count(200) == 500 and statuses[-1] == 429
    assert big.get(SANTE).headers["RateLimit-Policy"] == '"default";q=500;w=60'
    three = make_client(app, enrol_client("quota-three", quota=3))
    assert burst(three, 4) == [200, 200, 200, 429]
    state = quota_state(app, "quota-big")
    assert (state["quota"], state["used"], state["remaining"]) == (500, 500, 0)


def test_a_client_registered_without_a_quota_has_the_servers_default(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    """`clients add` without `--quota` leaves the quota to the server (`--default-quota`)."""
    creds = enrol_client("quota-unset")
    for default in (2, 3):
        app = open_app(clock=clock, default_quota=default)
        http = make_client(app, creds)
        assert burst(http, default + 1) == [200] * default + [429]
        assert http.get(SANTE).headers["RateLimit-Policy"] == f'"default";q={default};w=60'
        assert quota_state(app, "quota-unset")["quota"] == default


def test_a_quota_changed_in_the_registry_applies_without_restart_and_keeps_the_count(
    open_app: OpenApp,
    make_client: MakeClient,
    enrol_client: Enrol,
    sandbox_dir: Path,
    clock: SystemClock,
) -> None:
    app = open_app(clock=clock)
    http = make_client(app, enrol_client("quota-raised", quota=3))
    assert burst(http, 4) == [200, 200, 200, 429]
    registry = Registry(sandbox_dir)
    record = registry.get("quota-raised")
    assert record is not None
    registry.put(replace(record, quota_per_minute=5))  # as the command line does
    wait_for_file_watch()
    assert burst(http, 3) == [200, 200, 429]  # the three calls counted before still count
    assert http.get(SANTE).headers["RateLimit-Policy"] == '"default";q=5;w=60'


def test_the_window_slides(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    """A call made at t counts until t+60 s inclusive and frees its slot strictly after."""
    app = open_app(clock=clock)
    http = make_client(app, enrol_client("quota-ten", quota=10))
    assert burst(http, 4) == [200] * 4  # t=0
    clock.advance(timedelta(seconds=30))
    assert burst(http, 7) == [200] * 6 + [429]  # t=30
    clock.advance(timedelta(seconds=30))
    r = http.get(SANTE)  # t=60: the calls of t=0 still count
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    clock.advance(timedelta(milliseconds=1))
    assert burst(http, 5) == [200] * 4 + [429]  # the four of t=0 have left
    r = http.get(SANTE)
    assert r.headers["Retry-After"] == "30"  # the calls of t=30 leave at t=90
    clock.advance(timedelta(seconds=30))
    assert burst(http, 7) == [200] * 6 + [429]


def test_no_double_burst_across_a_minute_boundary(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    """200 calls at 10:00:59 and 200 at 10:01:01: a fixed window would admit both bursts."""
    app = open_app(clock=clock)
    http = make_client(app, enrol_client("quota-boundary"))
    clock.advance(timedelta(seconds=59))
    assert burst(http, 200).count(200) == 200
    clock.advance(timedelta(seconds=2))
    assert burst(http, 200).count(200) == 0


def test_refused_calls_do_not_consume_quota(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    app = open_app(clock=clock)
    http = make_client(app, enrol_client("quota-retrying", quota=3))
    assert burst(http, 3) == [200] * 3
    for _ in range(5):
        clock.advance(timedelta(seconds=10))
        assert burst(http, 2) == [429, 429]
    clock.advance(timedelta(seconds=11))  # t=61: the three calls of t=0 have left
    assert burst(http, 4) == [200, 200, 200, 429]


def test_admin_state_and_reset(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    app = open_app(clock=clock, default_quota=7)
    http = make_client(app, enrol_client("quota-admin", quota=2))
    assert burst(http, 3) == [200, 200, 429]
    assert quota_state(app, "quota-admin") == {
        "client_id": "quota-admin",
        "quota": 2,
        "window_seconds": 60,
        "used": 2,
        "remaining": 0,
        "reset_in_seconds": 60,
        "storage": "memory",
    }
    run_on_asgi_loop(app.sandbox.levels.reset_quota("quota-admin"))
    assert quota_state(app, "quota-admin")["used"] == 0
    assert burst(http, 3) == [200, 200, 429]
    unknown = quota_state(app, "nobody-registered")  # the default quota, nothing counted
    assert (unknown["quota"], unknown["used"], unknown["remaining"]) == (7, 0, 7)


def test_token_calls_and_calls_refused_before_the_quota_are_not_counted(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    """No authenticated client to charge, or not a call to a resource (docs/quota.md)."""
    app = open_app(clock=clock)
    creds = enrol_client("quota-uncounted", quota=1)
    http = make_client(app, creds)
    anonymous = make_client(app, creds, token=False)
    foreign = make_client(app, creds, client_ip="192.0.2.1")
    secret = (creds["client_id"], creds["client_secret"])
    attempts: list[tuple[Callable[[], httpx.Response], int, str | None]] = [
        (lambda: anonymous.get(SANTE), 401, "900902"),
        (lambda: http.get(SANTE, headers={"X-Correlation-ID": "x"}), 400, "910000"),
        (lambda: http.get(SANTE, headers={"Authorization": "Bearer abc.def.ghi"}), 401, "900901"),
        (lambda: foreign.get(SANTE), 403, "HTTP403"),
        (lambda: http.get(f"{GW}/inconnu"), 404, "HTTP404"),
        (lambda: http.get(f"{GW}/comptes/spi"), 405, "HTTP405"),
        (lambda: http.post("/token", data={"grant_type": "client_credentials"}, auth=secret), 200, None),
        (lambda: http.get("/openapi.json"), 200, None),
    ]  # fmt: skip
    for send, status, code in attempts * 2:
        r = send()
        assert r.status_code == status, r.text
        if code is not None:
            assert r.json()["erreur"]["code"] == code
        assert "RateLimit" not in r.headers and "RateLimit-Policy" not in r.headers
    assert quota_state(app, "quota-uncounted")["used"] == 0
    assert burst(http, 2) == [200, 429]


def test_the_key_is_the_client_id_not_the_ip_nor_a_header(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, clock: SystemClock
) -> None:
    app = open_app(clock=clock)
    creds = enrol_client("quota-key", quota=1)
    assert burst(make_client(app, creds), 1) == [200]
    # another address of its networks, another token, headers the caller chooses: one quota
    elsewhere = make_client(app, creds, client_ip="127.0.0.2")
    spoof = {"X-Forwarded-For": "10.9.9.9", "Forwarded": "for=10.9.9.9", "X-Client-Id": "z"}
    r = elsewhere.get(SANTE, headers=spoof)
    assert (r.status_code, r.json()["erreur"]["code"]) == (429, "900804")
    # another client from the same address has its own
    assert burst(make_client(app, enrol_client("quota-key-neighbour", quota=1)), 1) == [200]


def test_a_throttling_drill_says_no_call_remains(
    open_app: OpenApp,
    make_client: MakeClient,
    enrol_client: Enrol,
    search_body: SearchBody,
    clock: SystemClock,
) -> None:
    """The recette's throttling drill (qa/drills.py) stands for the gateway's 429: its RateLimit
    field must not tell the client that calls remain, as the magic `quota-exceeded` 429 does
    not (qa/magic.py)."""
    app = open_app(clock=clock)
    creds = enrol_client("quota-drill")
    state_dir = app.sandbox.settings.state_dir
    write_plan(state_dir, make_plan(creds["client_id"], ["throttling"]))
    http = make_client(app, creds)
    body = search_body(creds, "numCpte")
    try:
        answers = [http.post(f"{GW}/comptes/numCpte", json=body) for _ in range(3)]
    finally:
        disarm(state_dir, creds["client_id"])
    assert [r.status_code for r in answers] == [200, 200, 429]  # the drill's call: the third
    assert answers[2].headers.get_list("Retry-After") == ["2"]
    assert answers[2].headers["RateLimit"] == '"default";r=0;t=2'
    assert answers[2].headers["RateLimit-Policy"] == '"default";q=200;w=60'


# --- the storage --------------------------------------------------------------------------------


def test_an_unreachable_storage_refuses_every_call(
    open_app: OpenApp,
    make_client: MakeClient,
    enrol_client: Enrol,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis cannot be reached: 503 `CAT001`, never an unlimited pass."""
    app = open_app(quota_storage=f"redis://127.0.0.1:{free_port()}/0")
    http = make_client(app, enrol_client("quota-no-storage", quota=1))
    answers = [http.get(SANTE) for _ in range(3)]
    for r in answers:
        assert r.status_code == 503
        assert r.json()["erreur"]["code"] == "CAT001"
        assert r.json()["erreur"]["message"] == (
            "Service temporairement indisponible ou en maintenance"
        )
        assert r.headers["Retry-After"] == "60"  # no window to announce
        assert "RateLimit" not in r.headers
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("ficoba_sandbox")]
    assert len(lines) == 1, lines  # once, not once per refused call
    assert lines[0].startswith("quota storage unreachable: ConnectionError: ")
    with pytest.raises(QuotaStorageError):
        quota_state(app, "quota-no-storage")


@pytest.mark.redis
def test_a_storage_that_goes_away_refuses_every_call(
    open_app: OpenApp, make_client: MakeClient, enrol_client: Enrol, disposable_redis: Any
) -> None:
    app = open_app(quota_storage=disposable_redis.url)
    http = make_client(app, enrol_client("quota-storage-gone", quota=5))
    assert burst(http, 2) == [200, 200]
    disposable_redis.stop()
    answers = [http.get(SANTE) for _ in range(3)]
    assert [(r.status_code, r.json()["erreur"]["code"]) for r in answers] == [(503, "CAT001")] * 3


@pytest.mark.redis
@pytest.mark.tls
@pytest.mark.slow
def test_redis_lost_and_back_under_requests_is_logged_once_each_way(
    tmp_path: Path, disposable_redis: Any
) -> None:
    """A real `serve` on a real Redis, eight connections calling: Redis stops (every call 503
    `CAT001`), starts again on the same port (200 again). The server's log says so in two lines,
    whatever the number of calls refused in between (before, a line for each)."""
    served = served_state(tmp_path / "D", "redis-flap")
    paths, origin, creds, ctx = served.paths, served.origin, served.creds, served.ctx
    log = tmp_path / "serve.log"
    proc = spawn_serve(
        paths.root, served.port, log, "--quota-storage", disposable_redis.url, "--size", "100"
    )
    statuses: dict[str, list[int]] = {"up": [], "down": [], "back": []}
    try:
        _wait_ready(origin, proc, paths, log)

        async def calls(phase: str, token: str, n: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=origin, verify=ctx, timeout=30) as http:
                for _ in range(n):
                    r = await http.get(SANTE, headers={**headers, "X-Correlation-ID": str(uuid.uuid4())})  # fmt: skip
                    statuses[phase].append(r.status_code)
                    if r.status_code == 503:
                        assert r.json()["erreur"]["code"] == "CAT001"

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=origin, verify=ctx) as http:
                r = await http.post("/token", data={"grant_type": "client_credentials"},
                                    auth=(creds["client_id"], creds["client_secret"]))  # fmt: skip
                token = r.json()["access_token"]
            await asyncio.gather(*(calls("up", token, 10) for _ in range(8)))
            disposable_redis.stop()
            await asyncio.gather(*(calls("down", token, 25) for _ in range(8)))
            disposable_redis.start()
            await asyncio.gather(*(calls("back", token, 10) for _ in range(8)))

        asyncio.run(asyncio.wait_for(scenario(), timeout=120))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    assert statuses["up"] == [200] * 80
    assert statuses["down"] == [503] * 200
    assert statuses["back"][-40:] == [200] * 40  # the first may meet a stale connection
    text = log.read_text()
    assert "Traceback" not in text, text[:3000]
    said = [ln for ln in text.splitlines() if "quota storage" in ln]
    assert len(said) == 2, text[:3000]  # not one per refused call
    assert said[0].startswith("quota storage unreachable: ConnectionError: "), said
    assert said[1] == "quota storage back", said


def test_an_unknown_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported quota storage"):
        Quota("memcached://localhost", clock=SystemClock())


def test_quota_decisions(clock: SystemClock) -> None:
    async def hits() -> list[Any]:
        quota = Quota(clock=clock, default_quota=2)
        return [await quota.hit("x") for _ in range(3)]

    a, b, c = asyncio.run(hits())
    assert (a.allowed, a.remaining, b.allowed, b.remaining, c.allowed) == (True, 1, True, 0, False)
    assert c.retry_after == 60
    assert dict(c.headers())["Retry-After"] == "60"


@pytest.mark.redis
def test_the_redis_quota_follows_the_app_clock(fresh_redis_url: str, clock: SystemClock) -> None:
    async def scenario() -> None:
        q = Quota(fresh_redis_url, clock=clock, default_quota=3)
        try:
            assert [(await q.hit("bank-a")).allowed for _ in range(4)] == [True] * 3 + [False]
            clock.advance(timedelta(seconds=60))
            denied = await q.hit("bank-a")
            assert not denied.allowed and denied.retry_after == 1
            clock.advance(timedelta(milliseconds=1))
            assert (await q.hit("bank-a")).allowed
            state = await q.state("bank-a")
            assert (state["used"], state["remaining"], state["storage"]) == (1, 2, "redis")
            await q.reset("bank-a")
            assert (await q.state("bank-a"))["used"] == 0
        finally:
            await q.aclose()

    asyncio.run(scenario())


def test_a_high_quota_client_keeps_only_its_last_minute_in_memory(clock: SystemClock) -> None:
    """10^8 calls a minute allowed, 100 000 calls 10 ms apart: the window holds the last minute's
    6 000 and memory stays flat after the first minute (it grew by 32 B a call when the window
    kept every call up to the quota)."""
    import tracemalloc

    from ficoba_sandbox.gateway.quota import _ClockedMemoryStorage

    async def scenario() -> tuple[list[int], list[int]]:
        quota = Quota(clock=clock, default_quota=10**8)
        assert isinstance(quota.storage, _ClockedMemoryStorage)
        sizes, traced = [], []
        for i in range(100_000):
            assert (await quota.hit("big")).allowed
            clock.advance(timedelta(milliseconds=10))
            if i % 10_000 == 9_999:
                window = quota.storage._log[quota.key("big")]
                sizes.append(len(window.ts))
                traced.append(tracemalloc.get_traced_memory()[0])
        assert len(window) == 6001  # the calls of the last 60 s, both ends included
        return sizes, traced

    tracemalloc.start()
    try:
        sizes, traced = asyncio.run(scenario())
    finally:
        tracemalloc.stop()
    after_warm_up = sizes[1:]  # the first minute fills the window
    assert max(after_warm_up) <= 2 * 6001 + 1024, sizes  # the list compacts itself
    assert max(traced[1:]) - min(traced[1:]) < 256 * 1024, traced  # flat, not 32 B a call


@pytest.mark.redis
def test_a_high_quota_client_keeps_only_its_last_minute_in_redis(
    fresh_redis_url: str, clock: SystemClock
) -> None:
    """The Redis list of a client of 10^8 calls a minute holds the calls of the last minute, not
    every call up to the quota."""
    import redis

    async def scenario() -> list[int]:
        q = Quota(fresh_redis_url, clock=clock, default_quota=10**8)
        key: str = q.storage.bridge.prefixed_key(q.key("big"))  # type: ignore[union-attr]
        lengths = []
        try:
            with redis.Redis.from_url(fresh_redis_url) as r:
                for i in range(3_000):
                    assert (await q.hit("big")).allowed
                    clock.advance(timedelta(milliseconds=100))
                    if i % 500 == 499:
                        lengths.append(int(r.llen(key)))
            state = await q.state("big")
            assert state["used"] == 600  # the calls of the last 60 s
        finally:
            await q.aclose()
        return lengths

    lengths = asyncio.run(scenario())
    assert lengths[0] == 500
    assert all(n <= 601 for n in lengths[1:]), lengths


# --- replicas: one quota through Redis ----------------------------------------------------------


@pytest.mark.redis
def test_two_apps_on_one_redis_share_one_quota(
    open_app: OpenApp,
    make_client: MakeClient,
    enrol_client: Enrol,
    fresh_redis_url: str,
    clock: SystemClock,
) -> None:
    a = open_app(clock=clock, quota_storage=fresh_redis_url)
    b = open_app(clock=clock, quota_storage=fresh_redis_url)
    creds = enrol_client("quota-shared", quota=10)
    via_a = make_client(a, creds)
    via_b = make_client(b, creds, token=False)
    via_b.headers["Authorization"] = via_a.headers["Authorization"]  # good on either replica
    answers = [(via_b if i % 2 else via_a).get(SANTE) for i in range(15)]
    assert [r.status_code for r in answers] == [200] * 10 + [429] * 5
    assert [remaining(r) for r in answers[:10]] == list(range(9, -1, -1))
    assert burst(make_client(b, enrol_client("quota-shared-other", quota=10)), 1) == [200]
    # a reset on one replica is seen by the other
    run_on_asgi_loop(a.sandbox.levels.reset_quota("quota-shared"))
    assert burst(via_b, 1) == [200]
    state = quota_state(b, "quota-shared")
    assert (state["used"], state["remaining"], state["storage"]) == (1, 9, "redis")


def _wait_ready(origin: str, proc: subprocess.Popen[bytes], paths: PkiPaths, log: Path) -> None:
    demo = paths.root / "clients"
    ctx = client_ssl_context(paths.ca_cert, demo / "demo-client.pem", demo / "demo-client.key")
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(origin + SANTE, verify=ctx, timeout=2)
            return  # any HTTP answer (401: no token) means it listens
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"`serve` on {origin} did not start:\n{log.read_text()}"
                ) from None
            time.sleep(0.2)


@pytest.fixture
def replicas(tmp_path: Path, fresh_redis_url: str) -> Iterator[tuple[list[str], PkiPaths]]:
    """Two `ficoba-sandbox serve` processes on one state directory and one Redis, each its own
    mutual-TLS listener and admin port; stopped at the end of the test."""
    paths, _ = ensure_pki(tmp_path / "D")
    ensure_demo_client(paths, public_origin("127.0.0.1", 8443))
    procs: list[subprocess.Popen[bytes]] = []
    origins: list[str] = []
    try:
        for i in range(2):  # one after the other: the first builds the dataset cache
            port, log = free_port(), tmp_path / f"serve-{i}.log"
            procs.append(
                spawn_serve(
                    paths.root,
                    port,
                    log,
                    *("--quota-storage", fresh_redis_url),
                    *("--size", "100", "--log-level", "warning"),
                )
            )
            origin = public_origin("127.0.0.1", port)
            _wait_ready(origin, procs[-1], paths, log)
            origins.append(origin)
        yield origins, paths
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.mark.redis
@pytest.mark.tls
@pytest.mark.slow
def test_two_serve_processes_on_one_redis_share_one_quota(
    replicas: tuple[list[str], PkiPaths],
) -> None:
    (a, b), paths = replicas
    sequential = enrol(paths, ClientSpec("replica-seq", quota=20), a)
    concurrent = enrol(paths, ClientSpec("replica-burst", quota=20), a)

    def client(creds: dict[str, Any], origin: str) -> httpx.AsyncClient:
        ctx = client_ssl_context(paths.ca_cert, Path(creds["cert"]), Path(creds["key"]))
        return httpx.AsyncClient(verify=ctx, timeout=30, base_url=origin)

    async def token(http: httpx.AsyncClient, creds: dict[str, Any]) -> dict[str, str]:
        data = {"grant_type": "client_credentials"}
        r = await http.post("/token", data=data, auth=(creds["client_id"], creds["client_secret"]))
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def get(http: httpx.AsyncClient, auth: dict[str, str]) -> httpx.Response:
        return await http.get(SANTE, headers={**auth, "X-Correlation-ID": str(uuid.uuid4())})

    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response], list[Any]]:
        async with (
            client(sequential, a) as sa,
            client(sequential, b) as sb,
            client(concurrent, a) as ca,
            client(concurrent, b) as cb,
        ):
            auth = await token(sa, sequential)  # issued by A, accepted by B
            first = [await get(sa, auth) for _ in range(15)]
            second = [await get(sb, auth) for _ in range(15)]
            auth = await token(cb, concurrent)
            together = await asyncio.gather(*(get(ca if i % 2 else cb, auth) for i in range(50)))
            return first, second, list(together)

    first, second, together = asyncio.run(asyncio.wait_for(scenario(), timeout=120))
    assert [r.status_code for r in first] == [200] * 15
    # what A admitted is gone from B's share
    assert [r.status_code for r in second] == [200] * 5 + [429] * 10
    assert second[4].headers["RateLimit"].startswith('"default";r=0;')
    statuses = [r.status_code for r in together]
    assert statuses.count(200) == 20, statuses  # the Lua script counts exactly
    assert statuses.count(429) == 30
    refused = next(r for r in together if r.status_code == 429)
    assert refused.json()["erreur"]["code"] == "900804"
    assert refused.headers["RateLimit-Policy"] == '"default";q=20;w=60'
    assert int(refused.headers["Retry-After"]) >= 1


# --- the in-memory window against the list `limits` keeps (newest first, trimmed to the quota,
# filtered on read, and trimmed of the calls that left the window at each admission): same
# answers, the clock going back included ----------------------------------------------------------


class Reference:
    """The original algorithm (a newest-first list per key), bounded by time: an admission also
    drops, from the oldest end, the calls older than the window (docs/quota.md)."""

    def __init__(self) -> None:
        self.log: list[float] = []

    def acquire(self, now: float, limit: int, expiry: int, amount: int) -> bool:
        if amount > limit:
            return False
        if len(self.log) > limit - amount and self.log[limit - amount] >= now - expiry:
            return False
        self.log[:0] = [now] * amount
        del self.log[limit:]
        while self.log[-1] < now - expiry:
            self.log.pop()
        return True

    def window(self, now: float, limit: int, expiry: int) -> tuple[float, int]:
        inside = [t for t in self.log[:limit] if t >= now - expiry]
        return (inside[-1], len(inside)) if inside else (now, 0)


def acquire(w: _Window, now: float, limit: int, expiry: int, amount: int) -> bool:
    if amount > limit:
        return False
    if len(w) > limit - amount and w.nth_newest(limit - amount) >= now - expiry:
        return False
    w.add(now, amount, limit, expiry)
    return True


def window(w: _Window, now: float, limit: int, expiry: int) -> tuple[float, int]:
    start, count = w.inside(now - expiry, limit)
    return (now, 0) if start is None else (start, count)


@pytest.mark.parametrize("seed", range(12))
def test_same_answers_as_the_list(seed: int) -> None:
    rng = random.Random(seed)
    ref, w = Reference(), _Window()
    now = 1_000_000.0
    limits = [3, 50, 2000] if seed % 3 else [rng.randint(1, 40)]
    for _ in range(6000):
        r = rng.random()
        if r < 0.02:
            now -= rng.uniform(0, 90)  # the injectable clock goes back
        elif r < 0.6:
            now += rng.choice([0.0, 0.001, 0.01, 0.5, 5.0, 30.0])
        limit = rng.choice(limits)
        amount = 1 if rng.random() < 0.95 else rng.randint(1, 4)
        assert acquire(w, now, limit, 60, amount) == ref.acquire(now, limit, 60, amount)
        probe = now + rng.choice([0.0, 0.0, 1.0, 59.9, 60.0, 61.0])
        assert window(w, probe, limit, 60) == ref.window(probe, limit, 60)


@pytest.mark.parametrize("seed", range(4))
def test_take_is_acquire_then_window(seed: int) -> None:
    """`_ClockedMemoryStorage.take` (what `Quota.hit` calls in process) answers what the two
    `limits` calls it replaces answer, at the same instants, the clock going back included."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from ficoba_sandbox.gateway.quota import _ClockedMemoryStorage

    class Clock:
        at = datetime(2026, 1, 1, tzinfo=UTC)

        def now(self) -> datetime:
            return self.at

    rng = random.Random(seed)
    clock = Clock()
    fast, slow = _ClockedMemoryStorage(clock), _ClockedMemoryStorage(clock)
    limits = [1, 3, 50] if seed % 2 else [rng.randint(1, 20)]

    async def run() -> None:
        for _ in range(3000):
            r = rng.random()
            if r < 0.02:
                clock.at -= timedelta(seconds=rng.uniform(0, 90))
            elif r < 0.6:
                clock.at += timedelta(seconds=rng.choice([0.0, 0.001, 0.5, 5.0, 30.0]))
            limit, key = rng.choice(limits), rng.choice(["a", "b"])
            allowed = await slow.acquire_entry(key, limit, 60)
            start, count = await slow.get_moving_window(key, limit, 60)
            assert fast.take(key, limit, 60) == (allowed, start, count, clock.at.timestamp())

    asyncio.run(run())
