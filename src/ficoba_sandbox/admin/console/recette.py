"""The console's recette page (docs/console.md, "Recette"): start and stop the drills of a
client's run, follow the criteria while it runs, open the report and download it.

Starting and stopping are the admin routes' own functions (admin/recette.py: the plan file of
`ficoba-sandbox recette start|stop`, the journal's RECETTE rows); the criteria are the report's
(recette/criteria.py, in the page's language), evaluated again at each refresh. The report
itself is recette/render.py's HTML, served with a content security policy of its own: it
carries its style sheet inline (one file to archive and send), which the console's policy
forbids, so the report's policy allows exactly that style by its hash (CSP level 3, "hash-source").
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ficoba_sandbox.admin.console.forms import (
    Form,
    FormError,
    back_to_page,
    from_htmx,
    read_form,
)
from ficoba_sandbox.admin.console.layout import CONSOLE, SECURITY_HEADERS, Console, Texts, language
from ficoba_sandbox.admin.recette import arm_drills, disarm_drills, recette_of
from ficoba_sandbox.gateway.clients import DEMO_CLIENT_ID
from ficoba_sandbox.qa.drills import KINDS, ORDER, DrillError
from ficoba_sandbox.recette.collect import RecetteError
from ficoba_sandbox.recette.render import REPORT_CSS, render, to_json

SECTION = "recette"
PAGE = f"{CONSOLE}/{SECTION}"
#: how often the page refreshes the criteria while drills are armed (htmx `every`)
REFRESH_SECONDS = 3
#: the report's own policy: nothing but its inline style sheet, by hash
REPORT_CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(REPORT_CSS.encode("utf-8")).digest()).decode("ascii")
    + "'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOWNLOADS = {"json": "application/json", "md": "text/markdown; charset=utf-8"}

TEXTS: Texts = {
    "en": {
        "intro": "A recette run: arm the drills for a client, let its client run its tests "
        "against the sandbox, follow the criteria here, then stop and take the report to DGFiP.",
        "client": "Client",
        "show": "Show",
        "drills": "Drills to arm",
        "start": "Start the recette (arm the drills)",
        "stop": "Stop the recette (disarm the drills)",
        "status": "Run",
        "armed": "Drills armed",
        "not_armed": "No drills armed",
        "stopped": "Stopped",
        "plan": "Plan",
        "armed_at": "Armed at",
        "disarmed_at": "Disarmed at",
        "calls_seen": "Calls seen since armed",
        "drill": "Drill",
        "at_call": "At call",
        "fired": "Fired at call",
        "pending": "pending",
        "criteria": "Criteria",
        "criterion": "Criterion",
        "verdict": "Verdict",
        "summary": "Figures",
        "calls": "Calls in the report",
        "overall": "Overall verdict",
        "pass": "pass",
        "fail": "fail",
        "not_exercised": "not exercised",
        "pass_with_gaps": "pass with gaps",
        "report": "Report",
        "open_report": "Open the report (HTML)",
        "download_json": "Download JSON",
        "download_md": "Download Markdown",
        "refreshing": "Refreshed every {n} s while drills are armed.",
        "unknown_client": "Unknown client.",
        "no_report": "No report for this client.",
        "bad_form": "This form is not one of the console's.",
    },
    "fr": {
        "intro": "Une recette : armer les exercices pour un client, laisser son logiciel jouer "
        "ses tests contre le bac à sable, suivre les critères ici, puis arrêter et remettre le "
        "rapport à la DGFiP.",
        "client": "Client",
        "show": "Afficher",
        "drills": "Exercices à armer",
        "start": "Démarrer la recette (armer les exercices)",
        "stop": "Arrêter la recette (désarmer les exercices)",
        "status": "Déroulement",
        "armed": "Exercices armés",
        "not_armed": "Aucun exercice armé",
        "stopped": "Arrêtée",
        "plan": "Plan",
        "armed_at": "Armé le",
        "disarmed_at": "Désarmé le",
        "calls_seen": "Appels vus depuis l'armement",
        "drill": "Exercice",
        "at_call": "À l'appel",
        "fired": "Déclenché à l'appel",
        "pending": "en attente",
        "criteria": "Critères",
        "criterion": "Critère",
        "verdict": "Verdict",
        "summary": "Chiffres",
        "calls": "Appels du rapport",
        "overall": "Verdict global",
        "pass": "conforme",
        "fail": "non conforme",
        "not_exercised": "non exercé",
        "pass_with_gaps": "conforme avec lacunes",
        "report": "Rapport",
        "open_report": "Ouvrir le rapport (HTML)",
        "download_json": "Télécharger en JSON",
        "download_md": "Télécharger en Markdown",
        "refreshing": "Rafraîchi toutes les {n} s tant que des exercices sont armés.",
        "unknown_client": "Client inconnu.",
        "no_report": "Pas de rapport pour ce client.",
        "bad_form": "Ce formulaire n'est pas un de ceux de la console.",
    },
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    sandbox = console.sandbox
    registry = sandbox.gateway.registry

    def chosen(client_id: str | None) -> str | None:
        """The client asked for when the registry knows it, else the demo client (if any)."""
        if client_id and registry.get(client_id) is not None:
            return client_id
        if registry.get(DEMO_CLIENT_ID) is not None:
            return DEMO_CLIENT_ID
        return next((record.client_id for record in registry), None)

    async def run_state(client_id: str | None, lang: str) -> dict[str, Any]:
        if client_id is None:
            return {"drills": None, "recette": None}
        drills = sandbox.drills.status(client_id)
        try:
            recette = await run_in_threadpool(recette_of, sandbox, client_id)
        except (RecetteError, ValueError):
            doc = None
        else:
            doc = to_json(recette, lang)
        return {"drills": drills, "recette": doc}

    async def show(
        request: Request,
        client_id: str | None,
        error: str | None = None,
        status_code: int = 200,
        fragment: bool = False,
    ) -> Response:
        lang = language(request)
        context = {
            "client_id": client_id,
            "clients": [record.client_id for record in registry],
            "kinds": [(name, getattr(KINDS[name], lang)) for name in ORDER],
            "page": PAGE,
            "error": error,
            "refresh": REFRESH_SECONDS,
            **await run_state(client_id, lang),
        }
        template = "recette/run.html" if fragment else "recette.html"
        return console.render(request, template, SECTION, TEXTS, status_code=status_code, **context)

    @r.get(PAGE)
    async def page(request: Request, client: str | None = None) -> Response:
        client_id = chosen(client)
        error = "unknown_client" if client and client != client_id else None
        return await show(request, client_id, error, 404 if error else 200)

    @r.get(PAGE + "/run")
    async def run(request: Request, client: str | None = None) -> Response:
        """The run's fragment, which the page refreshes while drills are armed."""
        return await show(request, chosen(client), fragment=from_htmx(request))

    async def act(request: Request, start: bool) -> Response:
        htmx = from_htmx(request)
        try:
            form: Form = await read_form(request)
        except FormError:
            return await show(request, chosen(None), "bad_form", 400, htmx)
        client_id = form.get("client_id", "")
        if registry.get(client_id) is None:
            return await show(request, chosen(None), "unknown_client", 422, htmx)
        if start:
            try:
                # none ticked: all of them, as `recette start` without --drills
                await run_in_threadpool(
                    arm_drills, sandbox, client_id, ",".join(form.getlist("drills")) or "all"
                )
            except DrillError as exc:
                return await show(request, client_id, str(exc), 422, htmx)
        else:
            await run_in_threadpool(disarm_drills, sandbox, client_id)
        if htmx:
            return await show(request, client_id, fragment=True)
        return back_to_page(f"{PAGE}?client={client_id}")

    @r.post(PAGE + "/start")
    async def start(request: Request) -> Response:
        return await act(request, True)

    @r.post(PAGE + "/stop")
    async def stop(request: Request) -> Response:
        return await act(request, False)

    @r.get(PAGE + "/report")
    async def report(request: Request, client: str = "", format: str = "html") -> Response:
        """The report in the console's language: HTML to read, JSON or Markdown to download."""
        lang = language(request)
        if registry.get(client) is None or format not in ("html", *DOWNLOADS):
            return await show(request, chosen(None), "no_report", 404)
        try:
            recette = await run_in_threadpool(recette_of, sandbox, client)
        except (RecetteError, ValueError):
            return await show(request, client, "no_report", 404)
        text = render(recette, format, lang)
        if format == "html":
            headers = {**SECURITY_HEADERS, "Content-Security-Policy": REPORT_CSP}
            return HTMLResponse(text, headers=headers)
        name = f"recette-{client}.{format}"
        return Response(
            text.encode("utf-8"),
            media_type=DOWNLOADS[format],
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    return r
