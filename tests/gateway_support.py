"""Test support for clients of the sandbox, importable from any test directory.

`from gateway_support import make_client_for, fetch_token, run_on_asgi_loop, run_tls_server, ...`
(`tests/` is on `sys.path`; a module named `conftest` is not reliably importable, there are
several). The shared fixtures in `tests/conftest.py` are built on these.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ficoba_sandbox.domain.watch import RECHECK_SECONDS
from ficoba_sandbox.gateway.clients import ClientSpec, enrol, ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import PkiPaths, client_ssl_context, ensure_pki
from ficoba_sandbox.settings import Settings

T = TypeVar("T")


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

        status, headers, body = run_on_asgi_loop(run(), timeout=60)
        return httpx.Response(status, headers=headers, content=body, request=request)


def run_on_asgi_loop(coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
    """Run `coroutine` on the loop the sync ASGI clients use, and wait for its result: the app's
    loop-bound state (the Redis connections of the quota storage) must be used from that loop,
    by the admin plane's calls (`app.sandbox.levels.quota_state`, ...) as by the requests."""
    return asyncio.run_coroutine_threadsafe(coroutine, _Loop.get()).result(timeout=timeout)


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServedState:
    """A state directory ready for a `serve` subprocess at `port`: its demo client, and one
    client of its own (`creds`, `ctx` for mutual TLS) with a quota that never refuses."""

    paths: PkiPaths
    port: int
    origin: str
    creds: dict[str, Any]
    ctx: ssl.SSLContext


def served_state(root: Path, client_id: str, *, quota: int = 10**8) -> ServedState:
    paths, _ = ensure_pki(root)
    port = free_port()
    origin = public_origin("127.0.0.1", port)
    ensure_demo_client(paths, origin)
    creds = enrol(paths, ClientSpec(client_id, quota=quota), origin)
    ctx = client_ssl_context(paths.ca_cert, Path(creds["cert"]), Path(creds["key"]))
    return ServedState(paths, port, origin, creds, ctx)


def spawn_serve(
    state_dir: Path,
    port: int,
    log: Path,
    *options: str,
    env: Mapping[str, str] | None = None,
    own_group: bool = False,
    admin_port: int | None = None,
) -> subprocess.Popen[bytes]:
    """`ficoba-sandbox serve` on `state_dir` at `port` (its admin plane on `admin_port`, or a free
    port), its log in `log`. The test run's `FICOBA_SANDBOX_*` variables are left out: `options` and `env` say
    everything. `own_group`: its own process group (the server and its journal's writer child,
    to be signalled together)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FICOBA_SANDBOX_")}
    command = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(state_dir)]
    command += ["--port", str(port), "--admin-port", str(admin_port or free_port()), *options]
    with log.open("wb") as stderr:
        return subprocess.Popen(
            command,
            env={**clean, **(env or {})},
            stdout=subprocess.DEVNULL,  # the banner: nothing the tests read
            stderr=stderr,
            start_new_session=own_group,
        )


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
def serve_in_thread(config: Any, server: Any = None) -> Iterator[None]:
    """A uvicorn server on `config` (or `server`, already built on it), in a daemon thread,
    until the block ends."""
    import uvicorn

    server = server if server is not None else uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def run_api_server(settings: Settings, app: Any) -> Iterator[PkiPaths]:
    """The API listener as `serve` runs it (`cli.serve.api_server`: its bounds on slow clients,
    its log of refused handshakes), in a thread until the block ends; the sandbox is closed
    after it."""
    from ficoba_sandbox.cli.serve import api_server, uvicorn_config

    paths, _ = ensure_pki(settings.state_dir)
    config = uvicorn_config(app, settings, paths, log_level="warning")
    try:
        with serve_in_thread(config, api_server(config, settings)):
            yield paths
    finally:
        run_on_asgi_loop(app.sandbox.aclose())


@contextlib.contextmanager
def run_tls_server(settings: Settings, app: Any) -> Iterator[str]:
    from ficoba_sandbox.cli.serve import uvicorn_config

    paths, _ = ensure_pki(settings.state_dir)
    with serve_in_thread(uvicorn_config(app, settings, paths, log_level="warning")):
        yield public_origin(settings.host, settings.port)


@dataclass
class QAServer(TLSServer):
    """The mutual-TLS API and the admin plane of one app, on real listeners."""

    admin_url: str = ""
    admin: Any = None
    admin_token: str = ""

    @property
    def admin_headers(self) -> dict[str, str]:
        """What a caller of the admin plane sends: its token."""
        return {"Authorization": f"Bearer {self.admin_token}"}

    def target(self, **kw: Any) -> Any:
        from ficoba_sandbox.qa.runner import Target

        return Target.from_file(
            self.dir / "demo-client.json",
            base_url=self.base_url,
            token_url=self.token_url,
            admin_url=self.admin_url,
            **kw,
        )


def run_printed_commands(commands: list[str]) -> str:
    """The shell commands the server prints for a user to paste (`TOKEN=...`, `curl ...`), run by
    bash as the user would, stopping at the first that fails; their output."""
    done = subprocess.run(
        ["bash", "-c", "set -e\n" + "\n".join(commands) + "\n"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"referenceDemande"' in done.stdout, done.stdout
    return done.stdout


def wait_for_file_watch() -> None:
    """Let the server see a file another process rewrote (the registry, a drill plan): it looks
    at them every `RECHECK_SECONDS` at most (domain/watch.py)."""
    time.sleep(RECHECK_SECONDS + 0.02)


def envelope(creds: dict[str, Any], criteres: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A request body of the client `creds` (its first motif, its SIRET) with these criteria;
    `fields` replace the envelope's."""
    return {
        "dateDemande": "2026-05-29",
        "motif": creds["motifs"][0],
        "siretDemandeur": creds["siret_demandeur"],
        "sirenDemandeur": "",
        "justification": "test",
        "criteresRecherche": criteres,
        **fields,
    }


