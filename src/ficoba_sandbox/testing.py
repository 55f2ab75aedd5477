"""`ficoba_sandbox.testing`: the sandbox inside an integrator's own test suite, no Docker.

A pytest plugin (registered by the `pytest11` entry point: installing the package is enough)
giving a session-scoped fixture `ficoba_sandbox`: a real server (mutual TLS, real OAuth2 tokens,
the real pipeline) on a free loopback port, with a temporary PKI and a small dataset::

    def test_my_client(ficoba_sandbox):
        r = ficoba_sandbox.client.post("/comptes/numCpte", json={...})   # token + cert + X-Correlation-ID
        assert r.status_code == 200

        my_client = MyFicobaClient(                      # or configure your own client
            base_url=ficoba_sandbox.base_url,            # https://localhost:PORT/ficoba-api/v2
            token_url=ficoba_sandbox.token_url,          # https://localhost:PORT/token
            ca=ficoba_sandbox.ca, cert=ficoba_sandbox.cert, key=ficoba_sandbox.key,
            client_id=ficoba_sandbox.client_id, client_secret=ficoba_sandbox.client_secret,
        )

The admin plane (`ficoba_sandbox.admin_url`, its token `ficoba_sandbox.admin_token`) drives the
sandbox from a test: `ficoba_sandbox.admin().post("/__sandbox/clock/advance", json={"duration":
"2h"})` (a client that sends the token).

Configuration (pytest.ini / pyproject `[tool.pytest.ini_options]`, or the command line):
`ficoba_sandbox_size` / `--ficoba-sandbox-size` (natural persons generated, default 500; the
protocol personas are always there), `ficoba_sandbox_seed` / `--ficoba-sandbox-seed` (default 42).
Any other setting comes from the `FICOBA_SANDBOX_<NAME>` environment variables, as for `serve`
(the state directory, host and ports are always the fixture's own). The dataset is cached in
pytest's cache directory (`.pytest_cache/d/ficoba-sandbox`), so later runs start faster.

Outside pytest: `with run_sandbox(directory, size=500) as sandbox: ...` gives the same object.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from ficoba_sandbox.settings import Settings

DEFAULT_SIZE = 500
DEFAULT_SEED = 42


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _add_correlation_id(request: httpx.Request) -> None:
    if "x-correlation-id" not in request.headers:
        request.headers["X-Correlation-ID"] = str(uuid.uuid4())


@functools.cache
def _bearer_auth_class() -> type:
    """`BearerAuth(token_url, client_id, client_secret)`, an `httpx.Auth` (httpx imported late)."""
    import httpx

    class BearerAuth(httpx.Auth):
        """A client_credentials token fetched on first use, renewed before it expires."""

        requires_response_body = True

        def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
            basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
            self.token_url = token_url
            self.basic = f"Basic {basic}"
            self.token: str | None = None
            self.expires_at = 0.0
            self._lock = threading.Lock()

        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
            with self._lock:
                if self.token is None or time.monotonic() >= self.expires_at:
                    response = yield httpx.Request(
                        "POST",
                        self.token_url,
                        data={"grant_type": "client_credentials"},
                        headers={"Authorization": self.basic},
                    )
                    if response.status_code != 200:
                        raise RuntimeError(
                            f"/token answered {response.status_code}: {response.text}"
                        )
                    body = response.json()
                    self.token = str(body["access_token"])
                    lifetime = int(body.get("expires_in", 60))
                    self.expires_at = time.monotonic() + max(lifetime - 30, 1)
                token = self.token
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    return BearerAuth


@dataclass
class FicobaSandbox:
    """A running sandbox and the demo client's credentials (paths are absolute strings)."""

    origin: str  # https://localhost:PORT
    base_url: str  # origin + /ficoba-api/v2 (the gateway prefix)
    token_url: str  # origin + /token
    admin_url: str  # http://127.0.0.1:ADMIN_PORT
    ca: str
    cert: str
    key: str
    client_id: str
    client_secret: str
    siret_demandeur: str
    motifs: list[str]
    state_dir: Path
    settings: Settings
    app: Any
    admin_token: str | None = field(default=None, repr=False)  # D/admin.json's
    _clients: list[httpx.Client] = field(default_factory=list, repr=False)
    _client: httpx.Client | None = field(default=None, repr=False)

    def ssl_context(self, *, client_cert: bool = True) -> ssl.SSLContext:
        """Trusts the sandbox CA and presents the demo certificate (httpx 0.28: `verify=ctx`)."""
        ctx = ssl.create_default_context(cafile=self.ca)
        if client_cert:
            ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def new_client(self, *, token: bool = True, **kwargs: Any) -> httpx.Client:
        """A new `httpx.Client` on `base_url` (closed with the sandbox)."""
        import httpx

        hooks = kwargs.pop("event_hooks", {})
        hooks.setdefault("request", []).insert(0, _add_correlation_id)
        http = httpx.Client(
            base_url=self.base_url,
            verify=kwargs.pop("verify", None) or self.ssl_context(),
            auth=_bearer_auth_class()(self.token_url, self.client_id, self.client_secret)
            if token
            else None,
            event_hooks=hooks,
            timeout=kwargs.pop("timeout", 30),
            **kwargs,
        )
        self._clients.append(http)
        return http

    def admin(self, **kwargs: Any) -> httpx.Client:
        """A new `httpx.Client` on the admin plane, sending its token (closed with the sandbox)."""
        import httpx

        headers = {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}
        http = httpx.Client(
            base_url=self.admin_url,
            headers={**headers, **kwargs.pop("headers", {})},
            timeout=kwargs.pop("timeout", 30),
            **kwargs,
        )
        self._clients.append(http)
        return http

    @property
    def client(self) -> httpx.Client:
        """A ready client: certificate, bearer token (renewed), fresh X-Correlation-ID per call."""
        if self._client is None:
            self._client = self.new_client()
        return self._client

    def token(self) -> str:
        """A fresh access token for the demo client."""
        import httpx

        with httpx.Client(verify=self.ssl_context(), timeout=30) as http:
            r = http.post(
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
            )
            r.raise_for_status()
            return str(r.json()["access_token"])

    def close(self) -> None:
        for http in self._clients:
            http.close()
        self._clients.clear()
        self._client = None


