"""Shared counters: `--quota-storage redis://...` on a real redis-server.

Two app instances in one process, then two uvicorn processes, share one quota per client.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from quota_helpers import free_port
from quota_stub_app import PREFIX, build

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.quota import Quota
from ficoba_sandbox.settings import Settings

pytestmark = [pytest.mark.redis, pytest.mark.anyio]


def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox")


async def _call(c: httpx.AsyncClient, client_id: str) -> int:
    r = await c.post(
        f"{PREFIX}/comptes/numCpte", json={}, headers={"Authorization": f"Bearer {client_id}"}
    )
    return r.status_code


async def test_redis_quota_follows_the_app_clock(fresh_redis_url: str, clock: SystemClock) -> None:
    q = Quota(fresh_redis_url, clock=clock, default_quota=3)
    try:
        assert [(await q.hit("bank-a")).allowed for _ in range(4)] == [True, True, True, False]
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
        await q.storage.bridge.storage.aclose()  # type: ignore[union-attr]


async def test_two_app_instances_share_one_quota(fresh_redis_url: str, clock: SystemClock) -> None:
    settings = Settings(quota_storage=fresh_redis_url)
    app_a, levels_a = build(settings, clock=clock)
    app_b, levels_b = build(settings, clock=clock)
    try:
        async with _client(app_a) as a, _client(app_b) as b:
            statuses = []
            for i in range(300):
                statuses.append(await _call(a if i % 2 else b, "bank-a"))
            assert statuses.count(200) == 200
            assert statuses[:200] == [200] * 200 and set(statuses[200:]) == {429}
            assert await _call(a, "bank-b") == 200  # another client has its own quota
            # a reset on one replica is seen by the other
            await levels_a.reset_quota("bank-a")
            assert await _call(b, "bank-a") == 200
            assert (await levels_b.quota_state("bank-a"))["used"] == 1
    finally:
        await levels_a.aclose()
        await levels_b.aclose()


@pytest.fixture
def two_servers(fresh_redis_url: str) -> Iterator[list[str]]:
    """Two `uvicorn` processes of the stand-in app, on one Redis, quota 50/min."""
    here = Path(__file__).parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")]),
        "FICOBA_SANDBOX_QUOTA_STORAGE": fresh_redis_url,
        "FICOBA_SANDBOX_DEFAULT_QUOTA": "50",
    }
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--factory", "quota_stub_app:factory"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ],
            env=env,
            cwd=here,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 20
        for url, proc in zip(urls, procs, strict=True):
            while True:
                try:
                    httpx.get(f"{url}{PREFIX}/etatSante", timeout=1)
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"server {url} did not start") from None
                    time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def test_two_processes_on_one_redis_admit_at_most_the_quota_together(
    two_servers: list[str],
) -> None:
    a, b = two_servers
    async with httpx.AsyncClient(timeout=10) as c:

        async def call(url: str, client_id: str) -> httpx.Response:
            return await c.post(
                f"{url}{PREFIX}/comptes/numCpte",
                json={},
                headers={"Authorization": f"Bearer {client_id}"},
            )

        # One after the other: what process A admitted is gone from process B's share.
        first = [(await call(a, "bank-a")).status_code for _ in range(30)]
        second = [(await call(b, "bank-a")).status_code for _ in range(30)]
        # All at once, half to each process: the Lua script keeps the count exact.
        results = await asyncio.gather(*(call(two_servers[i % 2], "bank-c") for i in range(120)))
        other = await call(b, "bank-b")

    assert first == [200] * 30
    assert second == [200] * 20 + [429] * 10
    statuses = [r.status_code for r in results]
    assert statuses.count(200) == 50, statuses
    assert statuses.count(429) == 70
    refused = next(r for r in results if r.status_code == 429)
    assert refused.json()["erreur"]["code"] == "900804"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Policy"] == '"default";q=50;w=60'
    assert other.status_code == 200
