"""Admin plane routes of the recette, under `/__sandbox/recette/`.

- `GET /__sandbox/recette/{client_id}?format=html|json|md&lang=fr|en&since=T`: the report;
- `GET|POST|DELETE /__sandbox/recette/{client_id}/drills[?drills=all|LIST]`: drill state, arm,
  disarm (the same plan file as `ficoba-sandbox recette start|stop`).

`router(sandbox)` takes the running sandbox (its settings, journal, drills, store).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from ficoba_sandbox.admin.common import PREFIX, known_client
from ficoba_sandbox.qa.drills import (
    DrillError,
    Plan,
    disarm,
    make_plan,
    parse_drills,
    record_event,
    write_plan,
)
from ficoba_sandbox.recette.collect import Recette, RecetteError, build_recette
from ficoba_sandbox.recette.render import render, to_json
from ficoba_sandbox.recette.server_info import server_info
from ficoba_sandbox.sandbox import Sandbox

# What the routes below and the console's recette page (console/recette.py) both do.


def recette_of(sandbox: Sandbox, client_id: str, since: str | None = None) -> Recette:
    """The client's recette as this running server sees it; RecetteError for a client without
    a registration, ValueError for a `since` that does not parse."""
    settings = sandbox.settings
    sandbox.journal.flush(timeout=5.0)
    server = server_info(
        settings.seed,
        settings.size,
        settings.default_quota,
        sandbox.store,
        events_file=sandbox.events.path,
    )
    # the TLS handshakes this server refused (gateway/handshakes.py): a client whose
    # certificate is refused never reaches the journal, so the report says it from here
    server["tls_handshakes_refused"] = sandbox.levels.handshakes.describe()
    return build_recette(Path(settings.state_dir), client_id, since, server=server)


def arm_drills(sandbox: Sandbox, client_id: str, drills: str = "all") -> Plan:
    """Arm the drills (`all` or a comma-separated list) for the client's run; DrillError for a
    bad list. The same plan file as `ficoba-sandbox recette start`."""
    state_dir = Path(sandbox.settings.state_dir)
    plan = make_plan(client_id, parse_drills(drills))
    write_plan(state_dir, plan)
    sandbox.drills.plans.forget(client_id)
    record_event(state_dir, client_id, "start", plan, journal=sandbox.journal)
    return plan


def disarm_drills(sandbox: Sandbox, client_id: str) -> Plan | None:
    """Disarm the client's drills (None when none were armed)."""
    state_dir = Path(sandbox.settings.state_dir)
    plan = disarm(state_dir, client_id)
    sandbox.drills.plans.forget(client_id)
    if plan is not None:
        record_event(state_dir, client_id, "stop", plan, journal=sandbox.journal)
    return plan


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX + "/recette", tags=["recette"])

    @r.get("/{client_id}", summary="Recette report of a client (html, json or md)")
    def recette_report(
        client_id: str,
        format: Literal["html", "json", "md"] = Query("json"),
        lang: Literal["fr", "en"] = Query("fr"),
        since: str | None = Query(None, description="ISO 8601 instant or age: 90s, 15m, 2h, 7d"),
    ) -> Response:
        try:
            recette = recette_of(sandbox, client_id, since)
        except RecetteError as exc:
            raise HTTPException(404, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        if format == "json":
            return JSONResponse(to_json(recette, lang))
        text = render(recette, format, lang)
        if format == "html":
            return HTMLResponse(text)
        return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")

    @r.get("/{client_id}/drills", summary="Drill plan and what fired so far")
    def drills_status(client_id: str) -> dict[str, Any]:
        return sandbox.drills.status(client_id)

    @r.post("/{client_id}/drills", summary="Arm the drills for a client's run")
    def drills_arm(client_id: str, drills: str = Query("all")) -> dict[str, Any]:
        known_client(sandbox.gateway.registry, client_id)
        try:
            return arm_drills(sandbox, client_id, drills).to_json()
        except DrillError as exc:
            raise HTTPException(400, str(exc)) from None

    @r.delete("/{client_id}/drills", summary="Disarm the drills")
    def drills_disarm(client_id: str) -> dict[str, Any]:
        plan = disarm_drills(sandbox, client_id)
        return {"client_id": client_id, "plan": plan.to_json() if plan else None}

    return r