def _serve_in_thread(server: Any, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"ficoba-sandbox: the {name} listener did not start")
        time.sleep(0.01)
    return thread


@contextlib.contextmanager
def run_sandbox(
    directory: Path,
    *,
    size: int = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
    cache_dir: Path | None = None,
    **settings: Any,
) -> Iterator[FicobaSandbox]:
    """Start the sandbox in this process (two listener threads); stop it on exit.

    `directory` becomes the state directory (PKI, demo client, journal). `cache_dir`, when
    given, keeps the built dataset between runs. Other keyword arguments are Settings fields.
    """
    import json

    import uvicorn

    from ficoba_sandbox.admin import create_admin_app
    from ficoba_sandbox.app import create_app
    from ficoba_sandbox.cli.ops import ensure_admin_token
    from ficoba_sandbox.cli.serve import uvicorn_config
    from ficoba_sandbox.gateway.clients import ensure_demo_client, public_origin
    from ficoba_sandbox.gateway.pki import ensure_pki
    from ficoba_sandbox.settings import Settings

    directory = Path(directory).resolve()
    if cache_dir is not None and not (directory / "cache").exists():
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "cache").symlink_to(Path(cache_dir).resolve(), target_is_directory=True)
    s = Settings(
        **{
            **settings,
            "state_dir": directory,
            "size": size,
            "seed": seed,
            "host": "127.0.0.1",
            "port": _free_port(),
            "admin_host": "127.0.0.1",
            "admin_port": _free_port(),
        }
    )
    paths, _ = ensure_pki(directory, s.san)
    origin = public_origin(s.host, s.port)
    creds, _ = ensure_demo_client(paths, origin)
    admin_token, _ = ensure_admin_token(s)  # D/admin.json, as `serve` does
    s = s.model_copy(update={"admin_token": admin_token})
    app = create_app(s)
    admin = create_admin_app(app.sandbox, s)
    api_server = uvicorn.Server(uvicorn_config(app, s, paths, log_level="warning"))
    admin_server = uvicorn.Server(
        uvicorn.Config(
            admin,
            host=s.admin_host,
            port=s.admin_port,
            proxy_headers=False,
            log_level="warning",
            server_header=False,
            lifespan="off",
        )
    )
    threads = [_serve_in_thread(api_server, "ficoba-sandbox-api")]
    sandbox = None
    try:
        threads.append(_serve_in_thread(admin_server, "ficoba-sandbox-admin"))
        sandbox = FicobaSandbox(
            origin=origin,
            base_url=f"{origin}/ficoba-api/v2",
            token_url=f"{origin}/token",
            admin_url=f"http://{s.admin_host}:{s.admin_port}",
            ca=str(paths.ca_cert),
            cert=str(creds["cert"]),
            key=str(creds["key"]),
            client_id=str(creds["client_id"]),
            client_secret=str(creds["client_secret"]),
            siret_demandeur=str(creds.get("siret_demandeur", "")),
            motifs=list(creds.get("motifs", [])),
            state_dir=directory,
            settings=s,
            app=app,
            admin_token=admin_token,
        )
        (directory / "sandbox.json").write_text(
            json.dumps({"base_url": sandbox.base_url, "admin_url": sandbox.admin_url}) + "\n"
        )
        yield sandbox
    finally:
        if sandbox is not None:
            sandbox.close()
        admin_server.should_exit = True
        api_server.should_exit = True
        for thread in threads:
            thread.join(timeout=15)


