"""Off loopback, without the admin token, every console route answers 401 and shows no data
(no persona, no client id, no journal row): the admin plane bound to this machine's own
non-loopback address, reached on it, with a real listener."""

from __future__ import annotations

import socket
import subprocess
from typing import Any

import httpx
import pytest
import uvicorn

from ficoba_sandbox.admin import create_admin_app
from ficoba_sandbox.admin.console.access import SESSION_COOKIE
from ficoba_sandbox.admin.console.layout import CONSOLE, LOGIN, Console
from ficoba_sandbox.app import SandboxApp
from gateway_support import make_client_for, serve_in_thread

TOKEN = "off-loopback-admin-token"


def own_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (`hostname -I`), if any."""
    try:
        words = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    for word in words.stdout.split():
        if "." in word and not word.startswith("127."):
            return word
    return None


def free_port_on(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def console_routes(console: Console) -> list[tuple[str, str]]:
    """Every console route but the login form, and the two index paths."""
    routes = [("GET", "/"), ("GET", "/__sandbox/")]
    routes += [(m, p.replace("{", "x").replace("}", "")) for m, p in console.routes if p != LOGIN]
    return routes


@pytest.mark.tls
def test_every_console_route_answers_401_and_leaks_nothing_off_loopback(
    app: SandboxApp, demo_creds: dict[str, Any]
) -> None:
    host = own_address()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    # a call in the journal, so there is something to leak
    api = make_client_for(app, demo_creds)
    try:
        assert api.get("/fcb-masrestit/api/v2/etatSante").status_code == 200
    finally:
        api.close()
    settings = app.sandbox.settings.model_copy(
        update={"admin_token": TOKEN, "admin_host": host, "admin_port": free_port_on(host)}
    )
    admin = create_admin_app(app.sandbox, settings)
    config = uvicorn.Config(
        admin, host=host, port=settings.admin_port, log_level="warning", lifespan="off"
    )
    base = f"http://{host}:{settings.admin_port}"
    with serve_in_thread(config), httpx.Client(base_url=base, timeout=10) as http:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        secrets: list[str] = [demo_creds["client_id"], TOKEN]
        secrets += [
            p["name"] for p in http.get("/__sandbox/dataset", headers=auth).json()["personas"]
        ]
        rows = http.get("/__sandbox/journal", headers=auth).json()
        secrets += [row["correlation_id"] for row in rows["rows"] if row.get("correlation_id")]
        routes = console_routes(admin.state.console)
        assert len(routes) >= 10, routes
        for method, path in routes:
            for headers in (
                {"Accept": "text/html"},
                {},
                {"Accept": "text/html", "Cookie": f"{SESSION_COOKIE}=forged"},
                {"Authorization": "Bearer wrong"},
            ):
                r = http.request(method, path, headers={**headers, "Origin": base})
                if path in ("/", "/__sandbox/") and "Accept" not in headers:
                    assert r.status_code == 200 and "routes" in r.json()  # the public index
                    continue
                assert r.status_code == 401, (method, path, headers)
                for secret in secrets:
                    assert secret not in r.text, (path, secret)
        # the session is the token's: the login form on this address opens it
        login = http.post(
            LOGIN,
            content=f"token={TOKEN}",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": base,
                "Sec-Fetch-Site": "same-origin",
            },
        )
        assert login.status_code == 303
        assert http.get(CONSOLE + "/journal", headers={"Accept": "text/html"}).status_code == 200
