"""`GET|POST maintenance`, `GET|PUT latency` (admin/service_levels.py)."""

from __future__ import annotations

from typing import Any

import httpx

from gateway_support import QAServer


def test_maintenance_drives_the_api(admin: httpx.Client, api: httpx.Client, qa_server: QAServer,
                                    closed_entry: dict[str, Any]) -> None:  # fmt: skip
    entry = closed_entry
    assert admin.post("/__sandbox/maintenance", json={"state": "down"}).json()["forced"] == "down"
    r = api.post(qa_server.origin + entry["path"], json=entry["body"])
    assert (r.status_code, r.json()["erreur"]["code"]) == (503, "CAT001")
    admin.post("/__sandbox/maintenance", json={"state": "schedule"})
    assert api.post(qa_server.origin + entry["path"], json=entry["body"]).status_code == 200
    assert admin.post("/__sandbox/maintenance", json={"state": "sideways"}).status_code == 422
