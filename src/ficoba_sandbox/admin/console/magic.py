"""The console's magic values (docs/console.md, "Magic values"): the catalogue by outcome, and
"send it", which sends an entry's request through the real API as a chosen client.

"Send it" is a client of the sandbox like any other: the QA runner's HTTP client (qa/runner.py:
the client's certificate and key from its credentials file, a token from `/token`) over mutual
TLS to this sandbox's own API listener. Its row in the journal is marked as sent from the
console (qa/console_mark.py). Only the registry's clients whose credentials file the state
directory holds can be chosen: their secret never leaves the server, and is never shown.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ficoba_sandbox.admin.common import requester, today
from ficoba_sandbox.admin.console.forms import FormError, from_htmx, read_form
from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts, language
from ficoba_sandbox.gateway.clients import public_origin
from ficoba_sandbox.gateway.pki import PkiPaths
from ficoba_sandbox.qa import console_mark, magic
from ficoba_sandbox.qa.runner import PREFIXES, Runner, Target
from ficoba_sandbox.sandbox import Sandbox

SECTION = "magic"
PAGE = f"{CONSOLE}/{SECTION}"
#: what the answer's body may show (a search answer is a few kB; the rest is cut, and said)
MAX_BODY_SHOWN = 65_536
#: beyond the sandbox's own request timeout (a "timeout" entry answers 408 after it)
SEND_MARGIN_SECONDS = 10.0

TEXTS: Texts = {
    "en": {
        "intro": "Each magic value forces one outcome with fictitious identifiers the generator "
        'never emits. "Send it" sends the request through the real API, over mutual TLS, as '
        "the client you choose, and shows what that client received; the call is in the "
        "journal like any other, marked as sent from the console.",
        "outcome": "Outcome",
        "entry": "Magic value",
        "resource": "Resource",
        "trigger": "Trigger",
        "by_header": "header",
        "client": "As client",
        "show": "Show",
        "prefix": "Prefix",
        "send": "Send it",
        "sent": "Sent",
        "request": "Request",
        "response": "Response",
        "status": "Status",
        "headers": "Headers",
        "body": "Body",
        "correlation_id": "X-Correlation-ID",
        "in_journal": "See this call in the journal",
        "expected": "expected",
        "as_expected": "as the catalogue expects",
        "not_as_expected": "not what the catalogue expects",
        "no_clients": "No registered client has its credentials file in the state directory: "
        "create one in Clients, or with `ficoba-sandbox clients add`.",
        "unknown_entry": "Unknown magic value.",
        "unknown_client": "This client is unknown or its credentials file is not in the state "
        "directory.",
        "unreachable": "The API did not answer",
        "token_refused": "The token endpoint refused the client",
        "bad_form": "This form is not one of the console's.",
        "truncated": "(cut: the body is longer)",
        "hidden": "(not shown)",
    },
    "fr": {
        "intro": "Chaque valeur magique force un résultat avec des identifiants fictifs que le "
        "générateur n'émet jamais. « Envoyer » envoie la requête par la vraie API, en TLS "
        "mutuel, au nom du client choisi, et montre ce que ce client a reçu ; l'appel est au "
        "journal comme les autres, marqué comme envoyé depuis la console.",
        "outcome": "Résultat",
        "entry": "Valeur magique",
        "resource": "Ressource",
        "trigger": "Déclencheur",
        "by_header": "en-tête",
        "client": "Au nom du client",
        "show": "Afficher",
        "prefix": "Préfixe",
        "send": "Envoyer",
        "sent": "Envoyé",
        "request": "Requête",
        "response": "Réponse",
        "status": "Statut",
        "headers": "En-têtes",
        "body": "Corps",
        "correlation_id": "X-Correlation-ID",
        "in_journal": "Voir cet appel dans le journal",
        "expected": "attendu",
        "as_expected": "conforme au catalogue",
        "not_as_expected": "différent de ce qu'attend le catalogue",
        "no_clients": "Aucun client inscrit n'a son fichier d'identifiants dans le répertoire "
        "d'état : créez-en un dans Clients, ou avec `ficoba-sandbox clients add`.",
        "unknown_entry": "Valeur magique inconnue.",
        "unknown_client": "Ce client est inconnu ou son fichier d'identifiants n'est pas dans "
        "le répertoire d'état.",
        "unreachable": "L'API n'a pas répondu",
        "token_refused": "Le point /token a refusé le client",
        "bad_form": "Ce formulaire n'est pas un de ceux de la console.",
        "truncated": "(coupé : le corps est plus long)",
        "hidden": "(non affiché)",
    },
}


def senders(sandbox: Sandbox) -> list[str]:
    """The registry's clients (not revoked) whose credentials file the state directory holds."""
    paths = PkiPaths(Path(sandbox.settings.state_dir))
    return [
        record.client_id
        for record in sandbox.gateway.registry
        if not record.revoked and paths.client_credentials(record.client_id).is_file()
    ]


def entries(sandbox: Sandbox, client_id: str | None, prefix: str) -> list[dict[str, Any]]:
    """The catalogue with its bodies for `client_id` (its SIRET and motif) and the sandbox's
    day, as `GET /__sandbox/magic` serves it."""
    who = requester(sandbox.gateway.registry, client_id)
    return magic.catalogue(siret=who.siret, motif=who.motif, today=today(sandbox), prefix=prefix)


