"""The console's journal section (docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts

SECTION = "journal"

TEXTS: Texts = {
    "en": {"intro": "Every call, live, with its explanation."},
    "fr": {"intro": "Chaque appel, en direct, avec son explication."},
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(f"{CONSOLE}/{SECTION}")
    async def page(request: Request) -> Response:
        return console.render(request, "placeholder.html", SECTION, TEXTS)

    return r
