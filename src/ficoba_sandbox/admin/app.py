"""The admin plane: `create_admin_app(sandbox, settings)`, a FastAPI app on its own listener.

Plain HTTP on loopback by default (`--admin-host`, `--admin-port`, 8081), so mutual TLS never
locks QA out (docs/architecture.md). Every route is under `/__sandbox/`; its OpenAPI is
`/__sandbox/openapi.json` (Swagger UI: `/__sandbox/docs`).

Access: a caller from a loopback address needs nothing while the listener is bound to loopback.
Any other caller, and every caller when the listener is bound elsewhere, must send the admin token
(`--admin-token` / `FICOBA_SANDBOX_ADMIN_TOKEN`) as `Authorization: Bearer <token>` or
`X-Admin-Token: <token>`; without a configured token they are refused (403). Binding to a
non-loopback address without a token is refused at start (`AdminConfigError`).

The routes drive the running `Sandbox` (its clock, service levels, faults, journal, registry,
dataset, feedback, drills); nothing here is rebuilt. One router per concern, each in its module:
`health`, `catalogue` (magic values), `journal`, `clients` (and their quota), `clock`,
`service_levels` (maintenance, latency), `faults`, `reset`, `dataset`, `explain`, `recette`.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ficoba_sandbox.admin.catalogue import router as catalogue_router
from ficoba_sandbox.admin.clients import router as clients_router
from ficoba_sandbox.admin.clock import router as clock_router
from ficoba_sandbox.admin.common import PREFIX
from ficoba_sandbox.admin.dataset import router as dataset_router
from ficoba_sandbox.admin.explain import router as explain_router
from ficoba_sandbox.admin.faults import router as faults_router
from ficoba_sandbox.admin.health import router as health_router
from ficoba_sandbox.admin.journal import router as journal_router
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


class AdminGuard:
    """Pure-ASGI access check (runs before routing, so 404s do not leak either)."""

    def __init__(self, app: ASGIApp, token: str | None, bound_loopback: bool) -> None:
        self.app = app
        self.token = token
        self.bound_loopback = bound_loopback

    def _presented(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        given = headers.get("x-admin-token")
        if given is not None:
            return given.strip()
        text = headers.get("authorization", "").strip()
        if text[:7].lower() == "bearer ":
            return text[7:].strip()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        free = self.bound_loopback and is_loopback(peer)
        if not free:
            given = self._presented(scope)
            ok = (
                self.token is not None
                and given is not None
                and hmac.compare_digest(given.encode(), self.token.encode())
            )
            if not ok:
                resp = JSONResponse(
                    {
                        "error": "forbidden",
                        "detail": "admin token required for non-loopback callers"
                        if self.token
                        else "the admin plane only answers loopback callers (no admin token "
                        "configured)",
                    },
                    status_code=403,
                )
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_admin_app(sandbox: Sandbox, settings: Settings) -> FastAPI:
    """The admin plane over `sandbox`; `settings` says where it listens and its token."""
    host = settings.admin_host
    token = settings.admin_token or None
    bound_loopback = is_loopback(host)
    if not bound_loopback and not token:
        raise AdminConfigError(
            f"the admin plane is bound to {host}, not loopback: set --admin-token "
            "(FICOBA_SANDBOX_ADMIN_TOKEN)"
        )
    admin = FastAPI(
        title="ficoba-sandbox admin plane",
        version="1",
        description="QA toolkit of the FICOBA sandbox: magic values, journal, clock, quota, "
        "maintenance, faults, dataset, explain. Sandbox only.",
        openapi_url=PREFIX + "/openapi.json",
        docs_url=PREFIX + "/docs",
        redoc_url=None,
    )
    for router in ROUTERS:
        admin.include_router(router(sandbox))
    admin.add_middleware(AdminGuard, token=token, bound_loopback=bound_loopback)
    return admin
