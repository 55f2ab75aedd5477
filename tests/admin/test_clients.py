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
