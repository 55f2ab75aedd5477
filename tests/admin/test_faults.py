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


def test_read_and_clear_faults(admin: httpx.Client) -> None:
    slow = {"latency_ms": 250, "resources": ["spi"]}
    one = admin.put("/__sandbox/faults/fault-a", json=slow).json()
    assert one == {"latency_ms": 250, "error_rate": 0.0, "error_code": "CAT004",
                   "error_status": 500, "remaining": None, "resources": ["spi"]}  # fmt: skip
    assert admin.get("/__sandbox/faults/fault-a").json() == one
    admin.put("/__sandbox/faults/fault-b", json={"error_rate": 0.5})
    assert set(admin.get("/__sandbox/faults").json()) >= {"fault-a", "fault-b"}
    unknown = admin.put("/__sandbox/faults/fault-a", json={"resources": ["nowhere"]})
    assert unknown.status_code == 422
    assert admin.delete("/__sandbox/faults/fault-a").json() == {"cleared": True}
    assert admin.delete("/__sandbox/faults/fault-a").json() == {"cleared": False}
    missing = admin.get("/__sandbox/faults/fault-a")
    assert (missing.status_code, missing.json()["detail"]) == (404, "no fault for 'fault-a'")
    assert admin.delete("/__sandbox/faults").json()["cleared"] >= 1
    assert admin.get("/__sandbox/faults").json() == {}
    assert admin.delete("/__sandbox/faults").json() == {"cleared": 0}
