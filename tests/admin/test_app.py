"""The admin app (admin/app.py): access rules over ASGI (chosen peer address), and its OpenAPI
document, which lists every route of every router under `/__sandbox/`."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ficoba_sandbox.admin import AdminConfigError, create_admin_app


def _get(app: Any, path: str, client: str, headers: dict[str, str] | None = None) -> int:
    async def run() -> int:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as c:
            return (await c.get(path, headers=headers or {})).status_code

    return asyncio.run(run())


def test_admin_refuses_non_loopback_callers_without_the_token(app: Any, settings: Any) -> None:
    admin = create_admin_app(app.sandbox, settings)  # bound to 127.0.0.1, no token
    assert _get(admin, "/__sandbox/health", "127.0.0.1") == 200
    assert _get(admin, "/__sandbox/health", "::1") == 200
    assert _get(admin, "/__sandbox/health", "10.1.2.3") == 403
    assert _get(admin, "/__sandbox/magic", "192.168.0.9") == 403
    assert _get(admin, "/__sandbox/no-such-route", "10.1.2.3") == 403  # no route probing
    # even a "token" is refused when none is configured
    assert _get(admin, "/__sandbox/health", "10.1.2.3", {"X-Admin-Token": "x"}) == 403


def test_admin_token(app: Any, settings: Any) -> None:
    s = settings.model_copy(update={"admin_token": "s3cret-admin"})
    admin = create_admin_app(app.sandbox, s)
    assert _get(admin, "/__sandbox/health", "10.1.2.3") == 403
    assert _get(admin, "/__sandbox/health", "10.1.2.3", {"X-Admin-Token": "wrong"}) == 403
    assert _get(admin, "/__sandbox/health", "10.1.2.3", {"X-Admin-Token": "s3cret-admin"}) == 200
    auth = {"Authorization": "Bearer s3cret-admin"}
    assert _get(admin, "/__sandbox/health", "10.1.2.3", auth) == 200


def test_non_loopback_bind_needs_a_token(app: Any, settings: Any) -> None:
    with pytest.raises(AdminConfigError):
        create_admin_app(app.sandbox, settings.model_copy(update={"admin_host": "0.0.0.0"}))
    s = settings.model_copy(update={"admin_host": "0.0.0.0", "admin_token": "tok"})
    admin = create_admin_app(app.sandbox, s)
    # bound elsewhere than loopback: even a local caller (a proxy?) must show the token
    assert _get(admin, "/__sandbox/health", "127.0.0.1") == 403
    assert _get(admin, "/__sandbox/health", "127.0.0.1", {"X-Admin-Token": "tok"}) == 200


def test_openapi_lists_every_route_under_sandbox(qa_server: Any) -> None:
    spec = httpx.get(qa_server.admin_url + "/__sandbox/openapi.json").json()
    paths = set(spec["paths"])
    assert all(p.startswith("/__sandbox/") for p in paths)
    for need in ("health", "ready", "magic", "journal", "clients", "clock", "maintenance",
                 "faults", "dataset", "explain/{client_id}"):  # fmt: skip
        assert f"/__sandbox/{need}" in paths, need
    operations = {
        (method.upper(), path, *op["tags"])
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    assert operations == ROUTES


#: every route of the admin plane with its OpenAPI tag (docs/qa.md, "Admin plane")
ROUTES = {
    ("GET", "/__sandbox/health", "health"),
    ("GET", "/__sandbox/ready", "health"),
    ("GET", "/__sandbox/magic", "magic"),
    ("GET", "/__sandbox/magic/{name}", "magic"),
    ("GET", "/__sandbox/journal", "journal"),
    ("DELETE", "/__sandbox/journal", "journal"),
    ("POST", "/__sandbox/journal/purge", "journal"),
    ("GET", "/__sandbox/clients", "clients"),
    ("GET", "/__sandbox/clients/{client_id}", "clients"),
    ("POST", "/__sandbox/clients/{client_id}/quota/reset", "clients"),
    ("POST", "/__sandbox/clients/{client_id}/quota/fill", "clients"),
    ("GET", "/__sandbox/clock", "clock"),
    ("POST", "/__sandbox/clock/freeze", "clock"),
    ("POST", "/__sandbox/clock/unfreeze", "clock"),
    ("POST", "/__sandbox/clock/advance", "clock"),
    ("POST", "/__sandbox/clock/reset", "clock"),
    ("GET", "/__sandbox/maintenance", "service"),
    ("POST", "/__sandbox/maintenance", "service"),
    ("GET", "/__sandbox/latency", "service"),
    ("PUT", "/__sandbox/latency", "service"),
    ("POST", "/__sandbox/reset", "service"),
    ("GET", "/__sandbox/faults", "faults"),
    ("DELETE", "/__sandbox/faults", "faults"),
    ("GET", "/__sandbox/faults/{client_id}", "faults"),
    ("PUT", "/__sandbox/faults/{client_id}", "faults"),
    ("DELETE", "/__sandbox/faults/{client_id}", "faults"),
    ("GET", "/__sandbox/dataset", "dataset"),
    ("GET", "/__sandbox/explain/{client_id}", "explain"),
    ("GET", "/__sandbox/recette/{client_id}", "recette"),
    ("GET", "/__sandbox/recette/{client_id}/drills", "recette"),
    ("POST", "/__sandbox/recette/{client_id}/drills", "recette"),
    ("DELETE", "/__sandbox/recette/{client_id}/drills", "recette"),
}
