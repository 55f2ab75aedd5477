"""The console's recette section (docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts

SECTION = "recette"

TEXTS: Texts = {
    "en": {"intro": "The recette drills of a client, the live criteria and the report."},
    "fr": {"intro": "Les exercices de recette d'un client, les critères en direct et le rapport."},
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(f"{CONSOLE}/{SECTION}")
    async def page(request: Request) -> Response:
        return console.render(request, "placeholder.html", SECTION, TEXTS)

    return r
