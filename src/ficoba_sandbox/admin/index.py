"""`GET /` and `GET /__sandbox/`: the index of the admin routes, built from the app's own routes
(through its OpenAPI document) and their one-line summaries, so it cannot drift from them. JSON when the
caller asks for `application/json`, else a small HTML page (no script, no style sheet)."""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

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


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


def index_json(app: FastAPI) -> dict[str, Any]:
    return {
        "title": TITLE,
        "authentication": AUTHENTICATION,
        "openapi": PREFIX + "/openapi.json",
        "docs": PREFIX + "/docs",
        "routes": routes_of(app),
    }


def index_html(app: FastAPI) -> str:
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{e(r['method'])}</td><td><code>{e(r['path'])}</code></td>"
        f"<td>{e(r['tag'])}</td><td>{e(r['summary'])}</td></tr>"
        for r in routes_of(app)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{TITLE}</title></head>
<body>
<main>
<h1>{TITLE}</h1>
<p>{e(AUTHENTICATION)}.</p>
<p>OpenAPI: <a href="{PREFIX}/openapi.json">{PREFIX}/openapi.json</a>,
Swagger UI: <a href="{PREFIX}/docs">{PREFIX}/docs</a>.</p>
<table>
<caption>Admin routes</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Area</th>
<th scope="col">What it does</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</main>
</body>
</html>
"""


def add_index(app: FastAPI) -> None:
    """Serve the index at `/` and `/__sandbox/` (outside the OpenAPI document)."""

    async def index(request: Request) -> Response:
        if wants_json(request):
            return JSONResponse(index_json(app))
        return HTMLResponse(index_html(app))

    for path in ("/", PREFIX + "/"):
        app.add_api_route(path, index, methods=["GET"], include_in_schema=False)
