"""The console's clients section (docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts

SECTION = "clients"

TEXTS: Texts = {
    "en": {"intro": "The client registry: create a client and download its credentials."},
    "fr": {"intro": "Le registre des clients : créer un client et télécharger ses identifiants."},
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(f"{CONSOLE}/{SECTION}")
    async def page(request: Request) -> Response:
        return console.render(request, "placeholder.html", SECTION, TEXTS)

    return r
