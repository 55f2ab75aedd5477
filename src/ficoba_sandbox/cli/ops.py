"""Operations: `ficoba-sandbox healthcheck` and `ficoba-sandbox prepare`, plus what `serve` needs
to run unattended (in a container, in CI):

- `prepare_state(settings)`: first-start preparation of the state directory D (made private:
  0700, its files 0600, an existing one tightened and said so): the PKI (server
  SANs: localhost, 127.0.0.1, ::1, every `FICOBA_SANDBOX_SAN` name and, when the API binds every
  interface, this machine's hostname, i.e. the container's), the demo client (callable from
  `FICOBA_SANDBOX_DEMO_CLIENT_IPS`), a dedicated `sandbox-healthcheck` client (so health probes
  neither spend the demo client's quota nor hide among its journal rows), and the admin token
  (`D/admin.json`, unless `FICOBA_SANDBOX_ADMIN_TOKEN` gives one). Idempotent: nothing existing
  is overwritten.
- JSON-lines logs on stdout (`--log-json`, `FICOBA_SANDBOX_LOG_JSON=1`): `say()` for our own
  messages and a uvicorn `log_config` for the server and access logs.
- `exit_cleanly_on_sigterm()`: SIGTERM stops the servers gracefully, then exits with status 0.
- `check_health()`: the mutual-TLS `/etatSante` check of `healthcheck`, standard library only;
  `python -m ficoba_sandbox.cli.ops` runs it as the image's HEALTHCHECK (`container_probe()`):
  without the CLI's start-up (every command group, the app, the personas: ~0.8 s of CPU), and
  paced so that Docker sees the container healthy within a second or two of the server listening
  while the probes cost about 1 % of a core afterwards (docs/docker.md).

This module imports only the standard library at the top, so that the probe stays cheap; what it
needs of the project it imports inside the functions that use it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import http.client
import json
import logging
import os
import signal
import socket
import ssl
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

if TYPE_CHECKING:
    from ficoba_sandbox.settings import Settings

HEALTHCHECK_CLIENT_ID = "sandbox-healthcheck"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


# --------------------------------------------------------------------------- commands


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    h = sub.add_parser(
        "healthcheck",
        help="exit 0 when the sandbox answers /etatSante over mutual TLS",
        description="Fetches a token as the sandbox-healthcheck client (created at first start "
        "in D/clients/) and calls GET /ficoba-api/v2/etatSante over mutual TLS. Healthy: 200, or "
        "503 CAT001 (an emulated maintenance window is the sandbox working as configured). "
        "Settings from FICOBA_SANDBOX_* like `serve`. The image's HEALTHCHECK runs the same "
        "check without the CLI: python -m ficoba_sandbox.cli.ops.",
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


def cmd_healthcheck(args: argparse.Namespace) -> int:
    settings = _settings(args, host="host", port="port")
    ok, detail = check_health(Path(settings.state_dir), settings.host, settings.port, args.timeout)
    print(f"{'healthy' if ok else 'unhealthy'}: {detail}")
    return 0 if ok else 1


def cmd_prepare(args: argparse.Namespace) -> int:
    from ficoba_sandbox.sandbox import open_store

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


# --------------------------------------------------------------------------- health


def probe_host(host: str) -> str:
    """Where a local probe connects: `localhost` (a name of the server certificate) when the API
    binds every interface or a loopback address."""
    if host in WILDCARD_HOSTS:
        return "localhost"
    from ficoba_sandbox.admin.app import is_loopback  # not on the container's path (0.0.0.0)

    return "localhost" if is_loopback(host) else host


def check_health(state_dir: Path, host: str, port: int, timeout: float = 3.0) -> tuple[bool, str]:
    """A token for the sandbox-healthcheck client, then GET /etatSante, over mutual TLS. Healthy:
    200, or 503 CAT001 (an emulated maintenance window is the sandbox working as configured)."""
    creds_file = state_dir / "clients" / f"{HEALTHCHECK_CLIENT_ID}.json"
    try:
        creds = json.loads(creds_file.read_text("utf-8"))
        ctx = ssl.create_default_context(cafile=creds["ca"])
        ctx.load_cert_chain(creds["cert"], creds["key"])
    except (OSError, ValueError, KeyError) as exc:
        return False, f"no healthcheck credentials ({creds_file}): {exc}"
    target = probe_host(host)
    origin = f"https://{target}:{port}"
    # RFC 6749 §2.3.1: client id and secret are form-urlencoded before the Basic encoding.
    basic = f"{quote_plus(creds['client_id'])}:{quote_plus(creds['client_secret'])}"
    conn = http.client.HTTPSConnection(target, port, context=ctx, timeout=timeout)
    try:
        conn.request(
            "POST",
            "/token",
            body="grant_type=client_credentials",
            headers={
                "Authorization": "Basic " + base64.b64encode(basic.encode()).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            return False, f"/token answered {r.status}: {body[:200]!r}"
        conn.request(
            "GET",
            "/ficoba-api/v2/etatSante",
            headers={
                "Authorization": f"Bearer {json.loads(body)['access_token']}",
                "X-Correlation-ID": str(uuid.uuid4()),
            },
        )
        r = conn.getresponse()
        body = r.read()
    except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
        return False, f"{origin}: {type(exc).__name__}: {exc}"
    finally:
        conn.close()
    if r.status == 200:
        return True, f"{origin}/ficoba-api/v2/etatSante: {json.loads(body).get('descriptif', '')}"
    if r.status == 503 and b"CAT001" in body:
        return True, f"{origin}: up, emulating unavailability (503 CAT001)"
    return False, f"/etatSante answered {r.status}: {body[:200]!r}"


# The image's HEALTHCHECK runs `python -m ficoba_sandbox.cli.ops` every second (--interval=1s):
# Docker 20.10 has no --start-interval, and its first probe comes one interval after the start.
# Docker waits that interval after each probe ends (moby daemon/health.go), so the probe paces
# itself: until the server has been healthy once, it retries for up to START_WAIT seconds and ends
# as soon as the server answers; after that, it first sleeps STEADY_PAUSE seconds: one probe per
# ~30 s, Docker's default interval. A probe costs ~0.25-0.3 s of CPU, Docker's exec and the
# server's answers included: ~1 % of a core at that pace (docs/docker.md has the figures).
START_WAIT = 10.0
STEADY_PAUSE = 29.0
RETRY_EVERY = 0.1
PROBE_MARKER = "ficoba-sandbox-healthy"


def main_process_start(proc: Path = Path("/proc")) -> str:
    """The start time of PID 1, the server in the container (proc(5), /proc/[pid]/stat field 22):
    a new value each time the container starts."""
    fields = (proc / "1" / "stat").read_text().rsplit(")", 1)[1].split()
    return fields[19]


def probe_target(env: Mapping[str, str]) -> tuple[Path, str, int]:
    """The state directory, host and port to probe: read from the image's environment when it
    sets all three (no settings import), else the settings."""
    names = ("FICOBA_SANDBOX_STATE_DIR", "FICOBA_SANDBOX_HOST", "FICOBA_SANDBOX_PORT")
    if all(name in env for name in names):
        state_dir, host, port = (env[name] for name in names)
        return Path(state_dir), host, int(port)
    from ficoba_sandbox.settings import Settings

    settings = Settings()
    return Path(settings.state_dir), settings.host, settings.port


def container_probe(
    env: Mapping[str, str],
    marker: Path,
    run_id: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str]:
    """One HEALTHCHECK probe, paced as the comment above says; `marker` holds the `run_id` of the
    container run that was healthy once."""
    state_dir, host, port = probe_target(env)
    try:
        healthy_once = marker.read_text() == run_id
    except OSError:
        healthy_once = False
    if healthy_once:
        sleep(STEADY_PAUSE)
        return check_health(state_dir, host, port)
    deadline = clock() + START_WAIT
    while True:
        ok, detail = check_health(state_dir, host, port)
        if ok or clock() >= deadline:
            break
        sleep(RETRY_EVERY)
    if ok:
        with contextlib.suppress(OSError):  # a read-only /tmp: every probe checks at once
            marker.write_text(run_id)
    return ok, detail


def main_probe() -> int:
    marker = Path(os.environ.get("TMPDIR", "/tmp")) / PROBE_MARKER
    ok, detail = container_probe(os.environ, marker, main_process_start())
    print(f"{'healthy' if ok else 'unhealthy'}: {detail}")
    return 0 if ok else 1


# --------------------------------------------------------------------------- first start


def ensure_admin_token(settings: Settings) -> tuple[str, list[str]]:
    """The admin plane's token: the configured one (`FICOBA_SANDBOX_ADMIN_TOKEN`), else the one
    of `D/admin.json`, created at the first start (open mode too: a consumer that sends it keeps
    working). `D/admin.json` also records where the admin plane listens."""
    if settings.admin_token:
        return settings.admin_token, []
    from ficoba_sandbox.gateway.admin_key import ADMIN_FILE, admin_url, ensure_admin_key

    url = admin_url(settings.admin_host, settings.admin_port)
    token, created = ensure_admin_key(Path(settings.state_dir), url)
    path = Path(settings.state_dir).resolve() / ADMIN_FILE
    return token, [f"created the admin token in {path}"] if created else []


def prepare_state(settings: Settings) -> tuple[Settings, list[str]]:
    """PKI, demo client, healthcheck client and admin token; returns the settings to serve with."""
    from ficoba_sandbox.domain.private import tighten
    from ficoba_sandbox.gateway.clients import (
        ClientSpec,
        demo_spec,
        enrol,
        public_origin,
        write_credentials,
    )
    from ficoba_sandbox.gateway.pki import ensure_pki

    root = Path(settings.state_dir).resolve()
    loose = tighten(root)  # made by an older version, or by hand (docs/security.md)
    sans = list(settings.san)
    if settings.host in WILDCARD_HOSTS:
        hostname = socket.gethostname()
        if hostname and hostname not in sans:
            sans.append(hostname)
    token, notes = ensure_admin_token(settings)
    if loose:
        notes.insert(
            0,
            f"state directory {root}: {len(loose)} files or directories were open to other "
            "users; now 0700 (directories) and 0600 (files)",
        )
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


class PathWithoutQuery(logging.Filter):
    """The access log's path without its query string: a client may put a secret there
    (`?client_secret=`, `?access_token=`; RFC 6750 §5.3 warns against it), and the log is no place
    for one. uvicorn's access record is `(client, method, full_path, http_version, status)`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, mark, _ = args[2].partition("?")
            if mark:
                record.args = (args[0], args[1], path + "?…", args[3], args[4])
        return True


class OncePerProcess(logging.Filter):
    """uvicorn's lines about the process ("Started server process [pid]", "Shutting down"...),
    once: `serve` runs two uvicorn servers (API and admin plane) in one process, and each says
    them. (The admin plane has no lifespan, so the application's start and stop lines are the
    API's.)"""

    LINES = frozenset(
        {
            "Started server process [%d]",
            "Finished server process [%d]",
            "Shutting down",
        }
    )

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if not isinstance(message, str) or message not in self.LINES:
            return True
        if message in self._seen:
            return False
        self._seen.add(message)
        return True


def install_log_filters() -> None:
    """After uvicorn has configured its loggers (its `Config` does): the filters above."""
    logging.getLogger("uvicorn.access").addFilter(PathWithoutQuery())
    logging.getLogger("uvicorn.error").addFilter(OncePerProcess())


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


if __name__ == "__main__":
    sys.exit(main_probe())
