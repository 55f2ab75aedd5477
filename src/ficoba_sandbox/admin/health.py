"""`GET health` (liveness) and `GET ready` (readiness: dataset, gateway, client registry, journal,
quota storage); docs/qa.md, "Admin plane".

A registry file that does not load is not a reason to restart the process (it serves the last
version it read): `health` stays 200 and says `degraded`, `ready` answers 503 with the reason,
until the file loads again (docs/reliability.md, "The client registry on disk")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ficoba_sandbox.admin.common import PREFIX
from ficoba_sandbox.sandbox import Sandbox


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["health"])

    @r.get("/health", summary="Liveness")
    def health() -> dict[str, Any]:
        fault = sandbox.gateway.registry.check()
        # the published contract followed (docs/contract-versions.md)
        version = sandbox.contract.name
        if fault is None:
            return {"status": "ok", "contract_version": version}
        return {"status": "degraded", "problems": {"registry": fault}, "contract_version": version}

    @r.get("/ready", summary="Readiness: data, gateway keys, journal, quota")
    async def ready() -> JSONResponse:
        registry_fault = sandbox.gateway.registry.check()
        checks: dict[str, bool] = {
            "dataset": sandbox.store is not None,
            "gateway": sandbox.gateway is not None,
            "registry": registry_fault is None,
            "journal": sandbox.journal.healthy,
            "quota_storage": await sandbox.levels.quota.check(),
        }
        ok = all(checks.values())
        # 503 so that a probe which only reads the status code sees "not ready"
        body: dict[str, Any] = {"status": "ready" if ok else "not ready", "checks": checks}
        if registry_fault is not None:
            body["problems"] = {"registry": registry_fault}
        return JSONResponse(
            body,
            status_code=200 if ok else 503,
        )

    return r
