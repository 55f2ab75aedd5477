"""Gateway test fixtures: the real app, whose pipeline serves one more resource, `probe`, that
answers what the gateway's steps established (the caller, the ids, the peer)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ficoba_sandbox.api.call import Answer, Call, Resource
from ficoba_sandbox.api.pipeline import Pipeline
from ficoba_sandbox.api.resources import BACKEND_PREFIX, PREFIXES
from ficoba_sandbox.app import SandboxApp, create_app
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.settings import Settings


class ProbePipeline(Pipeline):
    """The app's pipeline, every step real, with a GET `probe` under both prefixes and at
    `/elsewhere` (a path outside the prefixes: the gateway protects it too)."""

    def __init__(self, app: SandboxApp) -> None:
        super().__init__(app.sandbox, app.serve_documentation)
        for prefix in PREFIXES:
            self.resources[f"{prefix}/probe"] = Resource(
                "probe", "GET", backend_prefix=prefix == BACKEND_PREFIX
            )
        self.resources["/elsewhere"] = Resource("probe", "GET")

    async def resource(self, call: Call) -> None:
        if call.resource is None or call.resource.name != "probe":
            await super().resource(call)
            return
        caller = call.caller
        assert caller is not None
        body = orjson.dumps(
            {
                "client_id": caller.client_id,
                "modalities": sorted(caller.modalities),
                "scopes": sorted(caller.scopes),
                "sirets": sorted(caller.sirets),
                "sirens": sorted(caller.sirens),
                "motifs": {m: sorted(t) for m, t in caller.motifs.items()},
                "correlation_id": call.correlation_id,
                "request_id": call.request_id,
                "peer_ip": call.peer.ip,
                "tls": call.peer.cert_der is not None and not call.peer.via_proxy,
            }
        )
        call.answer = Answer(
            200,
            body,
            [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        )


def probe_app(settings: Settings, clock: Any = None) -> SandboxApp:
    app = create_app(settings, clock=clock or SystemClock())
    app.pipeline = ProbePipeline(app)
    return app


@pytest.fixture
def clock() -> SystemClock:
    c = SystemClock()
    c.freeze()
    return c


@pytest.fixture
def gw_app(settings: Settings, clock: SystemClock) -> SandboxApp:
    return probe_app(settings, clock)


@pytest.fixture
def make_gw_app(settings: Settings, clock: SystemClock) -> Any:
    """`make_gw_app(**settings_overrides)`: a probe app on modified settings."""

    def _make(**overrides: Any) -> SandboxApp:
        return probe_app(settings.model_copy(update=overrides), clock)

    return _make
