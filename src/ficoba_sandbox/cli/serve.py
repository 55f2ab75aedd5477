"""`ficoba-sandbox serve`: the mutual-TLS API listener and the plain-HTTP admin listener.

The API listener is uvicorn with TLS >= 1.2, our server certificate and client certificates
verified against the sandbox CA (`CERT_REQUIRED`: a missing, foreign, expired or not-yet-valid
certificate fails the handshake). With `--trusted-proxy CIDR` it is `CERT_OPTIONAL` instead, because
a TLS-terminating ingress may connect without a client certificate: the app then takes the client
certificate from the RFC 9440 `Client-Cert` header, only from those addresses, checks it chains to
a trusted CA (gateway/trust.py), and still refuses any call without one. A range holding loopback
needs `--trust-loopback-proxy`. The listener trusts `D/pki/client-cas.pem`: the sandbox CA and
the CAs registered with `ca add`, read at start. Proxy headers are never trusted by uvicorn itself (`proxy_headers=False`).

The admin listener (plain HTTP, `--admin-host`/`--admin-port`, loopback by default) serves
`ficoba_sandbox.admin.create_admin_app(app.sandbox, settings)` on the same sandbox; it wants the
token of `D/admin.json` unless `--admin-open` (docs/security.md, "The admin plane").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import socket
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ficoba_sandbox.admin import AdminConfigError, create_admin_app
from ficoba_sandbox.admin.app import check_access_settings
from ficoba_sandbox.app import create_app
from ficoba_sandbox.cli import start
from ficoba_sandbox.cli.gateway import settings_from
from ficoba_sandbox.domain.contract import NEWEST, VERSIONS
from ficoba_sandbox.gateway.admin_key import ADMIN_FILE, TOKEN_ENV, admin_url
from ficoba_sandbox.gateway.clients import (
    GATEWAY_PREFIX,
    ensure_demo_client,
    follow_served_origin,
    public_origin,
)
from ficoba_sandbox.gateway.pki import PkiPaths, ensure_pki
from ficoba_sandbox.gateway.state import ProxyConfigError, trusted_proxy_networks
from ficoba_sandbox.gateway.trust import TrustError, write_bundle
from ficoba_sandbox.sandbox import Sandbox
from ficoba_sandbox.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the sandbox (mutual TLS API + admin plane)",
        description="Every option is also an environment variable FICOBA_SANDBOX_<NAME> "
        "(e.g. FICOBA_SANDBOX_PORT). Runs `init` first when D has no demo client.",
    )
    p.add_argument("--dir", type=Path, default=None, help="state directory D (default .sandbox)")
    p.add_argument("--host", default=None, help="API bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="API TLS port (default 8443)")
    p.add_argument("--admin-host", default=None, help="admin bind address (default 127.0.0.1)")
    p.add_argument("--admin-port", type=int, default=None, help="admin HTTP port (default 8081)")
    p.add_argument(
        "--admin-open",
        action="store_const",
        const=True,
        default=None,
        help="admin plane without its token, for loopback callers only: a throwaway local run "
        "(env FICOBA_SANDBOX_ADMIN_OPEN=1); refused with another --admin-host",
    )
    p.add_argument("--seed", type=int, default=None, help="dataset seed (default 42)")
    p.add_argument("--size", type=int, default=None, help="natural persons generated")
    p.add_argument(
        "--personas-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="your own persona files (*.yaml, format in fixtures/personas/README.md), "
        "loaded beside the shipped ones",
    )
    p.add_argument("--san", action="append", default=None, help="extra server certificate name")
    p.add_argument(
        "--trusted-proxy",
        action="append",
        default=None,
        metavar="CIDR",
        help="accept RFC 9440 Client-Cert and X-Forwarded-For from these addresses only",
    )
    p.add_argument(
        "--trust-loopback-proxy",
        action="store_const",
        const=True,
        default=None,
        help="allow a --trusted-proxy range that holds loopback (every local user is then a proxy)",
    )
    p.add_argument(
        "--proxy-tls-client-auth",
        action="store_const",
        const=True,
        default=None,
        help="let a forwarded certificate alone authenticate a client at /token "
        "(tls_client_auth); off: a secret is needed through a proxy",
    )
    p.add_argument("--token-ttl", type=int, default=None, help="access-token lifetime (s)")
    # Service levels: quota storage, service hours, latency.
    p.add_argument(
        "--quota-storage",
        default=None,
        metavar="URI",
        help="quota counters: memory:// (default) or redis://HOST:PORT/DB, shared by replicas",
    )
    p.add_argument(
        "--default-quota", type=int, default=None, help="calls/minute of a client without one"
    )
    p.add_argument(
        "--maintenance-window",
        default=None,
        metavar="HH:MM-HH:MM",
        help="daily maintenance, Europe/Paris time (503 CAT001); off by default",
    )
    p.add_argument(
        "--latency",
        default=None,
        metavar="SPEC",
        help="emulated latency: 200ms | p50=80ms,p99=400ms | numCpte=300ms;*=20ms",
    )
    p.add_argument(
        "--request-timeout",
        default=None,
        metavar="DURATION",
        help="e.g. 2s: an emulated latency above it is answered 408 after this wait",
    )
    # Slow and idle clients (gateway/connections.py)
    p.add_argument(
        "--tls-handshake-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="TLS handshake bound (default 10)",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="a request's line and headers must arrive within this: the first request's from "
        "the handshake, a later one's from its first byte (default 10)",
    )
    p.add_argument(
        "--body-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="a request's body must arrive within this of its headers (default 30)",
    )
    p.add_argument(
        "--keep-alive-timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help="idle time kept between two requests of a connection (default 5)",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="simultaneous API connections; beyond, answered 503 CAT001 and closed (default 256)",
    )
    p.add_argument(
        "--journal-writer",
        choices=("process", "thread"),
        default=None,
        help="where the journal is masked and written: a child process (default) or a thread "
        "of the server (docs/journal.md)",
    )
    p.add_argument(
        "--journal-durability",
        choices=("commit", "batch"),
        default=None,
        help="commit (default): an answer leaves once its journal row is committed, a killed "
        "server loses no answered call; batch: answers do not wait, faster, a kill may lose the "
        "last 50 ms of rows (docs/reliability.md)",
    )
    p.add_argument(
        "--contract-version",
        default=None,
        metavar="VERSION",
        help=f"the published contract followed where versions differ: {', '.join(VERSIONS)} "
        f"(default {NEWEST}, env FICOBA_SANDBOX_CONTRACT_VERSION; docs/contract-versions.md)",
    )
    p.add_argument(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="count every call for the admin plane's /metrics (default on; --no-metrics skips "
        "the per-call counting, docs/metrics.md)",
    )
    p.add_argument(
        "--events-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="security events as ECS JSON lines (default D/events.jsonl, 0600, one rotation; "
        "docs/security.md)",
    )
    p.add_argument(
        "--events-stdout",
        action="store_const",
        const=True,
        default=None,
        help="security events on stdout too, ECS JSON lines (env FICOBA_SANDBOX_EVENTS_STDOUT=1)",
    )
    p.add_argument("--log-level", default="info", help="uvicorn log level")
    p.add_argument(
        "--log-json",
        action="store_const",
        const=True,
        default=None,
        help="logs as JSON lines on stdout (env FICOBA_SANDBOX_LOG_JSON=1)",
    )
    p.set_defaults(handler=cmd_serve)


def serve_settings(args: argparse.Namespace) -> Settings:
    return settings_from(
        args,
        host="host",
        port="port",
        admin_host="admin_host",
        admin_port="admin_port",
        admin_open="admin_open",
        seed="seed",
        size="size",
        personas_dir="personas_dir",
        san="san",
        trusted_proxy="trusted_proxies",
        trust_loopback_proxy="trust_loopback_proxy",
        proxy_tls_client_auth="proxy_tls_client_auth",
        token_ttl="token_ttl",
        log_json="log_json",
        quota_storage="quota_storage",
        default_quota="default_quota",
        maintenance_window="maintenance_window",
        latency="latency",
        request_timeout="request_timeout",
        tls_handshake_timeout="tls_handshake_timeout",
        header_timeout="header_timeout",
        body_timeout="body_timeout",
        keep_alive_timeout="keep_alive_timeout",
        max_connections="max_connections",
        journal_writer="journal_writer",
        journal_durability="journal_durability",
        contract_version="contract_version",
        metrics="metrics",
        events_file="events_file",
        events_stdout="events_stdout",
    )


def tls_context_factory(config: Any, default_factory: Any) -> ssl.SSLContext:
    """uvicorn `ssl_context_factory`: its context, plus TLS >= 1.2 (top-level, picklable), and
    every CA of the trust store an anchor, a registered intermediate CA included
    (gateway/trust.py)."""
    ctx: ssl.SSLContext = default_factory()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return ctx


def uvicorn_config(app: Any, settings: Settings, paths: PkiPaths, **extra: Any) -> Any:
    """The API listener's uvicorn configuration; run it with `api_server(config, settings)`."""
    import uvicorn

    from ficoba_sandbox.gateway.connections import ConnectionLimits, http_protocol

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=http_protocol(ConnectionLimits.from_settings(settings)),
        timeout_keep_alive=settings.keep_alive_timeout,
        proxy_headers=False,
        forwarded_allow_ips="",
        ssl_certfile=str(paths.server_cert),
        ssl_keyfile=str(paths.server_key),
        ssl_ca_certs=str(write_bundle(paths).client_ca_bundle),
        ssl_cert_reqs=ssl.CERT_OPTIONAL if settings.trusted_proxies else ssl.CERT_REQUIRED,
        ssl_context_factory=tls_context_factory,
        lifespan="auto",
        server_header=False,
        **extra,
    )


