"""Shared fixtures: a sandbox state directory, the app, an authenticated client, a real listener.

- `sandbox_dir` (session): a temporary `D` after `init` (CA, server certificate, token key, demo
  client). `demo_creds`: the content of `D/demo-client.json`.
- `settings` (session): `Settings(state_dir=sandbox_dir, size=500)`.
- `make_app(**settings_overrides, clock=None, store=None)`: a new app (`create_app` when
  `ficoba_sandbox.app` provides it, else the gateway alone on a bare FastAPI app).
- `app` (session): one app on `settings`; its clock is `app.state.clock`.
- `make_client(app, creds=..., token=True, scope=None, correlation=True, client_ip=...)`: an
  `httpx.Client` over `httpx.ASGITransport` (run on one background event loop, so the app's
  loop-bound state stays valid across requests) that injects the client certificate into
  `scope["extensions"]["tls"]`, carries a bearer token fetched from `/token` and adds a fresh
  `X-Correlation-ID` to every request that has none.
- `client`: `make_client(app)` for the demo client (function scope: a fresh token each test).
- `enrol(client_id, **ClientSpec fields)`: register another client in `sandbox_dir`, returns
  its credentials dict.
- `tls_server` (session): a real uvicorn listener on 127.0.0.1 (our TLS protocol class,
  CERT_REQUIRED) on its own app; `.origin`, `.base_url`, `.token_url`, `.dir`, `.demo`, `.app`,
  and `.ssl_context(creds)` (httpx 0.28: pass an SSLContext as `verify=`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.gateway.clients import ClientSpec, enrol, ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import PkiPaths, client_ssl_context, ensure_pki
from ficoba_sandbox.settings import Settings

TEST_SIZE = 500


# --------------------------------------------------------------------------- state directory


@pytest.fixture(scope="session")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sandbox")
    paths, _ = ensure_pki(root)
    ensure_demo_client(paths, public_origin("127.0.0.1", 8443))
    return paths.root


@pytest.fixture(scope="session")
def demo_creds(sandbox_dir: Path) -> dict[str, Any]:
    return json.loads((sandbox_dir / "demo-client.json").read_text())


@pytest.fixture(scope="session")
def enrol_client(sandbox_dir: Path) -> Callable[..., dict[str, Any]]:
    """`enrol_client("id", scopes=[...], modalities=[...], ...)` -> credentials (replaces)."""

    def _enrol(client_id: str, **fields: Any) -> dict[str, Any]:
        spec = ClientSpec(client_id=client_id, **fields)
        return enrol(PkiPaths(sandbox_dir), spec, public_origin("127.0.0.1", 8443), replace=True)

    return _enrol


# --------------------------------------------------------------------------- apps


@pytest.fixture(scope="session")
def settings(sandbox_dir: Path) -> Settings:
    return Settings(state_dir=sandbox_dir, size=TEST_SIZE)


def build_app(settings: Settings, *, clock: Any = None, store: Any = None) -> Any:
    try:
        from ficoba_sandbox.app import create_app  # type: ignore[attr-defined]
    except ImportError:
        create_app = None
    if create_app is not None:
        kwargs: dict[str, Any] = {}
        if clock is not None:
            kwargs["clock"] = clock
        if store is not None:
            kwargs["store"] = store
        app = create_app(settings, **kwargs)
    else:
        from fastapi import FastAPI

        app = FastAPI()
        if clock is not None:
            app.state.clock = clock
    if getattr(app.state, "gateway", None) is None:
        from ficoba_sandbox.api.gateway import install_gateway

        install_gateway(app, settings)
    return app


@pytest.fixture(scope="session")
def make_app(settings: Settings) -> Callable[..., Any]:
    def _make(*, clock: Any = None, store: Any = None, **overrides: Any) -> Any:
        s = settings.model_copy(update=overrides) if overrides else settings
        return build_app(s, clock=clock, store=store)

    return _make


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


# --------------------------------------------------------------------------- ASGI clients


class InjectTLS:
    """Test-only ASGI wrapper: what our uvicorn protocol class does on a real TLS connection."""

    def __init__(self, app: Any, cert_pem: str | None) -> None:
        self.app = app
        self.cert_pem = cert_pem

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope)
            scope["extensions"] = {
                **(scope.get("extensions") or {}),
                "tls": {
                    "server_cert": None,
                    "client_cert_chain": [self.cert_pem] if self.cert_pem else [],
                    "client_cert_name": None,
                    "client_cert_error": None,
                    "tls_version": "TLSv1.3",
                    "cipher_suite": None,
                },
            }
        await self.app(scope, receive, send)


class _Loop:
    """One event loop in a daemon thread, shared by every sync ASGI client of the session."""

    _loop: asyncio.AbstractEventLoop | None = None
    _lock = threading.Lock()

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="asgi-loop", daemon=True).start()
                cls._loop = loop
            return cls._loop


class SyncASGITransport(httpx.BaseTransport):
    """`httpx.ASGITransport` for a sync `httpx.Client` (Starlette's TestClient wants httpx2)."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._transport = httpx.ASGITransport(app=app, client=client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def run() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._transport.handle_async_request(request)
            body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers.raw, body

        future = asyncio.run_coroutine_threadsafe(run(), _Loop.get())
        status, headers, body = future.result(timeout=60)
        return httpx.Response(status, headers=headers, content=body, request=request)


def fetch_token(http: httpx.Client, creds: dict[str, Any], scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    r = http.post("/token", data=data, auth=(creds["client_id"], creds["client_secret"]))
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _add_correlation_id(request: httpx.Request) -> None:
    if "x-correlation-id" not in request.headers:
        request.headers["X-Correlation-ID"] = str(uuid.uuid4())


def make_client_for(
    app: Any,
    creds: dict[str, Any] | None,
    *,
    token: bool = True,
    scope: str | None = None,
    correlation: bool = True,
    client_ip: str = "127.0.0.1",
    cert_pem: str | None = None,
) -> httpx.Client:
    """An httpx.Client over ASGI presenting `creds`' certificate (or `cert_pem`)."""
    if cert_pem is None and creds is not None:
        cert_pem = Path(creds["cert"]).read_text()
    http = httpx.Client(
        transport=SyncASGITransport(InjectTLS(app, cert_pem), client=(client_ip, 50000)),
        base_url="https://localhost",
        event_hooks={"request": [_add_correlation_id] if correlation else []},
    )
    if token and creds is not None:
        http.headers["Authorization"] = f"Bearer {fetch_token(http, creds, scope)}"
    return http


@pytest.fixture
def make_client(demo_creds: dict[str, Any]) -> Callable[..., httpx.Client]:
    def _make(app: Any, creds: dict[str, Any] | None = None, **kw: Any) -> httpx.Client:
        return make_client_for(app, creds if creds is not None else demo_creds, **kw)

    return _make


@pytest.fixture
def client(app: Any, demo_creds: dict[str, Any]) -> Iterator[httpx.Client]:
    http = make_client_for(app, demo_creds)
    yield http
    http.close()


# --------------------------------------------------------------------------- real TLS listener


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class TLSServer:
    origin: str
    dir: Path
    demo: dict[str, Any]
    app: Any
    settings: Settings

    @property
    def base_url(self) -> str:
        return f"{self.origin}/ficoba-api/v2"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/token"

    def ssl_context(self, creds: dict[str, Any] | None = None) -> ssl.SSLContext:
        """Trusts the sandbox CA; presents `creds`' certificate (none if `creds` is None)."""
        ca = self.dir / "pki" / "ca.pem"
        if creds is None:
            return ssl.create_default_context(cafile=str(ca))
        return client_ssl_context(ca, Path(creds["cert"]), Path(creds["key"]))

    def http(self, creds: dict[str, Any] | None = None, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.origin, verify=self.ssl_context(creds), **kw)


@contextlib.contextmanager
def run_tls_server(settings: Settings, app: Any) -> Iterator[str]:
    import uvicorn

    from ficoba_sandbox.cli.serve import uvicorn_config

    paths, _ = ensure_pki(settings.state_dir)
    config = uvicorn_config(app, settings, paths, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="tls-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the TLS server did not start")
        time.sleep(0.02)
    try:
        yield public_origin(settings.host, settings.port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def tls_server(settings: Settings, demo_creds: dict[str, Any]) -> Iterator[TLSServer]:
    s = settings.model_copy(update={"host": "127.0.0.1", "port": free_port()})
    app = build_app(s)
    with run_tls_server(s, app) as origin:
        yield TLSServer(origin=origin, dir=Path(s.state_dir), demo=demo_creds, app=app, settings=s)
