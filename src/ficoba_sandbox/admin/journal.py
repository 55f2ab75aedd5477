"""`GET journal` (rows, newest first, filtered) and its purge: `DELETE journal`, or
`POST journal/purge` for a tool or an HTML form that cannot send a DELETE (docs/qa.md); a purge is
an admin event, stored with it, which `GET journal/events` lists (docs/security.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from ficoba_sandbox.admin.common import PREFIX, admin_event
from ficoba_sandbox.sandbox import Sandbox


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["journal"])

    @r.get("/journal", summary="Journal rows, newest first")
    def journal_rows(
        client: str | None = None,
        since: str | None = Query(None, description="ISO 8601 or relative: 10m, 2h, 1d"),
        status: str | None = Query(None, description="429, 4xx, error"),
        limit: int = Query(100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        try:
            rows = sandbox.journal.query(client_id=client, since=since, status=status, limit=limit)
        except ValueError as exc:  # a `since` or `status` the reader cannot parse
            raise HTTPException(400, str(exc)) from None
        return {"count": len(rows), "rows": rows}

    @r.delete("/journal", summary="Purge the journal (or one client's rows)")
    def journal_purge(request: Request, client: str | None = None) -> dict[str, Any]:
        event = admin_event(request, "journal.purge", client=client)
        return {"purged": sandbox.journal.purge(client, event)}

    @r.post("/journal/purge", summary="Purge (POST form)")
    def journal_purge_post(request: Request, client: str | None = None) -> dict[str, Any]:
        return journal_purge(request, client)

    @r.get("/journal/events", summary="Admin events: purges, clock moved back, resets, revocations")
    def journal_events(
        since: str | None = Query(None, description="ISO 8601 or relative: 10m, 2h, 1d"),
        limit: int = Query(100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        try:
            events = sandbox.journal.events(since=since, limit=limit)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"count": len(events), "events": events}

    return r
