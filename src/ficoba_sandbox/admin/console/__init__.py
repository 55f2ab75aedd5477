"""The QA console: the sandbox in a browser, on the admin plane (docs/console.md).

Server-rendered pages (Jinja2 templates, `templates/`) made interactive by htmx, vendored from its
npm package (`static/htmx-<version>/`, its licence beside it), so nothing loads from outside and
no build step runs. One module per section, each with its own routes and strings (French and
English); `layout.py` holds the frame, `access.py` the browser session, `home.py` the home, the
login and the logout. `app.AdminGuard` lets a request in with the admin token, a console session
or, in open mode, from loopback: the console adds no path of its own around it.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from ficoba_sandbox.admin.console.access import (
    SAFE_METHODS,
    SESSION_CREDENTIAL,
    same_origin,
    session_id,
)
from ficoba_sandbox.admin.console.clients import router as clients_router
from ficoba_sandbox.admin.console.controls import router as controls_router
from ficoba_sandbox.admin.console.home import home_page, login_page
from ficoba_sandbox.admin.console.home import router as home_router
from ficoba_sandbox.admin.console.journal import router as journal_router
from ficoba_sandbox.admin.console.layout import HERE, LOGIN, STATIC, Console
from ficoba_sandbox.admin.console.magic import router as magic_router
from ficoba_sandbox.admin.console.personas import router as personas_router
from ficoba_sandbox.admin.console.recette import router as recette_router
from ficoba_sandbox.sandbox import Sandbox
from ficoba_sandbox.settings import Settings

__all__ = [
    "SAFE_METHODS",
    "SESSION_CREDENTIAL",
    "Console",
    "home_page",
    "install",
    "is_public",
    "login_page",
    "same_origin",
    "session_id",
]

#: the sections' routers, in the nav's order
PAGES = (
    personas_router,
    magic_router,
    journal_router,
    controls_router,
    recette_router,
    clients_router,
)


def is_public(path: str) -> bool:
    """The login form and the static files (htmx, the style sheet) need no credential: they
    show nothing of the sandbox."""
    return path == LOGIN or path.startswith(STATIC + "/")


def install(admin: FastAPI, sandbox: Sandbox, settings: Settings) -> Console:
    """Add the console's routes and static files to the admin plane `admin`."""
    console = Console(sandbox, settings)
    for router in (home_router(console, admin), *(page(console) for page in PAGES)):
        console.routes += [
            (method, route.path)
            for route in router.routes
            if isinstance(route, APIRoute)
            for method in sorted(route.methods or ())
        ]
        admin.include_router(router)
    admin.mount(STATIC, StaticFiles(directory=HERE / "static"), name="console-static")
    return console
