"""`GET events`: the security events in memory, newest last (docs/security.md, "Security
events"). Filters: `type` (repeatable), `client`, `severity` (at least: low, medium, high,
critical), `since` (ISO 8601), `limit`. The events file holds them all (`events export`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from ficoba_sandbox.admin.common import PREFIX
from ficoba_sandbox.events import EventType, Severity
from ficoba_sandbox.sandbox import Sandbox


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["events"])

    @r.get("/events", summary="Security events (ECS: see the events file)")
    def events(
        type: Annotated[list[str] | None, Query()] = None,
        client: str | None = None,
        severity: str | None = None,
        since: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        known = {str(t) for t in EventType}
        unknown = sorted(set(type or ()) - known)
        if unknown:
            raise HTTPException(
                400,
                f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            )
        level = None
        if severity is not None:
            try:
                level = Severity[severity.upper()]
            except KeyError:
                raise HTTPException(
                    400, "severity: one of " + ", ".join(s.name.lower() for s in Severity)
                ) from None
        after = None
        if since is not None:
            try:
                after = datetime.fromisoformat(since.replace("Z", "+00:00"))
            except ValueError:
                raise HTTPException(400, f"since {since!r}: an ISO 8601 instant") from None
            if after.tzinfo is None:
                after = after.replace(tzinfo=UTC)
        log = sandbox.events
        chosen = log.recent(
            types=type or (), client_id=client, severity=level, since=after, limit=limit
        )
        return {
            "events": [e.document() for e in chosen],
            "counts": dict(log.counts()),
            "dropped": log.dropped,
        }

    return r
