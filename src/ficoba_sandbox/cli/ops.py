"""Operations: `ficoba-sandbox healthcheck` and `ficoba-sandbox prepare`, plus what `serve` needs
to run unattended (in a container, in CI):

- `prepare_state(settings)`: first-start preparation of the state directory D: the PKI (server
  SANs: localhost, 127.0.0.1, ::1, every `FICOBA_SANDBOX_SAN` name and, when the API binds every
  interface, this machine's hostname, i.e. the container's), the demo client (callable from
  `FICOBA_SANDBOX_DEMO_CLIENT_IPS`), a dedicated `sandbox-healthcheck` client (so health probes
  neither spend the demo client's quota nor hide among its journal rows), and the admin token
  when the admin plane listens beyond loopback. Idempotent: nothing existing is overwritten.
- JSON-lines logs on stdout (`--log-json`, `FICOBA_SANDBOX_LOG_JSON=1`): `say()` for our own
  messages and a uvicorn `log_config` for the server and access logs.
- `exit_cleanly_on_sigterm()`: SIGTERM stops the servers gracefully, then exits with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import secrets
import signal
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ficoba_sandbox.admin.app import is_loopback
from ficoba_sandbox.sandbox import open_store
from ficoba_sandbox.settings import Settings

HEALTHCHECK_CLIENT_ID = "sandbox-healthcheck"
ADMIN_TOKEN_FILE = "admin-token"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


# --------------------------------------------------------------------------- commands


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    h = sub.add_parser(
        "healthcheck",
        help="exit 0 when the sandbox answers /etatSante over mutual TLS (container probe)",
        description="Fetches a token as the sandbox-healthcheck client (created at first start "
        "in D/clients/) and calls GET /ficoba-api/v2/etatSante over mutual TLS. Healthy: 200, or "
        "503 CAT001 (an emulated maintenance window is the sandbox working as configured). "
        "Settings from FICOBA_SANDBOX_* like `serve`.",
    )
    h.add_argument("--dir", type=Path, default=None, help="state directory D")
    h.add_argument("--host", default=None, help="API address (default: FICOBA_SANDBOX_HOST)")
    h.add_argument("--port", type=int, default=None, help="API port (default 8443)")
    h.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    h.set_defaults(handler=cmd_healthcheck)

    p = sub.add_parser(
        "prepare",
        help="build the dataset cache in D/cache (e.g. at image build time), nothing else",
    )
    p.add_argument("--dir", type=Path, default=None, help="state directory D")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--size", type=int, default=None)
    p.set_defaults(handler=cmd_prepare)


def _settings(args: argparse.Namespace, **mapping: str) -> Settings:
    from ficoba_sandbox.cli.gateway import settings_from

    return settings_from(args, **mapping)


def probe_host(settings: Settings) -> str:
    """Where a local probe connects: loopback when the API binds every interface."""
    return (
        "localhost"
        if settings.host in WILDCARD_HOSTS or is_loopback(settings.host)
        else settings.host
    )


def check_health(settings: Settings, timeout: float = 3.0) -> tuple[bool, str]:
    import httpx

    from ficoba_sandbox.gateway.clients import public_origin
    from ficoba_sandbox.gateway.pki import client_ssl_context

    creds_file = Path(settings.state_dir) / "clients" / f"{HEALTHCHECK_CLIENT_ID}.json"
    try:
        creds = json.loads(creds_file.read_text("utf-8"))
        ctx = client_ssl_context(Path(creds["ca"]), Path(creds["cert"]), Path(creds["key"]))
    except (OSError, ValueError, KeyError) as exc:
        return False, f"no healthcheck credentials ({creds_file}): {exc}"
    origin = public_origin(probe_host(settings), settings.port)
    try:
        with httpx.Client(base_url=origin, verify=ctx, timeout=timeout) as http:
            r = http.post(
                "/token",
                data={"grant_type": "client_credentials"},
                auth=(creds["client_id"], creds["client_secret"]),
            )
            if r.status_code != 200:
                return False, f"/token answered {r.status_code}: {r.text[:200]}"
            r = http.get(
                "/ficoba-api/v2/etatSante",
                headers={
                    "Authorization": f"Bearer {r.json()['access_token']}",
                    "X-Correlation-ID": str(uuid.uuid4()),
                },
            )
    except httpx.HTTPError as exc:
        return False, f"{origin}: {type(exc).__name__}: {exc}"
    if r.status_code == 200:
        return True, f"{origin}/ficoba-api/v2/etatSante: {r.json().get('descriptif', '')}"
    if r.status_code == 503 and "CAT001" in r.text:
        return True, f"{origin}: up, emulating unavailability (503 CAT001)"
    return False, f"/etatSante answered {r.status_code}: {r.text[:200]}"


def cmd_healthcheck(args: argparse.Namespace) -> int:
    settings = _settings(args, host="host", port="port")
    ok, detail = check_health(settings, args.timeout)
    print(f"{'healthy' if ok else 'unhealthy'}: {detail}")
    return 0 if ok else 1


def cmd_prepare(args: argparse.Namespace) -> int:
    settings = _settings(args, seed="seed", size="size")
    t0 = time.perf_counter()
    store = open_store(settings)
    counts = store.counts()
    print(
        json.dumps(
            {
                "cache": str(Path(settings.state_dir).resolve() / "cache"),
                "seed": settings.seed,
                "size": settings.size,
                "seconds": round(time.perf_counter() - t0, 2),
                **counts,
            }
        )
    )
    return 0


# --------------------------------------------------------------------------- first start


def admin_is_public(settings: Settings) -> bool:
    return not is_loopback(settings.admin_host)


def ensure_admin_token(settings: Settings) -> tuple[str | None, list[str]]:
    """The configured token; else, for an admin plane beyond loopback, D/admin-token (created)."""
    if settings.admin_token:
        return settings.admin_token, []
    if not admin_is_public(settings):
        return None, []
    from ficoba_sandbox.gateway.pki import write_private

    path = Path(settings.state_dir).resolve() / ADMIN_TOKEN_FILE
    if path.exists():
        return path.read_text("utf-8").strip(), [f"admin token: {path}"]
    token = secrets.token_hex(32)  # never starts with "-" (command lines, see new_secret)
    write_private(path, (token + "\n").encode())
    return token, [f"created the admin token {path} (send it as Authorization: Bearer ...)"]


def prepare_state(settings: Settings) -> tuple[Settings, list[str]]:
    """PKI, demo client, healthcheck client and admin token; returns the settings to serve with."""
    from ficoba_sandbox.gateway.clients import (
        ClientSpec,
        demo_spec,
        enrol,
        public_origin,
        write_credentials,
    )
    from ficoba_sandbox.gateway.pki import ensure_pki

    sans = list(settings.san)
    if settings.host in WILDCARD_HOSTS:
        hostname = socket.gethostname()
        if hostname and hostname not in sans:
            sans.append(hostname)
    token, notes = ensure_admin_token(settings)
    settings = settings.model_copy(update={"san": sans, "admin_token": token})
    paths, done = ensure_pki(settings.state_dir, sans)
    notes = [*done, *notes]
    origin = public_origin(settings.host, settings.port)
    demo_file = paths.root / "demo-client.json"
    if not demo_file.exists():
        spec = dataclasses.replace(demo_spec(), ips=list(settings.demo_client_ips))
        write_credentials(demo_file, enrol(paths, spec, origin, replace=True))
        notes.append(f"created the demo client {demo_file}")
    if not (paths.clients / f"{HEALTHCHECK_CLIENT_ID}.json").exists():
        enrol(paths, ClientSpec(client_id=HEALTHCHECK_CLIENT_ID), origin, replace=True)
        notes.append(f"created the {HEALTHCHECK_CLIENT_ID} client (used by `healthcheck`)")
    return settings, notes


# --------------------------------------------------------------------------- logs


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg (+ method/path/status for access logs)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            out.update(
                msg=f"{method} {path} {status}",
                client=client,
                method=method,
                path=path,
                http=version,
                status=status,
            )
        else:
            out["msg"] = record.getMessage()
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def uvicorn_logging(settings: Settings) -> dict[str, Any]:
    """Extra `uvicorn.Config` arguments: a JSON-lines `log_config` on stdout when asked."""
    if not settings.log_json:
        return {}
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    return {
        "log_config": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
            "handlers": {"stdout": handler},
            "root": {"handlers": ["stdout"], "level": "WARNING"},
            "loggers": {
                "uvicorn": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
                "uvicorn.error": {"level": "INFO"},
                "uvicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            },
        }
    }


def say(settings: Settings, message: str, **fields: Any) -> None:
    """Our own messages: plain text on stderr, or a JSON line on stdout with `--log-json`."""
    if settings.log_json:
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": "ficoba_sandbox",
            "msg": message,
            **fields,
        }
        print(json.dumps(record, ensure_ascii=False), flush=True)
    else:
        print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- signals


def _exit_zero(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM before the servers run: exit 0 at once. While they run, uvicorn captures it, shuts
    down gracefully (lifespan shutdown: the journal is flushed), then re-raises it here: exit 0."""
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, _exit_zero)
