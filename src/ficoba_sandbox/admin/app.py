"""The admin plane: `create_admin_app(sandbox, settings)`, a FastAPI app on its own listener.

Plain HTTP on loopback by default (`--admin-host`, `--admin-port`, 8081), so mutual TLS never
locks QA out (docs/architecture.md). Every route is under `/__sandbox/` (but `/metrics`); its OpenAPI is
`/__sandbox/openapi.json` (Swagger UI: `/__sandbox/docs`).

Access: every call needs the admin token (`D/admin.json`, written by `init` and the first `serve`;
or `FICOBA_SANDBOX_ADMIN_TOKEN`) as `Authorization: Bearer <token>` or `X-Admin-Token: <token>`,
loopback callers included: anyone on a shared machine reaches loopback. A missing or wrong token
gets 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3). `--admin-open`
(`FICOBA_SANDBOX_ADMIN_OPEN`) drops the token for loopback callers of a listener bound to
loopback, for a throwaway local run; with it, another bind address is refused at start
(`AdminConfigError`). Only the index (`/`, `/__sandbox/`) and the OpenAPI document and its
Swagger UI are served without the token: they describe the routes, they drive nothing
(docs/security.md, "The admin plane").

The routes drive the running `Sandbox` (its clock, service levels, faults, journal, registry,
dataset, feedback, drills); nothing here is rebuilt. One router per concern, each in its module:
`health`, `catalogue` (magic values), `journal`, `clients` (and their quota), `clock`,
`service_levels` (maintenance, latency), `faults`, `reset`, `dataset`, `explain`, `recette`;
and `metrics`, at Prometheus' default path `/metrics` (token required as everywhere). The QA
console (`console/`, docs/console.md) is the same plane in a browser: `/` and `/__sandbox/` give
a browser its home, an API client the JSON index.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ficoba_sandbox import docs_ui
from ficoba_sandbox.admin.catalogue import router as catalogue_router
from ficoba_sandbox.admin.clients import router as clients_router
from ficoba_sandbox.admin.clock import router as clock_router
from ficoba_sandbox.admin.common import CREDENTIAL_STATE, PREFIX
from ficoba_sandbox.admin.console import (
    SAFE_METHODS,
    SESSION_CREDENTIAL,
    Console,
    home_page,
    install,
    is_public,
    login_page,
    same_origin,
    session_id,
)
from ficoba_sandbox.admin.dataset import router as dataset_router
from ficoba_sandbox.admin.events import router as events_router
from ficoba_sandbox.admin.explain import router as explain_router
from ficoba_sandbox.admin.faults import router as faults_router
from ficoba_sandbox.admin.health import router as health_router
from ficoba_sandbox.admin.index import add_index
from ficoba_sandbox.admin.journal import router as journal_router
from ficoba_sandbox.admin.metrics import router as metrics_router
from ficoba_sandbox.admin.recette import router as recette_router
from ficoba_sandbox.admin.reset import router as reset_router
from ficoba_sandbox.admin.service_levels import router as service_levels_router
from ficoba_sandbox.sandbox import Sandbox
from ficoba_sandbox.settings import Settings

#: in this order in the OpenAPI document and the Swagger UI
ROUTERS = (
    health_router,
    catalogue_router,
    journal_router,
    clients_router,
    clock_router,
    service_levels_router,
    faults_router,
    reset_router,
    dataset_router,
    explain_router,
    recette_router,
    metrics_router,
    events_router,
)


class AdminConfigError(RuntimeError):
    """The admin plane cannot start with this configuration."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


#: served without the token: they describe the plane, they drive nothing
PUBLIC_PATHS = frozenset(
    ("/", PREFIX, PREFIX + "/", PREFIX + "/openapi.json", *docs_ui.documentation_paths(PREFIX))
)
#: the documentation pages' JavaScript and CSS, public as the pages are
PUBLIC_ASSETS = PREFIX + docs_ui.ASSETS_PATH
REALM = 'Bearer realm="ficoba-sandbox admin"'


