"""The console's personas section (docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts

SECTION = "personas"

TEXTS: Texts = {
    "en": {"intro": "Search the fictitious file by name, IBAN, SPI, SIREN or SIRET."},
    "fr": {"intro": "Chercher dans le fichier fictif par nom, IBAN, SPI, SIREN ou SIRET."},
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(f"{CONSOLE}/{SECTION}")
    async def page(request: Request) -> Response:
        return console.render(request, "placeholder.html", SECTION, TEXTS)

    return r
