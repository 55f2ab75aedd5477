"""A stand-in app for the service-levels tests (and a uvicorn factory for the two-process test).

Outer "gateway" (test only): `Authorization: Bearer <client_id>` -> `request.state.caller`.
Inside it, the real service-levels middleware; then minimal resources.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ficoba_sandbox.api.service_levels import (
    AvailabilityHook,
    QuotaOf,
    Receive,
    Scope,
    Send,
    ServiceLevels,
    install_service_levels,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ficoba_sandbox.domain.access import Caller
from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.settings import Settings

PREFIX = "/fcb-masrestit/api/v2"


class StubGateway:
    def __init__(self, app: Callable[..., Any], tiers: dict[str, int] | None = None) -> None:
        self.app = app
        self.tiers = tiers or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", []):
                if name == b"authorization" and value.startswith(b"Bearer "):
                    client_id = value[7:].decode()
                    state = scope.setdefault("state", {})
                    state["caller"] = Caller(client_id)
                    if client_id in self.tiers:  # as the gateway does, from the registry
                        state["client_quota_per_minute"] = self.tiers[client_id]
        await self.app(scope, receive, send)


async def resource(request: Request) -> JSONResponse:
    return JSONResponse({"resource": request.url.path.rsplit("/", 1)[-1]})


async def etat_sante(request: Request) -> JSONResponse:
    return JSONResponse({"descriptif": "L'API est opérationnelle"})


async def token(request: Request) -> JSONResponse:
    return JSONResponse({"access_token": "x", "token_type": "Bearer"})


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    quota_of: QuotaOf | None = None,
    availability: AvailabilityHook | None = None,
    tiers: dict[str, int] | None = None,
) -> tuple[Starlette, ServiceLevels]:
    app = Starlette(
        routes=[
            Route(f"{PREFIX}/comptes/{{name}}", resource, methods=["POST"]),
            Route(f"{PREFIX}/etatSante", etat_sante, methods=["GET"]),
            Route("/token", token, methods=["POST"]),
        ]
    )
    if clock is not None:
        app.state.clock = clock
    levels = install_service_levels(app, settings, quota_of=quota_of, availability=availability)
    app.add_middleware(StubGateway, tiers=tiers)  # added last: runs first, as the real gateway does
    return app, levels


def factory() -> Starlette:
    """uvicorn --factory entry: settings from FICOBA_SANDBOX_* (quota storage, default quota)."""
    assert os.environ.get("FICOBA_SANDBOX_QUOTA_STORAGE")
    return build(Settings())[0]
