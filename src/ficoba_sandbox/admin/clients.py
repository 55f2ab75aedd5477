"""`GET clients`, `GET clients/{id}`: the registry's clients with their quota state and fault;
`POST clients/{id}/quota/reset` and `quota/fill` drive a client's quota (docs/quota.md); a
reset is an admin event (docs/security.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ficoba_sandbox.admin.common import PREFIX, admin_event, known_client
from ficoba_sandbox.gateway.registry import ClientRecord
from ficoba_sandbox.sandbox import Sandbox


class QuotaFillIn(BaseModel):
    calls: int | None = Field(None, ge=1, description="calls to count (default: the whole quota)")


# What the routes below and the console's controls (console/controls.py) both do.


async def reset_quota(sandbox: Sandbox, request: Request, client_id: str) -> None:
    """Forget the client's counted calls; an admin event (docs/security.md)."""
    await sandbox.levels.reset_quota(client_id)
    event = admin_event(request, "quota.reset", client_id=client_id)
    await run_in_threadpool(sandbox.journal.record_event, event)


async def fill_quota(sandbox: Sandbox, client_id: str, calls: int | None = None) -> None:
    """Count `calls` calls now (default: the whole quota)."""
    levels = sandbox.levels
    quota = levels.quota_for(client_id)
    # counted by the quota itself, so the next API call meets the real 429 (docs/quota.md)
    for _ in range(calls or quota):
        decision = await levels.quota.hit(client_id, quota)
        if not decision.allowed:
            break


def router(sandbox: Sandbox) -> APIRouter:
    registry = sandbox.gateway.registry
    r = APIRouter(prefix=PREFIX, tags=["clients"])

    async def client_json(record: ClientRecord) -> dict[str, Any]:
        fault = sandbox.faults.get(record.client_id)
        return {
            "client_id": record.client_id,
            "revoked": record.revoked,
            "quota_per_minute": record.quota_per_minute,
            "modalities": sorted(record.modalities),
            "scopes": sorted(record.scopes),
            "operation_scopes": sorted(record.operation_scopes),
            "sirets": sorted(record.sirets),
            "motifs": {m: sorted(str(t) for t in ts) for m, ts in record.motifs.items()},
            "cert_not_after": record.cert_not_after,
            "quota": await sandbox.levels.quota_state(record.client_id),
            "fault": fault.to_json() if fault else None,
        }

    @r.get("/clients", summary="Clients with their quota state")
    async def clients() -> dict[str, Any]:
        return {"clients": [await client_json(record) for record in registry]}

    @r.get("/clients/{client_id}", summary="One client with its quota state")
    async def client(client_id: str) -> dict[str, Any]:
        return await client_json(known_client(registry, client_id))

    @r.post("/clients/{client_id}/quota/reset", summary="Reset the quota")
    async def quota_reset(request: Request, client_id: str) -> dict[str, Any]:
        known_client(registry, client_id)
        await reset_quota(sandbox, request, client_id)
        return await sandbox.levels.quota_state(client_id)

    @r.post("/clients/{client_id}/quota/fill", summary="Count calls now")
    async def quota_fill(client_id: str, body: QuotaFillIn | None = None) -> dict[str, Any]:
        known_client(registry, client_id)
        await fill_quota(sandbox, client_id, body.calls if body else None)
        return await sandbox.levels.quota_state(client_id)

    return r
