"""`GET magic` and `GET magic/{name}`: the magic-value catalogue (qa/magic.py) with complete
request bodies for the demo client or the one named by `?client_id=` (docs/qa.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from ficoba_sandbox.admin.common import PREFIX, requester, today
from ficoba_sandbox.qa import magic
from ficoba_sandbox.sandbox import Sandbox


def router(sandbox: Sandbox) -> APIRouter:
    registry = sandbox.gateway.registry
    r = APIRouter(prefix=PREFIX, tags=["magic"])

    @r.get("/magic", summary="The magic-value catalogue")
    def magic_catalogue(
        client_id: str | None = Query(None, description="build bodies for this client"),
        prefix: str = Query("/ficoba-api/v2"),
    ) -> dict[str, Any]:
        who = requester(registry, client_id)
        return {
            "client_id": who.client_id,
            "header": magic.HEADER,
            "justification_token": "sandbox-scenario:<name>",
            "rules": [
                "The request is processed for real first; only an HTTP 200 answer is replaced "
                "by the entry's outcome: validation errors always win.",
                "Technical entries apply on every resource when named by header.",
                "A data entry named by header answers as if criteresRecherche were the entry's.",
            ],
            "entries": magic.catalogue(
                siret=who.siret, motif=who.motif, today=today(sandbox), prefix=prefix
            ),
        }

    @r.get("/magic/{name}", summary="One entry of the catalogue")
    def magic_entry(name: str, client_id: str | None = None) -> dict[str, Any]:
        entry = magic.get(name)
        if entry is None:
            raise HTTPException(404, {"unknown": name, "valid": magic.names()})
        who = requester(registry, client_id)
        return magic.describe(entry, siret=who.siret, motif=who.motif, today=today(sandbox))

    return r
