"""The console's journal (docs/console.md, "Journal"): the calls as they arrive, filtered, and
beside a chosen call its request and answer as the journal keeps them (masked, docs/journal.md)
and why it got that answer (admin/explain.py).

Live by short polling: while the view is live, htmx fetches the rows again every
REFRESH_SECONDS (`/__sandbox/console/journal/rows`, the same filters); the filters are the
page's query string, so a filtered view is a link to share, and work without JavaScript.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ficoba_sandbox.admin.console.forms import paris_time
from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts, language
from ficoba_sandbox.admin.explain import explain, explain_call
from ficoba_sandbox.domain.access import SearchType
from ficoba_sandbox.qa import console_mark, magic

SECTION = "journal"
PAGE = f"{CONSOLE}/{SECTION}"
#: how often a live view fetches the rows again (htmx `every`)
REFRESH_SECONDS = 2
#: rows a view shows (the newest)
ROWS_SHOWN = 50
FILTERS = ("client", "status", "code", "search_type", "correlation_id", "from", "to")

TEXTS: Texts = {
    "en": {
        "intro": "Every call the API answered, newest first, as the audit journal keeps it "
        "(secrets masked, tokens as references). Choose a call to see its request, its answer "
        "and why it got it.",
        "filters": "Filters",
        "client": "Client",
        "any": "any",
        "status": "Status (200, 4xx, error)",
        "code": "Code (erreur or messageInformatif)",
        "search_type": "Search type",
        "correlation_id": "X-Correlation-ID",
        "from": "From (Paris time)",
        "to": "To (Paris time)",
        "apply": "Filter",
        "clear_filters": "Clear the filters",
        "live": "Live: refreshed every {n} s.",
        "paused": "Paused.",
        "pause": "Pause",
        "resume": "Resume live",
        "rows": "Calls",
        "status_column": "Status",
        "time": "Time (UTC)",
        "call": "Call",
        "latency": "ms",
        "from_console": "console",
        "why": "why",
        "none": "No call matches.",
        "detail": "The call",
        "request": "Request (as journalled, masked)",
        "answer": "Answer",
        "details": "What the journal noted",
        "explanation": "Why",
        "contract": "Contract",
        "magic_value": "Magic value",
        "fault": "Injected by a configured fault (Controls).",
        "answered": "Answered {status}: the request was accepted.",
        "no_body": "(no body)",
        "unknown_row": "No such call in the journal.",
        "bad_filter": "A filter could not be read",
    },
    "fr": {
        "intro": "Chaque appel auquel l'API a répondu, du plus récent au plus ancien, tel que le "
        "journal d'audit le garde (secrets masqués, jetons en références). Choisissez un appel "
        "pour voir sa requête, sa réponse et pourquoi il l'a reçue.",
        "filters": "Filtres",
        "client": "Client",
        "any": "tous",
        "status": "Statut (200, 4xx, error)",
        "code": "Code (erreur ou messageInformatif)",
        "search_type": "Type de recherche",
        "correlation_id": "X-Correlation-ID",
        "from": "Depuis (heure de Paris)",
        "to": "Jusqu'à (heure de Paris)",
        "apply": "Filtrer",
        "clear_filters": "Effacer les filtres",
        "live": "En direct : rafraîchi toutes les {n} s.",
        "paused": "En pause.",
        "pause": "Mettre en pause",
        "resume": "Reprendre le direct",
        "rows": "Appels",
        "status_column": "Statut",
        "time": "Heure (UTC)",
        "call": "Appel",
        "latency": "ms",
        "from_console": "console",
        "why": "pourquoi",
        "none": "Aucun appel ne correspond.",
        "detail": "L'appel",
        "request": "Requête (telle que journalisée, masquée)",
        "answer": "Réponse",
        "details": "Ce que le journal a noté",
        "explanation": "Pourquoi",
        "contract": "Contrat",
        "magic_value": "Valeur magique",
        "fault": "Injectée par une panne configurée (Commandes).",
        "answered": "Réponse {status} : la requête a été acceptée.",
        "no_body": "(pas de corps)",
        "unknown_row": "Pas d'appel de ce numéro dans le journal.",
        "bad_filter": "Un filtre n'a pas pu être lu",
    },
}


def chosen_filters(request: Request) -> dict[str, str]:
    return {k: v.strip() for k in FILTERS if (v := request.query_params.get(k, "")).strip()}


def explanation(console: Console, row: dict[str, Any], lang: str) -> dict[str, Any]:
    """Why the call of `row` got its answer, in `lang`: the explanation of its code (and the
    feedback's message naming the attribute at fault), the magic value or the fault behind it."""
    details = row.get("details") if isinstance(row.get("details"), dict) else {}
    out: dict[str, Any] = {"text": None, "contract": None, "magic": None, "fault": False}
    scenario = (details or {}).get("scenario")
    entry = magic.get(scenario) if scenario else None
    if entry is not None:
        out["magic"] = {"name": entry.name, "title": entry.titre if lang == "fr" else entry.title}
    status = int(row.get("status") or 0)
    if status < 400:
        # a 200 "no result" says why in messageInformatif; any other success needs no why
        found = explain(row["info_code"]) if row.get("info_code") else None
    else:
        found = explain_call(console.sandbox, row.get("client_id") or "", row)
    if found is None:
        return out
    out["text"] = found.get(lang)
    out["message"] = found.get("message")
    out["code"] = found.get("code")
    out["contract"] = found.get("contract_section")
    out["fault"] = bool(found.get("fault") or (details or {}).get("fault"))
    if out["magic"] is None and found.get("scenario"):
        entry = magic.get(str(found["scenario"]))
        if entry is not None:
            out["magic"] = {
                "name": entry.name,
                "title": entry.titre if lang == "fr" else entry.title,
            }
    return out


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    sandbox = console.sandbox

    def query(filters: dict[str, str], **more: Any) -> list[dict[str, Any]]:
        """The matching rows, newest first (blocking: the journal commits what is queued)."""
        return sandbox.journal.query(
            client_id=filters.get("client"),
            status=filters.get("status"),
            code=filters.get("code"),
            search_type=filters.get("search_type"),
            correlation_id=filters.get("correlation_id"),
            since=paris_time(filters.get("from", "")),
            until=paris_time(filters.get("to", "")),
            limit=ROWS_SHOWN,
            **more,
        )

    async def rows_context(request: Request) -> dict[str, Any]:
        filters = chosen_filters(request)
        live = request.query_params.get("live", "1") != "0"
        error = None
        try:
            rows = await run_in_threadpool(query, filters)
        except ValueError as exc:  # a status, or a time, the journal cannot read
            rows, error = [], str(exc)
        return {
            "rows": rows,
            "filters": filters,
            "live": live,
            "query": urlencode(filters),
            "refresh": REFRESH_SECONDS,
            "page": PAGE,
            "error": error,
            "sent_from_console": console_mark.SENT_FROM,
        }

    async def detail_context(request: Request, row_id: int | None) -> dict[str, Any]:
        if row_id is None:
            return {"row": None, "why": None, "row_error": None}
        found = await run_in_threadpool(sandbox.journal.query, row_id=row_id, limit=1)
        if not found:
            return {"row": None, "why": None, "row_error": "unknown_row"}
        row = found[0]
        why = await run_in_threadpool(explanation, console, row, language(request))
        return {"row": row, "why": why, "row_error": None}

    def row_param(request: Request) -> int | None:
        text = request.query_params.get("row", "")
        return int(text) if text.isdigit() else None

    @r.get(PAGE)
    async def page(request: Request) -> Response:
        context = {
            **await rows_context(request),
            **await detail_context(request, row_param(request)),
            "clients": [record.client_id for record in sandbox.gateway.registry],
            "search_types": [t.value for t in SearchType],
        }
        status = 400 if context["error"] else 404 if context["row_error"] else 200
        return console.render(
            request, "journal.html", SECTION, TEXTS, status_code=status, **context
        )

    @r.get(PAGE + "/rows")
    async def rows(request: Request) -> Response:
        """The rows alone: what a live view fetches again."""
        context = await rows_context(request)
        status = 400 if context["error"] else 200
        return console.render(
            request, "journal/rows.html", SECTION, TEXTS, status_code=status, **context
        )

    @r.get(PAGE + "/row/{row_id}")
    async def row(request: Request, row_id: int) -> Response:
        """One call's request, answer and explanation."""
        context = await detail_context(request, row_id)
        status = 404 if context["row_error"] else 200
        return console.render(
            request, "journal/detail.html", SECTION, TEXTS, status_code=status, **context
        )

    return r
