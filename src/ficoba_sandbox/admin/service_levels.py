"""`GET service-levels` (all of them, and the TLS handshakes the API listener refused, counted
by reason), `GET|POST maintenance` (forced down, forced up, or back to the schedule) and `GET|PUT latency`
(the emulated latency): the service levels the pipeline consults at each call (docs/quota.md).
The quota, the third service level, is driven per client (admin/clients.py)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from ficoba_sandbox.admin.common import PREFIX
from ficoba_sandbox.gateway.latency import Latency
from ficoba_sandbox.sandbox import Sandbox


class MaintenanceIn(BaseModel):
    state: Literal["down", "up", "schedule"]  # MaintenanceState


class LatencyIn(BaseModel):
    spec: str = Field("", description="as --latency: 200ms | p50=80ms,p99=400ms | numCpte=300ms")


MaintenanceState = Literal["down", "up", "schedule"]


def set_maintenance(sandbox: Sandbox, state: MaintenanceState) -> None:
    """Forced down, forced up, or back to the schedule (also the console's controls)."""
    levels = sandbox.levels
    {"down": levels.force_down, "up": levels.force_up, "schedule": levels.release}[state]()


def set_latency(sandbox: Sandbox, spec: str) -> None:
    """Replace the emulated latency ('' = none); ValueError for a spec that does not parse."""
    # the sandbox's seed, as at start, so a log-normal latency draws the same delays
    sandbox.levels.latency = Latency.parse(spec, seed=sandbox.settings.seed)


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["service"])

    def latency_json() -> dict[str, Any]:
        levels = sandbox.levels
        return {"latency": levels.latency.describe(), "request_timeout": levels.request_timeout}

    @r.get("/service-levels", summary="Quota, service hours, latency, refused TLS handshakes")
    def service_levels() -> dict[str, Any]:
        # the handshakes the API listener refused, by reason (gateway/handshakes.py)
        return sandbox.levels.describe()

    @r.get("/maintenance", summary="Maintenance state and schedule")
    def maintenance() -> dict[str, Any]:
        return sandbox.levels.service_state()

    @r.post("/maintenance", summary="down | up | schedule")
    def maintenance_set(body: MaintenanceIn) -> dict[str, Any]:
        set_maintenance(sandbox, body.state)
        return sandbox.levels.service_state()

    @r.get("/latency", summary="The emulated latency")
    def latency() -> dict[str, Any]:
        return latency_json()

    @r.put("/latency", summary="Replace the emulated latency ('' = none)")
    def latency_set(body: LatencyIn) -> dict[str, Any]:
        try:
            set_latency(sandbox, body.spec)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return latency_json()

    return r