def by_outcome(found: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The entries grouped by what they force (`500 CAT003`, `200 CAF011`…), by status."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for entry in found:
        expected = entry["expected"]
        groups.setdefault((int(expected["status"]), expected.get("code") or ""), []).append(entry)
    return [(f"{status} {code}".strip(), items) for (status, code), items in sorted(groups.items())]


@dataclass
class Sent:
    """What "send it" sent and what came back (never the token nor the secret)."""

    entry: dict[str, Any]
    client_id: str
    method: str
    url: str
    correlation_id: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    truncated: bool = False
    error: str | None = None  # a TEXTS key
    error_detail: str = ""

    @property
    def as_expected(self) -> bool | None:
        if self.status is None:
            return None
        expected = self.entry["expected"]
        if self.status != expected["status"]:
            return False
        code = expected.get("code")
        return code is None or code in self.body


def send(sandbox: Sandbox, entry: dict[str, Any], client_id: str, prefix: str) -> Sent:
    """Send `entry`'s request through the API listener as `client_id` (blocking: from a worker
    thread)."""
    settings = sandbox.settings
    origin = public_origin(settings.host, settings.port)
    correlation_id = str(uuid.uuid4())
    headers = {
        **entry.get("headers", {}),
        "Content-Type": "application/json",
        "X-Correlation-ID": correlation_id,
        console_mark.HEADER: console_mark.sign(sandbox.console_key, correlation_id),
    }
    body = json.dumps(entry["body"], ensure_ascii=False, indent=2)
    shown = {**headers, "Authorization": "Bearer <token>"}
    del shown[console_mark.HEADER]  # the mark is the server's business, not the client's
    sent = Sent(
        entry, client_id, entry["method"], origin + entry["path"], correlation_id, shown, body
    )
    target = Target.from_file(
        PkiPaths(Path(settings.state_dir)).client_credentials(client_id),
        base_url=origin + prefix,
        token_url=origin + "/token",
        admin_url="",  # the runner needs no admin plane: the body is built here
    )
    timeout = (sandbox.levels.request_timeout or 0.0) + SEND_MARGIN_SECONDS
    runner = Runner(target, timeout=timeout)
    try:
        try:
            token = runner.token()
        except RuntimeError as exc:  # the token endpoint's refusal, with its answer
            sent.error, sent.error_detail = "token_refused", str(exc)
            return sent
        answer = runner.http.request(
            sent.method,
            sent.url,
            content=body.encode("utf-8"),
            headers={**headers, "Authorization": f"Bearer {token}"},
        )
    except (httpx.HTTPError, OSError) as exc:
        sent.error, sent.error_detail = "unreachable", f"{type(exc).__name__}: {exc}"
        return sent
    finally:
        runner.close()
    sent.status = answer.status_code
    sent.headers = list(answer.headers.items())
    text = answer.text
    with contextlib.suppress(ValueError):  # not JSON: shown as it came
        text = json.dumps(answer.json(), ensure_ascii=False, indent=2)
    sent.truncated = len(text) > MAX_BODY_SHOWN
    sent.body = text[:MAX_BODY_SHOWN]
    return sent


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    sandbox = console.sandbox

    def page_context(client_id: str | None, prefix: str, lang: str) -> dict[str, Any]:
        clients = senders(sandbox)
        chosen = client_id if client_id in clients else (clients[0] if clients else None)
        return {
            "groups": by_outcome(entries(sandbox, chosen, prefix)),
            "clients": clients,
            "client_id": chosen,
            "prefix": prefix,
            "prefixes": list(PREFIXES.values()),
            "title_key": "titre" if lang == "fr" else "title",
            "page": PAGE,
            "journal": f"{CONSOLE}/journal",
        }

    @r.get(PAGE)
    async def page(request: Request, client: str | None = None, prefix: str = "") -> Response:
        prefix = prefix if prefix in PREFIXES.values() else PREFIXES["gateway"]
        context = page_context(client, prefix, language(request))
        return console.render(request, "magic.html", SECTION, TEXTS, **context)

    @r.post(PAGE + "/send")
    async def send_it(request: Request) -> Response:
        htmx = from_htmx(request)
        template = "magic/sent.html" if htmx else "magic.html"
        context = page_context(None, PREFIXES["gateway"], language(request))

        def refused(error: str, status: int) -> Response:
            sent = {"error": error}
            return console.render(
                request, template, SECTION, TEXTS, status_code=status, sent=sent, **context
            )

        try:
            form = await read_form(request)
        except FormError:
            return refused("bad_form", 400)
        client_id, name = form.get("client_id", ""), form.get("name", "")
        prefix = form.get("prefix", PREFIXES["gateway"])
        if prefix not in PREFIXES.values():
            return refused("bad_form", 422)
        if client_id not in senders(sandbox):
            return refused("unknown_client", 422)
        entry = next((e for e in entries(sandbox, client_id, prefix) if e["name"] == name), None)
        if entry is None:
            return refused("unknown_entry", 422)
        sent = await run_in_threadpool(send, sandbox, entry, client_id, prefix)
        context = page_context(client_id, prefix, language(request))
        return console.render(request, template, SECTION, TEXTS, sent=sent, **context)

    return r
