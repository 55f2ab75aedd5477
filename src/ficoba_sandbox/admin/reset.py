"""`POST reset[?client_id=]`: the sandbox back to a clean state between test runs: faults off,
maintenance back to the schedule, the emulated latency back to the one the server started with
(its draws from the start again), clock back to the wall clock, the named client's quota reset
(docs/qa.md, "Admin plane"). It is an admin event, with the clock's move when it went back
(docs/security.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ficoba_sandbox.admin.clock import clock_json, moved_back, reset_clock
from ficoba_sandbox.admin.common import PREFIX, admin_event
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.latency import Latency
from ficoba_sandbox.sandbox import Sandbox


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["service"])

    @r.post("/reset", summary="Faults off, schedule and latency back, clock back")
    async def reset_all(request: Request, client_id: str | None = None) -> dict[str, Any]:
        before = sandbox.clock.now()
        sandbox.faults.clear_all()
        sandbox.levels.release()
        settings = sandbox.settings
        sandbox.levels.latency = Latency.parse(settings.latency, seed=settings.seed)
        if client_id:
            await sandbox.levels.reset_quota(client_id)
        # unlike POST clock/reset, a clock that cannot be driven is no error: nothing to undo
        if isinstance(sandbox.clock, SystemClock):
            reset_clock(sandbox.clock)
        back = moved_back(before, sandbox.clock.now()) or {}
        event = admin_event(request, "reset", client_id=client_id, **back)
        await run_in_threadpool(sandbox.journal.record_event, event)  # a short SQLite write
        return {"reset": True, "clock": clock_json(sandbox)}

    return r
