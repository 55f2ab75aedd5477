"""The console's magic section (docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts

SECTION = "magic"

TEXTS: Texts = {
    "en": {"intro": "The magic values by outcome; send one through the real API."},
    "fr": {"intro": "Les valeurs magiques par résultat ; en envoyer une par la vraie API."},
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(f"{CONSOLE}/{SECTION}")
    async def page(request: Request) -> Response:
        return console.render(request, "placeholder.html", SECTION, TEXTS)

    return r
