"""Two real `ficoba-sandbox serve` processes (mutual TLS) on one real Redis share one quota."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from quota_helpers import free_port

from ficoba_sandbox.gateway.clients import ClientSpec, enrol, ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import PkiPaths, client_ssl_context, ensure_pki

pytestmark = [pytest.mark.redis, pytest.mark.tls, pytest.mark.slow]

SANTE = "/ficoba-api/v2/etatSante"


def _wait_ready(origin: str, proc: subprocess.Popen[bytes], paths: PkiPaths) -> None:
    demo = paths.root / "clients"
    ctx = client_ssl_context(paths.ca_cert, demo / "demo-client.pem", demo / "demo-client.key")
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(origin + SANTE, verify=ctx, timeout=2)
            return  # any HTTP answer (401 without a token) means it is up
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`serve` on {origin} did not start") from None
            time.sleep(0.2)


@pytest.fixture
def replicas(tmp_path: Path, fresh_redis_url: str) -> Iterator[tuple[list[str], PkiPaths]]:
    paths, _ = ensure_pki(tmp_path / "D")
    ensure_demo_client(paths, public_origin("127.0.0.1", 8443))
    procs: list[subprocess.Popen[bytes]] = []
    origins: list[str] = []
    env = {**os.environ, "FICOBA_SANDBOX_QUOTA_STORAGE": fresh_redis_url}
    try:
        for _ in range(2):  # one after the other: the first builds the dataset cache
            port = free_port()
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(paths.root)),
                    *("--port", str(port), "--admin-port", str(free_port())),
                    *("--size", "100", "--log-level", "warning"),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(proc)
            origin = public_origin("127.0.0.1", port)
            _wait_ready(origin, proc, paths)
            origins.append(origin)
        yield origins, paths
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _client(paths: PkiPaths, creds: dict[str, Any], origin: str) -> httpx.AsyncClient:
    ctx = client_ssl_context(paths.ca_cert, Path(creds["cert"]), Path(creds["key"]))
    return httpx.AsyncClient(verify=ctx, timeout=20, base_url=origin)


async def _token(c: httpx.AsyncClient, creds: dict[str, Any]) -> str:
    r = await c.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_two_serve_processes_on_one_redis_share_the_quota(
    replicas: tuple[list[str], PkiPaths],
) -> None:
    (a, b), paths = replicas
    seq = enrol(paths, ClientSpec("replica-seq", quota=20), a)
    burst = enrol(paths, ClientSpec("replica-burst", quota=20), a)

    async def scenario() -> tuple[list[int], list[int], list[httpx.Response]]:
        async with (
            _client(paths, seq, a) as sa,
            _client(paths, seq, b) as sb,
            _client(paths, burst, a) as ba,
            _client(paths, burst, b) as bb,
        ):
            tok = await _token(sa, seq)  # a token from one replica is good on the other
            hdr = {"Authorization": f"Bearer {tok}"}

            async def get(c: httpx.AsyncClient, h: dict[str, str]) -> httpx.Response:
                return await c.get(SANTE, headers={**h, "X-Correlation-ID": str(uuid.uuid4())})

            first = [(await get(sa, hdr)).status_code for _ in range(15)]
            second = [(await get(sb, hdr)).status_code for _ in range(15)]
            btok = {"Authorization": f"Bearer {await _token(bb, burst)}"}
            together = await asyncio.gather(*(get(ba if i % 2 else bb, btok) for i in range(50)))
            return first, second, list(together)

    first, second, together = asyncio.run(scenario())
    assert first == [200] * 15
    assert second == [200] * 5 + [429] * 10
    statuses = [r.status_code for r in together]
    assert statuses.count(200) == 20, statuses
    assert statuses.count(429) == 30
    refused = next(r for r in together if r.status_code == 429)
    assert refused.json()["erreur"]["code"] == "900804"
    assert refused.headers["RateLimit-Policy"] == '"default";q=20;w=60'
    assert int(refused.headers["Retry-After"]) >= 1
