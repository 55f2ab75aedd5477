"""Gateway test fixtures: a probe app (gateway + routes echoing what the gateway established)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Request

from ficoba_sandbox.api.gateway import install_gateway
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.settings import Settings


def probe_app(settings: Settings, clock: Any = None) -> FastAPI:
    """The gateway on a bare app whose routes (under both prefixes) echo `request.state`."""
    app = FastAPI()
    app.state.clock = clock or SystemClock()

    async def whoami(request: Request) -> dict[str, Any]:
        caller = request.state.caller
        tls = request.scope.get("extensions", {}).get("tls")
        return {
            "client_id": caller.client_id,
            "modalities": sorted(caller.modalities),
            "scopes": sorted(caller.scopes),
            "sirets": sorted(caller.sirets),
            "sirens": sorted(caller.sirens),
            "motifs": {m: sorted(t) for m, t in caller.motifs.items()},
            "correlation_id": request.state.correlation_id,
            "request_id": request.state.request_id,
            "peer_ip": request.state.peer_ip,
            "tls": tls is not None,
        }

    for prefix in ("/ficoba-api/v2", "/fcb-masrestit/api/v2"):
        app.add_api_route(f"{prefix}/probe", whoami, methods=["GET", "POST"])
        app.add_api_route(f"{prefix}/etatSante", whoami, methods=["GET"])
    app.add_api_route("/elsewhere", whoami, methods=["GET"])
    install_gateway(app, settings)
    return app


@pytest.fixture
def clock() -> SystemClock:
    c = SystemClock()
    c.freeze()
    return c


@pytest.fixture
def gw_app(settings: Settings, clock: SystemClock) -> FastAPI:
    return probe_app(settings, clock)


@pytest.fixture
def make_gw_app(settings: Settings, clock: SystemClock) -> Any:
    """`make_gw_app(**settings_overrides)`: a probe app on modified settings."""

    def _make(**overrides: Any) -> FastAPI:
        return probe_app(settings.model_copy(update=overrides), clock)

    return _make