class ExternalPKI:
    """A PKI of the test's own, made with `cryptography` as an integrator's would be: a root, an
    intermediate under it, client certificates under the intermediate (EKU clientAuth, no SAN).
    `under` an existing CA (certificate, key), the intermediate is signed by it instead."""

    def __init__(self, name: str, under: tuple[Any, Any] | None = None) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        now = datetime.now(UTC)
        if under is None:
            key = ec.generate_private_key(ec.SECP256R1())
            self.root = self._ca(f"{name} root", key, None, key, now)
            self.root_key = key
        else:
            self.root, self.root_key = under
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = self._ca(f"{name} issuing CA", self.key, self.root, self.root_key, now)

    @staticmethod
    def _ca(cn: str, key: Any, issuer: Any, issuer_key: Any, now: datetime) -> Any:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer.subject if issuer is not None else name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            )
        )
        return builder.sign(issuer_key, hashes.SHA256())

    def leaf(self, tmp: Path, cn: str, *, expired: bool = False) -> tuple[Path, Path, Path]:
        """A client certificate under the intermediate: (cert PEM, key PEM, cert + intermediate
        PEM) files in `tmp`."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        start, end = (
            (now - timedelta(days=30), now - timedelta(days=1))
            if expired
            else (
                now - timedelta(minutes=5),
                now + timedelta(days=90),
            )
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.intermediate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, True, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        cert_file, key_file, chain_file = (
            tmp / f"{cn}.pem",
            tmp / f"{cn}.key",
            tmp / f"{cn}-chain.pem",
        )
        cert_file.write_bytes(cert.public_bytes(pem))
        key_file.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        chain_file.write_bytes(cert.public_bytes(pem) + self.intermediate.public_bytes(pem))
        return cert_file, key_file, chain_file

    @property
    def intermediate_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return bytes(self.intermediate.public_bytes(serialization.Encoding.PEM))

    @property
    def root_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return bytes(self.root.public_bytes(serialization.Encoding.PEM))

    def bundle(self, *, root: bool = True) -> bytes:
        """The CA bundle to register: the intermediate, with the root (or without)."""
        from cryptography.hazmat.primitives import serialization

        pem = serialization.Encoding.PEM
        certs = [self.intermediate, self.root] if root else [self.intermediate]
        return b"".join(c.public_bytes(pem) for c in certs)


def client_cert_header(pem: str | bytes) -> str:
    """RFC 9440 `Client-Cert` (or one member of `Client-Cert-Chain`) of a PEM certificate."""
    import base64

    text = pem.decode() if isinstance(pem, bytes) else pem
    return ":" + base64.b64encode(ssl.PEM_cert_to_DER_cert(text)).decode() + ":"


@contextlib.contextmanager
def running_qa_server(settings: Settings, demo: dict[str, Any]) -> Iterator[QAServer]:
    """A new app of `settings` (its own clock, faults, maintenance and quota) with its
    mutual-TLS API and its admin plane on real loopback listeners, the admin token from
    `D/admin.json` as `serve` writes it."""
    import uvicorn

    from ficoba_sandbox.admin import create_admin_app
    from ficoba_sandbox.app import create_app
    from ficoba_sandbox.cli.ops import ensure_admin_token
    from ficoba_sandbox.cli.serve import uvicorn_config

    s = settings.model_copy(
        update={
            "host": "127.0.0.1",
            "port": free_port(),
            "admin_host": "127.0.0.1",
            "admin_port": free_port(),
        }
    )
    token, _ = ensure_admin_token(s)
    s = s.model_copy(update={"admin_token": token})
    app = create_app(s)
    admin = create_admin_app(app.sandbox, s)
    paths, _ = ensure_pki(s.state_dir)
    api_cfg = uvicorn_config(app, s, paths, log_level="warning")
    admin_cfg = uvicorn.Config(
        admin, host=s.admin_host, port=s.admin_port, log_level="warning", lifespan="off"
    )
    with serve_in_thread(api_cfg), serve_in_thread(admin_cfg):
        yield QAServer(
            origin=public_origin(s.host, s.port),
            admin_url=f"http://127.0.0.1:{s.admin_port}",
            dir=Path(s.state_dir),
            demo=demo,
            app=app,
            admin=admin,
            admin_token=token,
            settings=s,
        )
