"""`GET|DELETE faults`, `GET|PUT|DELETE faults/{client_id}`: a client's injected faults (delay,
error rate and code, number of calls, resources), qa/faults.py; docs/qa.md, "Faults"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from ficoba_sandbox.admin.common import PREFIX
from ficoba_sandbox.qa.faults import Fault
from ficoba_sandbox.sandbox import Sandbox


class FaultIn(BaseModel):
    latency_ms: int = Field(0, ge=0)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_code: str = "CAT004"
    remaining: int | None = Field(None, ge=1)
    resources: list[str] = Field(default_factory=list)


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["faults"])

    @r.get("/faults", summary="Every client's faults")
    def faults() -> dict[str, Any]:
        return {cid: f.to_json() for cid, f in sandbox.faults.all().items()}

    @r.get("/faults/{client_id}", summary="A client's faults")
    def fault(client_id: str) -> dict[str, Any]:
        f = sandbox.faults.get(client_id)
        if f is None:
            raise HTTPException(404, f"no fault for {client_id!r}")
        return f.to_json()

    @r.put("/faults/{client_id}", summary="Set a client's faults")
    def fault_set(client_id: str, body: FaultIn) -> dict[str, Any]:
        try:  # an unknown error code or resource
            f = Fault(
                latency_ms=body.latency_ms,
                error_rate=body.error_rate,
                error_code=body.error_code,
                remaining=body.remaining,
                resources=tuple(body.resources),
            )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return sandbox.faults.set(client_id, f).to_json()

    @r.delete("/faults/{client_id}", summary="Clear a client's faults")
    def fault_clear(client_id: str) -> dict[str, Any]:
        return {"cleared": sandbox.faults.clear(client_id)}

    @r.delete("/faults", summary="Clear every client's faults")
    def faults_clear() -> dict[str, Any]:
        return {"cleared": sandbox.faults.clear_all()}

    return r
