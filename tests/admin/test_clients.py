"""`GET clients`, `GET clients/{id}`, `POST clients/{id}/quota/reset|fill` (admin/clients.py)."""

from __future__ import annotations

from typing import Any

import httpx

from gateway_support import QAServer


def test_quota_state_fill_reset(admin: httpx.Client, api: httpx.Client, qa_server: QAServer,
                                closed_entry: dict[str, Any]) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    clients = admin.get("/__sandbox/clients").json()["clients"]
    assert any(c["client_id"] == cid and "quota" in c for c in clients)
    full = admin.post(f"/__sandbox/clients/{cid}/quota/fill", json={}).json()
    assert full["remaining"] == 0
    entry = closed_entry
    r = api.post(qa_server.origin + entry["path"], json=entry["body"])
    assert (r.status_code, r.json()["erreur"]["code"]) == (429, "900804")
    again = admin.post(f"/__sandbox/clients/{cid}/quota/reset").json()
    assert again["used"] == 0
    assert api.post(qa_server.origin + entry["path"], json=entry["body"]).status_code == 200
    assert admin.post("/__sandbox/clients/nobody/quota/reset").status_code == 404


def test_one_client_with_its_quota_and_fault(admin: httpx.Client, qa_server: QAServer) -> None:
    cid = qa_server.demo["client_id"]
    admin.post(f"/__sandbox/clients/{cid}/quota/reset")
    some = admin.post(f"/__sandbox/clients/{cid}/quota/fill", json={"calls": 3}).json()
    assert (some["used"], some["remaining"]) == (3, some["quota"] - 3)
    admin.put(f"/__sandbox/faults/{cid}", json={"latency_ms": 5})
    one = admin.get(f"/__sandbox/clients/{cid}").json()
    assert one["client_id"] == cid and not one["revoked"]
    assert one["sirets"] == [qa_server.demo["siret_demandeur"]]
    assert one["quota"]["used"] == 3 and one["fault"]["latency_ms"] == 5
    assert one["motifs"] and all(types == sorted(types) for types in one["motifs"].values())
    listed = admin.get("/__sandbox/clients").json()["clients"]
    same = next(c for c in listed if c["client_id"] == cid)
    # the quota's reset_in_seconds runs between the two reads
    assert {**same, "quota": same["quota"]["used"]} == {**one, "quota": 3}
    unknown = admin.get("/__sandbox/clients/nobody")
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "unknown client 'nobody'")
    assert admin.post("/__sandbox/clients/nobody/quota/fill").status_code == 404