# --------------------------------------------------------------------------- pytest plugin


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ficoba-sandbox")
    group.addoption(
        "--ficoba-sandbox-size",
        type=int,
        default=None,
        help=f"natural persons in the ficoba_sandbox fixture's dataset (default {DEFAULT_SIZE})",
    )
    group.addoption("--ficoba-sandbox-seed", type=int, default=None, help="dataset seed")
    group.addoption(
        "--ficoba-sandbox-contract-version",
        default=None,
        help="the published contract the ficoba_sandbox fixture follows (2024-11, 2025-04, "
        "2025-10, 2026-01; default the newest)",
    )
    parser.addini("ficoba_sandbox_size", f"ficoba_sandbox dataset size ({DEFAULT_SIZE})")
    parser.addini("ficoba_sandbox_seed", f"ficoba_sandbox dataset seed ({DEFAULT_SEED})")
    parser.addini("ficoba_sandbox_contract_version", "ficoba_sandbox contract version (newest)")


def _option(config: pytest.Config, name: str, default: int) -> int:
    value = config.getoption(f"--ficoba-sandbox-{name}")
    if value is None:
        value = config.getini(f"ficoba_sandbox_{name}") or default
    return int(value)


@pytest.fixture(scope="session")
def ficoba_sandbox(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FicobaSandbox]:
    """A running FICOBA sandbox (mutual TLS) for the whole test session. See the module doc."""
    config = request.config
    cache_dir = None
    if getattr(config, "cache", None) is not None:
        cache_dir = config.cache.mkdir("ficoba-sandbox")
    with run_sandbox(
        tmp_path_factory.mktemp("ficoba-sandbox"),
        size=_option(config, "size", DEFAULT_SIZE),
        seed=_option(config, "seed", DEFAULT_SEED),
        cache_dir=cache_dir,
        **_contract_version(config),
    ) as sandbox:
        yield sandbox


def _contract_version(config: pytest.Config) -> dict[str, str]:
    """`contract_version=...` when the run names one (Settings refuses an unknown one)."""
    value = config.getoption("--ficoba-sandbox-contract-version") or config.getini(
        "ficoba_sandbox_contract_version"
    )
    return {"contract_version": str(value)} if value else {}
