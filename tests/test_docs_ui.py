"""The documentation pages, Swagger UI and ReDoc, on both listeners: nothing loaded from outside
the sandbox (every src/href of the pages is local), the vendored assets served with their media
types and immutable caching, journaled like `/docs`; and Swagger UI rendered by a headless
Chromium whose network is off, so a page that still needed a CDN would stay blank."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ficoba_sandbox import docs_ui
from ficoba_sandbox.admin.common import PREFIX
from gateway_support import free_port, serve_in_thread
from system_deps import skip_or_fail


class _Links(HTMLParser):
    """Every URL a page makes the browser load: src and href attributes, and the spec/JS URLs
    FastAPI's pages write into their inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def _urls(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def _check_page(http: httpx.Client, page: str, prefix: str) -> list[str]:
    answer = http.get(page)
    assert answer.status_code == 200, answer.text
    urls = _urls(answer.text)
    assert urls, answer.text
    for url in urls:
        assert url.startswith(prefix + docs_ui.ASSETS_PATH), url
    assert "cdn.jsdelivr" not in answer.text and "fonts.googleapis" not in answer.text
    assert "http://" not in answer.text and "https://" not in answer.text
    return urls


def _check_assets(http: httpx.Client, urls: list[str]) -> None:
    for url in urls:
        answer = http.get(url)
        assert answer.status_code == 200, url
        name = url.split(docs_ui.ASSETS_PATH, 1)[1]
        assert answer.headers["content-type"] == docs_ui.FILES[name]
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.content == (docs_ui.ASSETS / name).read_bytes()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_pages_load_nothing_from_outside(client: httpx.Client, page: str) -> None:
    plain = httpx.Client(transport=client._transport, base_url=client.base_url)  # no token
    urls = _check_page(plain, page, "")
    _check_assets(plain, urls)


def test_every_asset_is_served(client: httpx.Client) -> None:
    _check_assets(client, [docs_ui.ASSETS_PATH + name for name in docs_ui.FILES])
    assert {Path(name).suffix for name in docs_ui.FILES} == {".js", ".css", ".png"}


@pytest.mark.parametrize("path", ["nothing.js", "../../app.py", "NOTICE.md", ""])
def test_unknown_asset_is_a_404_in_the_api_format(client: httpx.Client, path: str) -> None:
    answer = client.get(docs_ui.ASSETS_PATH + path)
    assert answer.status_code == 404
    assert answer.json()["erreur"]["code"] == "HTTP404"


def test_assets_are_journaled_like_the_documentation(app: Any, client: httpx.Client) -> None:
    url = docs_ui.ASSETS_PATH + next(iter(docs_ui.FILES))
    app.sandbox.journal.flush()
    before = [row for row in app.sandbox.journal.query(limit=10**6) if row.get("path") == url]
    assert client.get(url).status_code == 200
    app.sandbox.journal.flush()
    after = [row for row in app.sandbox.journal.query(limit=10**6) if row.get("path") == url]
    assert len(after) == len(before) + 1 and after[0]["status"] == 200, after[:1]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_admin_pages_load_nothing_from_outside(app: Any, admin_of: Any, page: str) -> None:
    admin = admin_of(app)
    plain = httpx.Client(transport=admin._transport, base_url=admin.base_url)  # no admin token
    urls = _check_page(plain, PREFIX + page, PREFIX)
    _check_assets(plain, urls)
    assert plain.get(PREFIX + "/journal").status_code == 401  # the rest stays behind the token


def _chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        skip_or_fail(
            "chromium is not installed (apt-get install chromium; .ci/install-system-deps)"
        )
    assert browser is not None
    return browser


def test_swagger_ui_renders_offline_in_headless_chromium(app: Any, tmp_path: Path) -> None:
    """Plain HTTP (giving headless Chromium a client certificate is not practical); the browser's
    only route out is a proxy on a closed port (127.0.0.1 bypasses it), so every CDN is unreachable."""
    browser = _chromium()
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
        "--virtual-time-budget=15000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    with serve_in_thread(config):
        dom = subprocess.run(
            [browser, *flags, "--dump-dom", f"http://127.0.0.1:{port}/docs"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert dom.returncode == 0, dom.stderr[-2000:]
    # Swagger UI built its DOM from /openapi.json: the operation blocks of the resources
    assert 'class="swagger-ui' in dom.stdout, dom.stdout[-2000:]
    assert "opblock" in dom.stdout, dom.stdout[-2000:]
    assert "/ficoba-api/v2" in dom.stdout
