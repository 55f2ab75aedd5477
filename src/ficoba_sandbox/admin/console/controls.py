"""The console's controls section (docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts

SECTION = "controls"

TEXTS: Texts = {
    "en": {
        "intro": "Clock, maintenance, latency, faults and quota per client, each with its current state."
    },
    "fr": {
        "intro": "Horloge, maintenance, latence, pannes et quota par client, chacun avec son état."
    },
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(f"{CONSOLE}/{SECTION}")
    async def page(request: Request) -> Response:
        return console.render(request, "placeholder.html", SECTION, TEXTS)

    return r
