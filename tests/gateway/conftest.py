"""Gateway test fixtures.

- `gw_app`, `make_gw_app`: the real app, whose pipeline serves one more resource, `probe`, that
  answers what the gateway's steps established (the caller, the ids, the peer).
- `open_app` (tests/conftest.py): the real app (`make_app`), closed after the test.
- `search_body(creds, resource, **fields)`: a `numCpte` or `spi` request the backend answers 200.
- `redis_url` (session): a throwaway real `redis-server` on loopback; `fresh_redis_url`: the same,
  emptied; `disposable_redis`: one of the test's own, which it may stop (`.stop()`) and start
  again on the same port (`.start()`).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis

from ficoba_sandbox.api.call import Answer, Call, Resource
from ficoba_sandbox.api.pipeline import Pipeline
from ficoba_sandbox.api.resources import BACKEND_PREFIX, PREFIXES
from ficoba_sandbox.app import SandboxApp, create_app
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.qa import magic
from ficoba_sandbox.settings import Settings
from gateway_support import envelope, free_port
from system_deps import skip_or_fail


class ProbePipeline(Pipeline):
    """The app's pipeline, every step real, with a GET `probe` under both prefixes and at
    `/elsewhere` (a path outside the prefixes: the gateway protects it too)."""

    def __init__(self, app: SandboxApp) -> None:
        super().__init__(app.sandbox, app.serve_documentation)
        for prefix in PREFIXES:
            self.resources[f"{prefix}/probe"] = Resource(
                "probe", "GET", backend_prefix=prefix == BACKEND_PREFIX
            )
        self.resources["/elsewhere"] = Resource("probe", "GET")

    async def resource(self, call: Call) -> None:
        if call.resource is None or call.resource.name != "probe":
            await super().resource(call)
            return
        caller = call.caller
        assert caller is not None
        body = orjson.dumps(
            {
                "client_id": caller.client_id,
                "modalities": sorted(caller.modalities),
                "scopes": sorted(caller.scopes),
                "sirets": sorted(caller.sirets),
                "sirens": sorted(caller.sirens),
                "motifs": {m: sorted(t) for m, t in caller.motifs.items()},
                "correlation_id": call.correlation_id,
                "request_id": call.request_id,
                "peer_ip": call.peer.ip,
                "tls": call.peer.cert_der is not None and not call.peer.via_proxy,
            }
        )
        call.answer = Answer(
            200,
            body,
            [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        )


def probe_app(settings: Settings, clock: Any = None) -> SandboxApp:
    app = create_app(settings, clock=clock or SystemClock())
    app.pipeline = ProbePipeline(app)
    return app


@pytest.fixture
def clock() -> SystemClock:
    c = SystemClock()
    c.freeze()
    return c


@pytest.fixture
def gw_app(settings: Settings, clock: SystemClock) -> SandboxApp:
    return probe_app(settings, clock)


@pytest.fixture
def make_gw_app(settings: Settings, clock: SystemClock) -> Any:
    """`make_gw_app(**settings_overrides)`: a probe app on modified settings."""

    def _make(**overrides: Any) -> SandboxApp:
        return probe_app(settings.model_copy(update=overrides), clock)

    return _make


#: at most ten years before the clocks of these tests and never after them (CAF033, CAF024)
DATE_DEMANDE = "2025-12-01"
#: the magic closed account and its holder's SPI (qa/magic.py): found, whatever the dataset
CRITERES = {
    "numCpte": {"iban": magic.IBAN_CLOSED, "verificationCompte": "0"},
    "spi": {"numeroSPI": magic.SPI_CLOSED},
}


@pytest.fixture(scope="session")
def search_body() -> Callable[..., dict[str, Any]]:
    """`search_body(creds, "numCpte" | "spi", **fields)`: a request of the client `creds`
    (its first motif, its SIRET) the backend answers 200; `fields` replace the envelope's."""

    def _body(creds: dict[str, Any], resource: str, **fields: Any) -> dict[str, Any]:
        return envelope(creds, CRITERES[resource], **{"dateDemande": DATE_DEMANDE, **fields})

    return _body


# --------------------------------------------------------------------------- Redis


class RedisServer:
    """A throwaway `redis-server` on a free loopback port, without persistence."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            skip_or_fail("redis-server is not installed (.ci/install-system-deps installs it)")
        self.binary, self.workdir, self.port = str(binary), workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        """Start it (again, after `stop()`: same port, empty)."""
        self.proc = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_ready(self.port)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit code {self.proc.poll()})")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.fixture
def fresh_redis_url(redis_url: str) -> str:
    """The session's Redis, emptied."""
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    return redis_url


@pytest.fixture
def disposable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.stop()