class AdminGuard:
    """Pure-ASGI access check (runs before routing, so 404s do not leak either). It leaves the
    kind of credential in `request.state` for the admin events (common.admin_event). A browser
    may also come with the QA console's session cookie (console/access.py): an unsafe request
    it authenticates must come from the console's own pages (CSRF), and a browser without a
    credential gets the console's login form (401, no data in it) instead of JSON."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        open_loopback: bool,
        console: Console | None = None,
    ) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.open_loopback = open_loopback
        self.console = console

    @staticmethod
    def _presented(scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        given = headers.get("x-admin-token")
        if given is not None:
            return given.strip()
        text = headers.get("authorization", "").strip()
        if text[:7].lower() == "bearer ":
            return text[7:].strip()
        return None

    def credential(self, scope: Scope) -> tuple[str | None, str | None]:
        """(the kind of credential accepted, or None; the error when a token was refused)."""
        given = self._presented(scope)
        # constant time: the comparison does not tell how much of a guess was right
        if (
            given is not None
            and self.token is not None
            and hmac.compare_digest(given.encode(), self.token)
        ):
            return "admin token", None
        if self.console is not None and self.console.sessions.valid(session_id(scope)):
            return SESSION_CREDENTIAL, None
        client = scope.get("client")
        if self.open_loopback and is_loopback(client[0] if client else None):
            return "open mode", None
        return None, None if given is None else "invalid_token"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credential, error = self.credential(scope)
        path = scope.get("path", "")
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_ASSETS) or is_public(path)
        if credential is None and not public and self.console is not None and wants_page(scope):
            page = login_page(self.console, Request(scope))
            await page(scope, receive, send)
            return
        if (
            credential == SESSION_CREDENTIAL
            and scope.get("method", "GET") not in SAFE_METHODS
            and not same_origin(scope)
        ):
            refused = JSONResponse({"detail": "cross-site request refused"}, status_code=403)
            await refused(scope, receive, send)
            return
        if credential is None and not public:
            detail = (
                "wrong admin token"
                if error
                else "admin token required: send Authorization: Bearer <admin_token of "
                "D/admin.json>"
            )
            challenge = REALM + (f', error="{error}"' if error else "")
            resp = JSONResponse(
                {"detail": detail}, status_code=401, headers={"WWW-Authenticate": challenge}
            )
            await resp(scope, receive, send)
            return
        if credential is not None:
            scope.setdefault("state", {})[CREDENTIAL_STATE] = credential
        await self.app(scope, receive, send)


def wants_page(scope: Scope) -> bool:
    """A browser's navigation or htmx request (it asks for HTML), not an API client."""
    return "text/html" in Headers(scope=scope).get("accept", "").lower()


def check_access_settings(settings: Settings) -> None:
    """Refuse (`AdminConfigError`) an admin plane that would answer without a token beyond
    loopback, or that has no token and is not in open mode."""
    host = settings.admin_host
    token = settings.admin_token or None
    if settings.admin_open and not is_loopback(host):
        raise AdminConfigError(
            f"--admin-open (FICOBA_SANDBOX_ADMIN_OPEN) serves loopback only, and the admin plane "
            f"is bound to {host}: drop it, the token then protects the plane"
        )
    if not token and not settings.admin_open:
        raise AdminConfigError(
            "the admin plane has no token: run `ficoba-sandbox init` (it writes D/admin.json), "
            "set FICOBA_SANDBOX_ADMIN_TOKEN, or --admin-open for a throwaway local run"
        )


def create_admin_app(sandbox: Sandbox, settings: Settings) -> FastAPI:
    """The admin plane over `sandbox`; `settings` says where it listens and its token."""
    check_access_settings(settings)
    token = settings.admin_token or None
    admin = FastAPI(
        title="ficoba-sandbox admin plane",
        version="1",
        description="QA toolkit of the FICOBA sandbox: magic values, journal, clock, quota, "
        "maintenance, faults, dataset, explain. Sandbox only.",
        openapi_url=PREFIX + "/openapi.json",
        # the pages and their assets are served by docs_ui, with no CDN
        docs_url=None,
        redoc_url=None,
    )
    docs_ui.install(admin, PREFIX)
    for router in ROUTERS:
        admin.include_router(router(sandbox))
    console = install(admin, sandbox, settings)
    admin.state.console = console  # its routes, for the access tests
    add_index(admin, lambda request: home_page(console, admin, request))
    admin.add_middleware(
        AdminGuard, token=token, open_loopback=bool(settings.admin_open), console=console
    )
    return admin
