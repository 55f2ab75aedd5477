"""`GET /` and `GET /__sandbox/`: the index of the admin routes, built from the app's own routes
(through its OpenAPI document) and their one-line summaries, so it cannot drift from them. JSON,
but to a browser, which gets the QA console's home (admin/console/, which shows the same list)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ficoba_sandbox.admin.common import PREFIX

TITLE = "ficoba-sandbox admin plane"
AUTHENTICATION = (
    "every route but this index and the OpenAPI document needs the admin token: "
    "Authorization: Bearer <admin_token of D/admin.json> (or FICOBA_SANDBOX_ADMIN_TOKEN)"
)


def routes_of(app: FastAPI) -> list[dict[str, str]]:
    """Each documented admin route: method, path, tag, one-line summary; in the app's order.
    Read from the app's OpenAPI document, which FastAPI builds from the routes themselves."""
    out = []
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            summary = str(op.get("summary") or op.get("description") or "").strip()
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": str((op.get("tags") or [""])[0]),
                    "summary": summary.splitlines()[0] if summary else "",
                }
            )
    return out


def index_json(app: FastAPI) -> dict[str, Any]:
    return {
        "title": TITLE,
        "authentication": AUTHENTICATION,
        "openapi": PREFIX + "/openapi.json",
        "docs": PREFIX + "/docs",
        "routes": routes_of(app),
    }


def add_index(app: FastAPI, page: Callable[[Request], Response]) -> None:
    """Serve the index at `/` and `/__sandbox/` (outside the OpenAPI document): `page` (the QA
    console's home) to a browser, which asks for HTML; the JSON to curl, scripts and monitors."""

    async def index(request: Request) -> Response:
        if "text/html" in request.headers.get("accept", "").lower():
            return page(request)
        return JSONResponse(index_json(app))

    for path in ("/", PREFIX + "/"):
        app.add_api_route(path, index, methods=["GET"], include_in_schema=False)
