"""`GET|DELETE faults`, `GET|PUT|DELETE faults/{client_id}` (admin/faults.py)."""

from __future__ import annotations

from typing import Any

import httpx

from gateway_support import QAServer


def test_faults_routes_and_effect(admin: httpx.Client, api: httpx.Client, qa_server: QAServer,
                                  closed_entry: dict[str, Any]) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    bad = admin.put(f"/__sandbox/faults/{cid}", json={"error_code": "NOPE", "error_rate": 1})
    assert bad.status_code == 422
    f = admin.put(f"/__sandbox/faults/{cid}",
                  json={"error_rate": 1.0, "error_code": "HTTP509", "remaining": 1}).json()  # fmt: skip
    assert f["error_status"] == 509
    assert admin.get("/__sandbox/faults").json()[cid]["remaining"] == 1
    entry = closed_entry
    r = api.post(qa_server.origin + entry["path"], json=entry["body"])
    assert (r.status_code, r.json()["erreur"]["code"]) == (509, "HTTP509")
    assert admin.get(f"/__sandbox/faults/{cid}").status_code == 404  # used up
    assert api.post(qa_server.origin + entry["path"], json=entry["body"]).status_code == 200
