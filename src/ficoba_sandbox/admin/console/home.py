"""The console's home, its login form and its logout (access.py says why a session)."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ficoba_sandbox.admin.common import CREDENTIAL_STATE, PREFIX
from ficoba_sandbox.admin.console.access import (
    expired_cookie,
    same_origin,
    session_cookie,
    session_id,
)
from ficoba_sandbox.admin.console.layout import CONSOLE, LOGIN, LOGOUT, SECURITY_HEADERS, Console
from ficoba_sandbox.admin.index import routes_of

#: the login form's body is a token and a path: anything longer is not the form
MAX_FORM = 4096
#: the `WWW-Authenticate` of every 401 (RFC 9110 §11.6.1), the admin plane's
REALM = 'Bearer realm="ficoba-sandbox admin"'


def back_to(path: str | None) -> str:
    """Where a successful login goes: a path of the admin plane, never another site (an open
    redirect would make the form a phishing relay)."""
    if not path or not (path == "/" or path.startswith(PREFIX + "/")):
        return CONSOLE + "/"
    if "//" not in path and "\\" not in path and min(map(ord, path)) > 0x20:
        return path
    return CONSOLE + "/"


def login_page(
    console: Console,
    request: Request,
    status_code: int = 401,
    error: str | None = None,
    wanted: str | None = None,
) -> Response:
    """The login form, and nothing else: it shows no data of the sandbox. `wanted`: where to go
    once logged in (by default the page asked for)."""
    if wanted is None and request.method == "GET":
        wanted = request.url.path
    response = console.render(
        request,
        "login.html",
        None,
        status_code=status_code,
        next=back_to(request.query_params.get("next") or wanted),
        error=error,
    )
    if status_code == 401:
        response.headers["WWW-Authenticate"] = REALM
    return response


def home_page(console: Console, admin: FastAPI, request: Request) -> Response:
    """The home (also `/` and `/__sandbox/` for a browser): the login form until the request
    has a credential, those paths being public for the JSON index."""
    if getattr(request.state, CREDENTIAL_STATE, None) is None:
        return login_page(console, request)
    return console.render(request, "home.html", None, routes=routes_of(admin))


def router(console: Console, admin: FastAPI) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(CONSOLE + "/")
    async def home(request: Request) -> Response:
        return home_page(console, admin, request)

    @r.get(LOGIN)
    async def login_form(request: Request) -> Response:
        return login_page(console, request, status_code=200)

    @r.post(LOGIN)
    async def login(request: Request) -> Response:
        body = await request.body()
        try:
            form = parse_qs(body[:MAX_FORM].decode("utf-8", "replace"), max_num_fields=4)
        except ValueError:  # more fields than the form has: not the form
            form = {}
        given = (form.get("token") or [""])[0].strip()
        target = back_to((form.get("next") or [""])[0])
        if not same_origin(request.scope):
            return login_page(console, request, 403, "login_origin", target)
        peer = request.client.host if request.client else "unknown"
        wait = console.login_throttle.retry_after(peer)
        if wait:
            page = login_page(console, request, 429, "login_throttled", target)
            page.headers["Retry-After"] = str(wait)
            return page
        token = console.settings.admin_token
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            console.login_throttle.failed(peer)
            return login_page(console, request, 401, "login_failed", target)
        response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
        response.headers["Set-Cookie"] = session_cookie(console.sessions.open())
        return response

    @r.post(LOGOUT)
    async def logout(request: Request) -> Response:
        console.sessions.close(session_id(request.scope))
        response = RedirectResponse(LOGIN, status_code=303, headers=SECURITY_HEADERS)
        response.headers["Set-Cookie"] = expired_cookie()
        return response

    return r
