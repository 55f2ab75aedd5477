"""The console's frame: its sections, its languages, its templates, and the one way a page is
answered (`Console.render`), with the headers every page carries.

Each page module (`personas`, `magic`, `journal`, `controls`, `recette`, `clients`) owns its
strings, French and English, in its own `TEXTS`, like the recette report's (recette/render.py);
this module owns only the frame's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.templating import Jinja2Templates

from ficoba_sandbox.admin.common import CREDENTIAL_STATE, PREFIX
from ficoba_sandbox.admin.console.access import SESSION_CREDENTIAL, LoginThrottle, Sessions
from ficoba_sandbox.sandbox import Sandbox
from ficoba_sandbox.settings import Settings

HERE = Path(__file__).resolve().parent
#: the console's pages are under it
CONSOLE = PREFIX + "/console"
STATIC = CONSOLE + "/static"
HTMX_VERSION = "2.0.11"
LOGIN = CONSOLE + "/login"
LOGOUT = CONSOLE + "/logout"
#: the nav, in this order: (section, path)
SECTIONS = tuple(
    (name, f"{CONSOLE}/{name}")
    for name in ("personas", "magic", "journal", "controls", "recette", "clients")
)
LANGUAGES = ("en", "fr")
LANG_COOKIE = "ficoba_console_lang"

Texts = dict[str, dict[str, str]]

TEXTS: Texts = {
    "en": {
        "title": "FICOBA sandbox — QA console",
        "skip": "Skip to content",
        "nav": "Sections",
        "personas": "Personas and dataset",
        "magic": "Magic values",
        "journal": "Journal",
        "controls": "Controls",
        "recette": "Recette",
        "clients": "Clients",
        "language": "Language",
        "logout": "Log out",
        "home_intro": "Fictitious data only. Every action here goes through the admin plane; "
        "every call sent from here goes through the real API.",
        "routes": "Admin routes (JSON, with the admin token)",
        "login_title": "Log in to the QA console",
        "login_intro": "Paste the admin token (admin_token of D/admin.json, or "
        "FICOBA_SANDBOX_ADMIN_TOKEN). It is checked once; the browser then keeps a session "
        "cookie, never the token.",
        "token": "Admin token",
        "login": "Log in",
        "login_failed": "Wrong admin token.",
        "login_origin": "This form must be sent from the console's own page.",
        "login_throttled": "Too many failed logins from this address: wait a minute.",
    },
    "fr": {
        "title": "Bac à sable FICOBA — console de recette",
        "skip": "Aller au contenu",
        "nav": "Rubriques",
        "personas": "Personas et jeu de données",
        "magic": "Valeurs magiques",
        "journal": "Journal",
        "controls": "Commandes",
        "recette": "Recette",
        "clients": "Clients",
        "language": "Langue",
        "logout": "Se déconnecter",
        "home_intro": "Données fictives uniquement. Chaque action passe par le plan "
        "d'administration ; chaque appel envoyé d'ici passe par la vraie API.",
        "routes": "Routes d'administration (JSON, avec le jeton d'administration)",
        "login_title": "Connexion à la console de recette",
        "login_intro": "Collez le jeton d'administration (admin_token de D/admin.json, ou "
        "FICOBA_SANDBOX_ADMIN_TOKEN). Il est vérifié une fois ; le navigateur garde ensuite un "
        "cookie de session, jamais le jeton.",
        "token": "Jeton d'administration",
        "login": "Se connecter",
        "login_failed": "Jeton d'administration incorrect.",
        "login_origin": "Ce formulaire doit être envoyé depuis la page de la console.",
        "login_throttled": "Trop d'échecs de connexion depuis cette adresse : attendez une minute.",
    },
}

#: every page: nothing from elsewhere (htmx and the style sheet are the console's own files),
#: no framing (clickjacking), no referrer to other sites, never cached (the pages show the
#: journal). `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null`
#: on the console's own forms (Fetch standard, "serializing a request origin"), which the CSRF
#: check (access.py) must refuse
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def language(request: Request) -> str:
    """`?lang=` first (the switch), then the cookie it set, then Accept-Language, then English."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    if kept in LANGUAGES:
        return kept
    accept = request.headers.get("accept-language", "").strip().lower()
    return "fr" if accept.startswith("fr") else "en"


class Console:
    """The console of one admin plane: its sandbox, its settings, its sessions, its templates."""

    def __init__(self, sandbox: Sandbox, settings: Settings) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.sessions = Sessions()
        self.login_throttle = LoginThrottle()
        self.templates = Jinja2Templates(directory=HERE / "templates")
        #: (method, path) of every console route, filled by `install` (the access tests walk it)
        self.routes: list[tuple[str, str]] = []

    def render(
        self,
        request: Request,
        template: str,
        section: str | None,
        texts: Texts | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        """The page `template` in the request's language, the frame's strings and the page's
        (`texts`) as `t`; a `?lang=` choice is kept in a cookie."""
        lang = language(request)
        t = dict(TEXTS[lang])
        if texts is not None:
            t.update(texts[lang])
        credential = getattr(request.state, CREDENTIAL_STATE, None)
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "t": t,
                "lang": lang,
                "other_lang": "fr" if lang == "en" else "en",
                "section": section,
                "sections": [(name, path, t[name]) for name, path in SECTIONS],
                "console": CONSOLE,
                "static": STATIC,
                "htmx": f"{STATIC}/htmx-{HTMX_VERSION}/htmx.min.js",
                "login_url": LOGIN,
                "logout_url": LOGOUT,
                "signed_in": credential == SESSION_CREDENTIAL,
                **context,
            },
            status_code=status_code,
            headers=SECURITY_HEADERS,
        )
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, path="/", httponly=True, samesite="strict")
        return response
