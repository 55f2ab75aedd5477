"""`GET health` (liveness) and `GET ready` (readiness: dataset, gateway, journal, quota storage);
docs/qa.md, "Admin plane"."""

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
        return {"status": "ok"}

    @r.get("/ready", summary="Readiness: data, gateway keys, journal, quota")
    async def ready() -> JSONResponse:
        checks: dict[str, bool] = {
            "dataset": sandbox.store is not None,
            "gateway": sandbox.gateway is not None,
            "journal": sandbox.journal.healthy,
            "quota_storage": await sandbox.levels.quota.check(),
        }
        ok = all(checks.values())
        # 503 so that a probe which only reads the status code sees "not ready"
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    return r
