"""The admin app (admin/app.py): access rules over ASGI (chosen peer address) and on a real
listener, and its OpenAPI document, which lists every route of every router under
`/__sandbox/`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from ficoba_sandbox.admin import AdminConfigError, create_admin_app
from ficoba_sandbox.admin.clock import reset_clock
from gateway_support import QAServer


def _get(app: Any, path: str, client: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as c:
            return await c.get(path, headers=headers or {})

    return asyncio.run(run())


def _status(app: Any, path: str, client: str, headers: dict[str, str] | None = None) -> int:
    return _get(app, path, client, headers).status_code


def test_every_caller_needs_the_token_loopback_included(app: Any, settings: Any) -> None:
    s = settings.model_copy(update={"admin_token": "s3cret-admin"})
    admin = create_admin_app(app.sandbox, s)
    for peer in ("127.0.0.1", "::1", "10.1.2.3"):
        missing = _get(admin, "/__sandbox/health", peer)
        assert missing.status_code == 401, peer
        assert missing.headers["www-authenticate"] == 'Bearer realm="ficoba-sandbox admin"'
        assert "admin token required" in missing.json()["detail"]
        wrong = _get(admin, "/__sandbox/health", peer, {"Authorization": "Bearer s3cret-admiN"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"].endswith(', error="invalid_token"')
        assert "s3cret" not in wrong.text
        assert _status(admin, "/__sandbox/no-such-route", peer) == 401  # no route probing
        assert _status(admin, "/__sandbox/health", peer, {"X-Admin-Token": "s3cret-admin"}) == 200
        auth = {"Authorization": "Bearer s3cret-admin"}
        assert _status(admin, "/__sandbox/health", peer, auth) == 200


def test_no_token_and_not_open_is_refused_at_start(app: Any, settings: Any) -> None:
    with pytest.raises(AdminConfigError, match="no token"):
        create_admin_app(app.sandbox, settings.model_copy(update={"admin_token": None}))


def test_open_mode_serves_loopback_callers_only(app: Any, settings: Any) -> None:
    s = settings.model_copy(update={"admin_token": None, "admin_open": True})
    admin = create_admin_app(app.sandbox, s)
    assert _status(admin, "/__sandbox/health", "127.0.0.1") == 200
    assert _status(admin, "/__sandbox/health", "::1") == 200
    assert _status(admin, "/__sandbox/health", "10.1.2.3") == 401
    with pytest.raises(AdminConfigError, match="loopback only"):
        create_admin_app(app.sandbox, s.model_copy(update={"admin_host": "0.0.0.0"}))


def test_non_loopback_bind_with_the_token(app: Any, settings: Any) -> None:
    s = settings.model_copy(update={"admin_host": "0.0.0.0", "admin_token": "tok"})
    admin = create_admin_app(app.sandbox, s)
    assert _status(admin, "/__sandbox/health", "127.0.0.1") == 401
    assert _status(admin, "/__sandbox/health", "10.0.0.7", {"X-Admin-Token": "tok"}) == 200


def test_a_local_user_without_the_token_cannot_purge_the_journal(qa_server: QAServer) -> None:
    """On a real listener, from loopback: the purge any local user could do is refused."""
    r = httpx.delete(qa_server.admin_url + "/__sandbox/journal", params={"client": "demo-client"})
    assert (r.status_code, r.headers["www-authenticate"]) == (
        401,
        'Bearer realm="ficoba-sandbox admin"',
    )
    r = httpx.post(qa_server.admin_url + "/__sandbox/journal/purge")
    assert r.status_code == 401


def test_a_local_user_without_the_token_cannot_revive_an_expired_token(
    qa_server: QAServer,
) -> None:
    """An access token expired by the sandbox clock stays expired: moving the clock back needs
    the admin token."""
    t = qa_server.target()
    clock = qa_server.app.sandbox.clock
    with httpx.Client(verify=t.ssl_context(), timeout=30) as http:
        r = http.post(t.token_url, data={"grant_type": "client_credentials"},
                      auth=(t.client_id, t.client_secret))  # fmt: skip
        bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}

        def etat_sante() -> int:
            headers = {**bearer, "X-Correlation-ID": str(uuid.uuid4())}
            return http.get(t.base_url + "/etatSante", headers=headers).status_code

        assert etat_sante() == 200
        clock.advance(timedelta(seconds=qa_server.settings.token_ttl + 60))
        try:
            assert etat_sante() == 401
            for route, body in [("reset", None), ("freeze", {"at": "2020-01-01T00:00:00Z"})]:
                r = httpx.post(f"{qa_server.admin_url}/__sandbox/clock/{route}", json=body)
                assert r.status_code == 401, route
            assert httpx.post(qa_server.admin_url + "/__sandbox/reset").status_code == 401
            assert etat_sante() == 401
        finally:
            reset_clock(clock)


def test_openapi_lists_every_route_under_sandbox(qa_server: Any) -> None:
    spec = httpx.get(qa_server.admin_url + "/__sandbox/openapi.json").json()  # no token needed
    paths = set(spec["paths"])
    # but the metrics, at Prometheus' default path (admin/metrics.py)
    assert all(p.startswith("/__sandbox/") for p in paths - {"/metrics"})
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
    ("GET", "/metrics", "metrics"),
    ("GET", "/__sandbox/health", "health"),
    ("GET", "/__sandbox/ready", "health"),
    ("GET", "/__sandbox/magic", "magic"),
    ("GET", "/__sandbox/magic/{name}", "magic"),
    ("GET", "/__sandbox/journal", "journal"),
    ("DELETE", "/__sandbox/journal", "journal"),
    ("POST", "/__sandbox/journal/purge", "journal"),
    ("GET", "/__sandbox/journal/events", "journal"),
    ("GET", "/__sandbox/events", "events"),
    ("GET", "/__sandbox/clients", "clients"),
    ("GET", "/__sandbox/clients/{client_id}", "clients"),
    ("POST", "/__sandbox/clients/{client_id}/quota/reset", "clients"),
    ("POST", "/__sandbox/clients/{client_id}/quota/fill", "clients"),
    ("GET", "/__sandbox/clock", "clock"),
    ("POST", "/__sandbox/clock/freeze", "clock"),
    ("POST", "/__sandbox/clock/unfreeze", "clock"),
    ("POST", "/__sandbox/clock/advance", "clock"),
    ("POST", "/__sandbox/clock/reset", "clock"),
    ("GET", "/__sandbox/service-levels", "service"),
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
