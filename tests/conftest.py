"""Shared fixtures: a sandbox state directory, the app, an authenticated client, a real listener.

- `sandbox_dir` (session): a temporary `D` after `init` (CA, server certificate, token key, demo
  client). `demo_creds`: the content of `D/demo-client.json`.
- `settings` (session): `Settings(state_dir=sandbox_dir, size=500)`.
- `make_app(**settings_overrides, clock=None, store=None)`: a new app (`create_app`).
- `app` (session): one app on `settings`; its state is `app.sandbox` (clock, journal...).
- `open_app(clock=None, **settings_overrides)`: `make_app`'s app, closed after the test.
- At the end of the session, the secret sweep (`tests/secret_sweep.py`) searches everything the
  suite produced for every secret it created, and fails the session if it finds one.
- Helpers live in `tests/gateway_support.py` (import it as `gateway_support`, not `conftest`).
- `make_client(app, creds=..., token=True, scope=None, correlation=True, client_ip=...)`: an
  `httpx.Client` over `httpx.ASGITransport` (run on one background event loop, so the app's
  loop-bound state stays valid across requests) that injects the client certificate into
  `scope["extensions"]["tls"]`, carries a bearer token fetched from `/token` and adds a fresh
  `X-Correlation-ID` to every request that has none.
- `client`: `make_client(app)` for the demo client (function scope: a fresh token each test).
- `enrol_client(client_id, **ClientSpec fields)`: register another client in `sandbox_dir`, returns
  its credentials dict.
- `qa_server` (session): the API and the admin plane of one app on real listeners (`QAServer`:
  `.origin`, `.admin_url`, `.admin_headers` (its token), `.target()` for the replay runner).
- `tls_server` (session): a real uvicorn listener on 127.0.0.1 (our TLS protocol class,
  CERT_REQUIRED) on its own app; `.origin`, `.base_url`, `.token_url`, `.dir`, `.demo`, `.app`,
  and `.ssl_context(creds)` (httpx 0.28: pass an SSLContext as `verify=`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest

from ficoba_sandbox.admin import create_admin_app
from ficoba_sandbox.app import SandboxApp, create_app
from ficoba_sandbox.gateway.clients import ClientSpec, enrol, ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import PkiPaths, ensure_pki
from ficoba_sandbox.settings import Settings
from gateway_support import (
    InjectTLS,
    QAServer,
    SyncASGITransport,
    TLSServer,
    fetch_token,
    free_port,
    make_client_for,
    run_on_asgi_loop,
    run_tls_server,
    running_qa_server,
)

#: the secret sweep (tests/secret_sweep.py): no secret of the suite in what the suite produced
pytest_plugins = ("secret_sweep",)

__all__ = [
    "InjectTLS",
    "QAServer",
    "SyncASGITransport",
    "TLSServer",
    "fetch_token",
    "free_port",
    "make_client_for",
    "run_tls_server",
]

# Property-based tests: no per-example deadline, the machines that run the suite are shared and
# their timings noisy (a slow example is no failure of the property). Under CI=true the examples
# are derived from each test (derandomize): CI reruns the same examples, so a red run is the code's
# doing and replays as it was; a developer's runs keep exploring new ones.
hypothesis.settings.register_profile("suite", deadline=None, print_blob=True)
hypothesis.settings.register_profile("ci", parent=hypothesis.settings.get_profile("suite"),
                                     derandomize=True)  # fmt: skip
hypothesis.settings.load_profile(
    "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "suite"
)

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


@pytest.fixture(scope="session")
def make_app(settings: Settings) -> Callable[..., Any]:
    def _make(*, clock: Any = None, store: Any = None, **overrides: Any) -> Any:
        s = settings.model_copy(update=overrides) if overrides else settings
        return create_app(s, clock=clock, store=store)

    return _make


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def open_app(make_app: Callable[..., SandboxApp]) -> Iterator[Callable[..., SandboxApp]]:
    """`open_app(clock=..., **settings_overrides)`: `make_app`'s app, whose journal and quota
    storage connections are closed after the test, on the loop its ASGI clients used."""
    apps: list[SandboxApp] = []

    def _open(**kw: Any) -> SandboxApp:
        apps.append(make_app(**kw))
        return apps[-1]

    yield _open
    for app in apps:
        run_on_asgi_loop(app.sandbox.aclose())


# --------------------------------------------------------------------------- ASGI clients


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


@pytest.fixture(scope="session")
def tls_server(settings: Settings, demo_creds: dict[str, Any]) -> Iterator[TLSServer]:
    s = settings.model_copy(update={"host": "127.0.0.1", "port": free_port()})
    app = create_app(s)
    with run_tls_server(s, app) as origin:
        yield TLSServer(origin=origin, dir=Path(s.state_dir), demo=demo_creds, app=app, settings=s)


@pytest.fixture(scope="session")
def qa_server(settings: Settings, demo_creds: dict[str, Any]) -> Iterator[QAServer]:
    """The QA toolkit's sandbox: its own app (own clock, faults, maintenance state) on the
    session's state directory, so packs that move the clock or force maintenance cannot disturb
    other tests' servers; the admin plane on its own listener."""
    with running_qa_server(settings, demo_creds) as server:
        yield server


ADMIN_TOKEN = "test-admin-token"  # the admin plane of `admin_of` only


@pytest.fixture
def admin_of() -> Iterator[Callable[[SandboxApp], httpx.Client]]:
    clients: list[httpx.Client] = []

    def _of(app: SandboxApp) -> httpx.Client:
        settings = app.sandbox.settings.model_copy(update={"admin_token": ADMIN_TOKEN})
        admin = create_admin_app(app.sandbox, settings)  # in process, on the app's sandbox
        clients.append(
            httpx.Client(
                transport=SyncASGITransport(admin),
                base_url="http://admin",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
        )
        return clients[-1]

    yield _of
    for client in clients:
        client.close()
