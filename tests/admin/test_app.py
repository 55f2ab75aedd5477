"""The admin plane: access rules, OpenAPI, clock, maintenance, quota, faults, journal, dataset,
explain. Access rules over ASGI (chosen peer address); the rest against the live server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from ficoba_sandbox.admin import AdminConfigError, create_admin_app
from ficoba_sandbox.qa.faults import Fault, Faults


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
    assert httpx.get(qa_server.admin_url + "/__sandbox/ready").json()["status"] == "ready"


@pytest.fixture
def admin(qa_server: Any):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=qa_server.admin_url) as c:
        yield c
        c.post("/__sandbox/reset", params={"client_id": qa_server.demo["client_id"]})


@pytest.fixture
def api(qa_server: Any):  # type: ignore[no-untyped-def]
    t = qa_server.target()
    with httpx.Client(verify=t.ssl_context(), timeout=30) as http:
        r = http.post(t.token_url, data={"grant_type": "client_credentials"},
                      auth=(t.client_id, t.client_secret))  # fmt: skip
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        http.headers["X-Correlation-ID"] = str(uuid.uuid4())
        yield http


def _closed(admin: httpx.Client) -> dict[str, Any]:
    return admin.get("/__sandbox/magic/closed-account").json()


def test_clock_freeze_advance_reset(admin: httpx.Client) -> None:
    frozen = admin.post("/__sandbox/clock/freeze", json={"at": "2030-01-02T03:04:05Z"}).json()
    assert frozen["frozen"] and frozen["now"].startswith("2030-01-02T03:04:05")
    moved = admin.post("/__sandbox/clock/advance", json={"duration": "1d"}).json()
    assert moved["now"].startswith("2030-01-03T03:04:05") and moved["today"] == "2030-01-03"
    assert admin.post("/__sandbox/clock/advance", json={"duration": "soon"}).status_code == 422
    back = admin.post("/__sandbox/clock/reset").json()
    assert not back["frozen"] and abs(back["offset_seconds"]) < 5


def test_maintenance_drives_the_api(admin: httpx.Client, api: httpx.Client,
                                    qa_server: Any) -> None:  # fmt: skip
    entry = _closed(admin)
    assert admin.post("/__sandbox/maintenance", json={"state": "down"}).json()["forced"] == "down"
    r = api.post(qa_server.origin + entry["path"], json=entry["body"])
    assert (r.status_code, r.json()["erreur"]["code"]) == (503, "CAT001")
    admin.post("/__sandbox/maintenance", json={"state": "schedule"})
    assert api.post(qa_server.origin + entry["path"], json=entry["body"]).status_code == 200
    assert admin.post("/__sandbox/maintenance", json={"state": "sideways"}).status_code == 422


def test_quota_state_fill_reset(admin: httpx.Client, api: httpx.Client, qa_server: Any) -> None:
    cid = qa_server.demo["client_id"]
    clients = admin.get("/__sandbox/clients").json()["clients"]
    assert any(c["client_id"] == cid and "quota" in c for c in clients)
    full = admin.post(f"/__sandbox/clients/{cid}/quota/fill", json={}).json()
    assert full["remaining"] == 0
    entry = _closed(admin)
    r = api.post(qa_server.origin + entry["path"], json=entry["body"])
    assert (r.status_code, r.json()["erreur"]["code"]) == (429, "900804")
    again = admin.post(f"/__sandbox/clients/{cid}/quota/reset").json()
    assert again["used"] == 0
    assert api.post(qa_server.origin + entry["path"], json=entry["body"]).status_code == 200
    assert admin.post("/__sandbox/clients/nobody/quota/reset").status_code == 404


def test_faults_routes_and_effect(admin: httpx.Client, api: httpx.Client, qa_server: Any) -> None:
    cid = qa_server.demo["client_id"]
    bad = admin.put(f"/__sandbox/faults/{cid}", json={"error_code": "NOPE", "error_rate": 1})
    assert bad.status_code == 422
    f = admin.put(f"/__sandbox/faults/{cid}",
                  json={"error_rate": 1.0, "error_code": "HTTP509", "remaining": 1}).json()  # fmt: skip
    assert f["error_status"] == 509
    assert admin.get("/__sandbox/faults").json()[cid]["remaining"] == 1
    entry = _closed(admin)
    r = api.post(qa_server.origin + entry["path"], json=entry["body"])
    assert (r.status_code, r.json()["erreur"]["code"]) == (509, "HTTP509")
    assert admin.get(f"/__sandbox/faults/{cid}").status_code == 404  # used up
    assert api.post(qa_server.origin + entry["path"], json=entry["body"]).status_code == 200


def test_faults_python_api() -> None:
    faults = Faults(seed=1)
    faults.set("a", latency_ms=100, resources=("spi",))
    assert faults.decide("a", "numCpte") == (0.0, None)
    assert faults.decide("a", "spi") == (0.1, None)
    faults.set("a", error_rate=1.0, error_code="CAT001", remaining=2)
    assert [faults.decide("a", "spi")[1] for _ in range(3)] == ["CAT001", "CAT001", None]
    faults.set("b", error_rate=0.5)
    hits = sum(faults.decide("b", "spi")[1] is not None for _ in range(400))
    assert 120 < hits < 280
    assert faults.clear("b") and not faults.clear("b")
    with pytest.raises(ValueError):
        Fault(error_rate=2)
    with pytest.raises(ValueError):
        Fault(resources=("nowhere",))


def test_journal_filters_and_purge(admin: httpx.Client, api: httpx.Client,
                                   qa_server: Any) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    entry = _closed(admin)
    api.post(qa_server.origin + entry["path"], json={**entry["body"], "motif": "9876"})
    rows = admin.get("/__sandbox/journal", params={"client": cid, "status": "4xx", "limit": 5})
    body = rows.json()
    assert body["count"] >= 1 and all(400 <= r["status"] < 500 for r in body["rows"])
    assert all(r["client_id"] == cid for r in body["rows"])
    assert admin.get("/__sandbox/journal", params={"since": "yesterday?"}).status_code == 400
    purged = admin.delete("/__sandbox/journal", params={"client": cid}).json()["purged"]
    assert purged >= 1
    assert admin.get("/__sandbox/journal", params={"client": cid}).json()["count"] == 0


def test_dataset_personas_with_working_requests(admin: httpx.Client, api: httpx.Client,
                                                qa_server: Any) -> None:  # fmt: skip
    ds = admin.get("/__sandbox/dataset").json()
    assert ds["seed"] == 42 and ds["size"] == 500 and len(ds["digest"]) >= 32
    personas = {p["id"]: p for p in ds["personas"]}
    assert "pp:sbx-cloture" in personas and "pp:dubois-daniel" in personas
    p = personas["pp:sbx-joint-a"]
    for search, body in p["requests"].items():
        r = api.post(f"{qa_server.base_url}/comptes/{search}", json=body)
        assert r.status_code == 200 and "messageInformatif" not in r.json(), (search, r.text)


def test_explain_the_last_refusal(admin: httpx.Client, api: httpx.Client,
                                  qa_server: Any) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    entry = _closed(admin)
    body = {
        **entry["body"],
        "criteresRecherche": {"iban": entry["body"]["criteresRecherche"]["iban"]},
    }
    r = api.post(qa_server.origin + entry["path"], json=body)
    assert r.json()["erreur"]["code"] == "CAF001"
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert ex["code"] == "CAF001" and "verificationCompte" in ex["message"]
    assert "obligatoire" in ex["fr"] and "mandatory" in ex["en"]
    assert ex["contract_section"].startswith("§")
    assert ex["call"]["path"].endswith("/comptes/numCpte") and ex["call"]["status"] == 400
    # a gateway refusal (no correlation id) is explained too, from the journal
    api.post(qa_server.origin + entry["path"], json=entry["body"],
             headers={"X-Correlation-ID": ""})  # fmt: skip
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert ex["code"] == "910000" and "X-Correlation-ID" in ex["fr"]
    assert admin.get("/__sandbox/explain/nobody-here").status_code == 404
