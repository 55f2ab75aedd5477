"""The documentation pages, Swagger UI and ReDoc, served with their own JavaScript and CSS.

FastAPI's default pages load Swagger UI and ReDoc from a CDN (jsdelivr): offline, or behind a
proxy that blocks it, `/docs` stays blank. Here the files are vendored from npm (`assets/`, its
NOTICE.md names the packages, versions and licences; scripts/update_docs_assets.py refreshes
them) and served under a versioned path, so browsers may keep them as immutable. This follows
FastAPI's "Self-hosting JavaScript and CSS for docs" recipe (`get_swagger_ui_html`,
`get_redoc_html`). Both listeners use it: the API's (`/docs`, `/redoc`) and the admin plane's.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

SWAGGER_UI_VERSION = "5.35.0"
REDOC_VERSION = "2.5.4"
ASSETS = Path(__file__).resolve().parent / "assets"
#: the assets' path on a listener, after its prefix ("" on the API listener)
ASSETS_PATH = "/docs-assets/"
#: a year, and never revalidated: the path changes with the version (RFC 9111 §5.2.2.1,
#: RFC 8246 `immutable`)
CACHE_CONTROL = "public, max-age=31536000, immutable"
#: served file (relative to ASSETS) -> media type; nothing else under ASSETS_PATH is served
FILES = {
    f"swagger-ui-{SWAGGER_UI_VERSION}/swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    f"swagger-ui-{SWAGGER_UI_VERSION}/swagger-ui.css": "text/css; charset=utf-8",
    f"swagger-ui-{SWAGGER_UI_VERSION}/favicon-32x32.png": "image/png",
    f"redoc-{REDOC_VERSION}/redoc.standalone.js": "text/javascript; charset=utf-8",
}


def documentation_paths(prefix: str = "") -> frozenset[str]:
    """The pages `install` serves under `prefix` (the assets are under `prefix + ASSETS_PATH`)."""
    return frozenset(prefix + page for page in ("/docs", "/docs/oauth2-redirect", "/redoc"))


def install(app: FastAPI, prefix: str = "") -> None:
    """Serve `/docs`, `/redoc` and their assets under `prefix` on `app`, which was built with
    `docs_url=None, redoc_url=None` and serves its OpenAPI document at `app.openapi_url`."""
    assets = prefix + ASSETS_PATH
    openapi_url = app.openapi_url or prefix + "/openapi.json"
    redirect = prefix + "/docs/oauth2-redirect"

    @app.get(prefix + "/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=redirect,
            swagger_js_url=f"{assets}swagger-ui-{SWAGGER_UI_VERSION}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}swagger-ui-{SWAGGER_UI_VERSION}/swagger-ui.css",
            swagger_favicon_url=f"{assets}swagger-ui-{SWAGGER_UI_VERSION}/favicon-32x32.png",
        )

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(prefix + "/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        # ReDoc's page asks Google Fonts for its typeface unless told not to: nothing external
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{assets}redoc-{REDOC_VERSION}/redoc.standalone.js",
            redoc_favicon_url=f"{assets}swagger-ui-{SWAGGER_UI_VERSION}/favicon-32x32.png",
            with_google_fonts=False,
        )

    @app.get(assets + "{name:path}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media_type = FILES.get(name)
        if media_type is None:
            raise HTTPException(status_code=404)
        return FileResponse(
            ASSETS / name, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL}
        )