def api_server(config: Any, settings: Settings) -> Any:
    """The API listener's uvicorn server: its TLS handshakes bounded (gateway/connections.py),
    the refused ones logged and counted in the app's sandbox (gateway/handshakes.py)."""
    from ficoba_sandbox.gateway.connections import BoundedServer, ConnectionLimits

    sandbox = getattr(config.app, "sandbox", None)
    handshakes = sandbox.levels.handshakes if sandbox is not None else None
    return BoundedServer(config, ConnectionLimits.from_settings(settings), handshakes)


def demo_search(sandbox: Sandbox, creds: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A search that answers with data: numCpte on an IBAN of the dataset."""
    iban = next(iter(sandbox.store.comptes())).iban
    today = sandbox.clock.now().date()
    body = {
        "dateDemande": today.isoformat(),
        "motif": creds["motifs"][0],
        "siretDemandeur": creds["siret_demandeur"],
        "sirenDemandeur": "",
        "justification": "Demo ficoba-sandbox",
        "criteresRecherche": {
            "iban": iban,
            "verificationCompte": "0",
        },
    }
    return "/comptes/numCpte", body


#: a fresh X-Correlation-ID at each paste (the recette counts a reused one), in bash and sh alike
NEW_CORRELATION_ID = "$(python3 -c 'import uuid; print(uuid.uuid4())')"


def curl_lines(
    creds: dict[str, Any],
    search: tuple[str, dict[str, Any]] | None,
    *,
    credentials_file: Path,
    origin: str,
) -> list[str]:
    """The ready-to-paste commands: a token, then a call with it (POSIX shell). The secret is read
    from `credentials_file` when the command runs: it is never printed."""
    q = shlex.quote
    tls = f"--cacert {q(creds['ca'])} --cert {q(creds['cert'])} --key {q(creds['key'])}"
    basic = (
        "python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); "
        'print(c["client_id"]+":"+c["client_secret"])\' '
        f"{q(str(credentials_file))}"
    )
    lines = [
        f'TOKEN=$(curl -sS {tls} -u "$({basic})" '
        f"-d grant_type=client_credentials {q(origin + '/token')} "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
    ]
    common = (
        f'curl -sS {tls} -H "Authorization: Bearer $TOKEN" '
        f'-H "X-Correlation-ID: {NEW_CORRELATION_ID}"'
    )
    base_url = origin + GATEWAY_PREFIX
    if search is None:
        lines.append(f"{common} {q(base_url + '/etatSante')}")
    else:
        path, body = search
        lines.append(
            f"{common} -H 'Content-Type: application/json' "
            f"-d {q(json.dumps(body, ensure_ascii=False))} {q(base_url + path)}"
        )
    return lines


def banner(settings: Settings, creds: dict[str, Any], sandbox: Sandbox) -> str:
    origin = public_origin(settings.host, settings.port)
    credentials_file = Path(settings.state_dir).resolve() / "demo-client.json"
    mode = (
        f"trusted proxies {', '.join(settings.trusted_proxies)}"
        if settings.trusted_proxies
        else "client certificate required"
    )
    lines = [
        f"ficoba-sandbox: API {origin}{GATEWAY_PREFIX} (mutual TLS, {mode}), token {origin}/token",
        admin_line(settings),
        f"demo client credentials (its secret too): {credentials_file}",
        f"contract version {settings.contract_version} (--contract-version, "
        "docs/contract-versions.md)",
        "Try it (token, then a search):",
        "",
        *curl_lines(
            creds,
            demo_search(sandbox, creds),
            credentials_file=credentials_file,
            origin=origin,
        ),
        "",
    ]
    return "\n".join(lines)


def admin_line(settings: Settings) -> str:
    """Where the admin plane is and how to get in (never the token itself)."""
    url = f"{admin_url(settings.admin_host, settings.admin_port)}/"
    if settings.admin_open:
        return f"admin: {url} OPEN: no token asked of loopback callers (--admin-open)"
    if os.environ.get(TOKEN_ENV):
        return f"admin: {url} (token: FICOBA_SANDBOX_ADMIN_TOKEN)"
    return f"admin: {url} (token: {Path(settings.state_dir).resolve() / ADMIN_FILE})"


def _admin_server(config: Any) -> Any:
    """A uvicorn Server that leaves signal handling to the API server (it stops with it)."""
    import uvicorn

    class AdminServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return AdminServer(config)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ficoba_sandbox.cli import ops  # first start, admin token, JSON logs, SIGTERM

    ops.exit_cleanly_on_sigterm()
    try:
        settings = serve_settings(args)
    except ValidationError as exc:  # a flag or FICOBA_SANDBOX_* value refused: one line
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        print(f"ficoba-sandbox: {name}: {first['msg']}", file=sys.stderr)
        return 2
    try:  # before anything is created or built: one line, exit code 2
        trusted_proxy_networks(
            settings.trusted_proxies, trust_loopback=settings.trust_loopback_proxy
        )
        check_access_settings(settings.model_copy(update={"admin_token": "to be made"}))
    except (ProxyConfigError, AdminConfigError) as exc:
        print(f"ficoba-sandbox: {exc}", file=sys.stderr)
        return 2
    with start.refused_in_one_line(settings.state_dir):
        start.check_state_dir(settings.state_dir)
        start.check_registry(settings.state_dir)
        settings, notes = ops.prepare_state(settings)
        for line in notes:
            ops.say(settings, line)
        paths, done = ensure_pki(settings.state_dir, settings.san)
        for line in done:
            print(line, file=sys.stderr)
        creds, created = ensure_demo_client(paths, public_origin(settings.host, settings.port))
        if created:
            print(f"created the demo client: {paths.root / 'demo-client.json'}", file=sys.stderr)
        else:
            creds = follow_served_origin(paths, public_origin(settings.host, settings.port))
    busy = _busy_ports([(settings.host, settings.port), (settings.admin_host, settings.admin_port)])
    if busy:
        for host, port, why in busy:
            print(
                f"ficoba-sandbox: cannot listen on {host}:{port} ({why}); is another sandbox "
                "running? Choose other ports with --port / --admin-port.",
                file=sys.stderr,
            )
        return 2
    try:
        write_bundle(paths)  # the TLS listener's trust store, from D/pki/extra-cas.pem
    except TrustError as exc:
        print(f"ficoba-sandbox: {exc}", file=sys.stderr)
        return 2
    with start.refused_in_one_line(settings.state_dir):  # the journal, the dataset cache
        app = create_app(settings)
    admin = create_admin_app(app.sandbox, settings)
    logs = ops.uvicorn_logging(settings)
    main_server = api_server(
        uvicorn_config(app, settings, paths, log_level=args.log_level, **logs), settings
    )
    admin_server = _admin_server(
        uvicorn.Config(
            admin,
            host=settings.admin_host,
            port=settings.admin_port,
            proxy_headers=False,
            log_level=args.log_level,
            server_header=False,
            lifespan="off",  # the sandbox's start and stop are the API application's
            **logs,
        )
    )
    ops.install_log_filters()  # after both Configs: each configures uvicorn's loggers
    if settings.log_json:
        ops.say(settings, banner(settings, creds, app.sandbox), event="ready")
    else:
        print(banner(settings, creds, app.sandbox), flush=True)

    async def run() -> int:
        # uvicorn answers a failed bind with sys.exit(1) inside serve(): turned into an exit code
        # here, so the user gets uvicorn's one-line error and no traceback.
        admin_task = asyncio.create_task(admin_server.serve())
        code = 0
        try:
            await main_server.serve()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            admin_server.should_exit = True
            try:
                await admin_task
            except SystemExit as exc:
                code = code or (exc.code if isinstance(exc.code, int) else 1)
        return code

    return asyncio.run(run())


def _busy_ports(addresses: list[tuple[str, int]]) -> list[tuple[str, int, str]]:
    """The (host, port) pairs that cannot be bound now, with the reason. Checked before the
    dataset is built and the banner printed, so "address already in use" is one clear line."""
    busy = []
    for host, port in addresses:
        if port == 0:
            continue
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            try:
                sock.bind((host, port))
            except OSError as exc:
                busy.append((host, port, exc.strerror or str(exc)))
    return busy
