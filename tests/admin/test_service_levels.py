"""`GET|POST maintenance`, `GET|PUT latency` (admin/service_levels.py)."""

from __future__ import annotations

import time
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


def test_maintenance_state_and_forced_up(admin: httpx.Client) -> None:
    state = admin.get("/__sandbox/maintenance").json()
    assert (state["available"], state["forced"]) == (True, None)
    up = admin.post("/__sandbox/maintenance", json={"state": "up"}).json()
    assert (up["available"], up["forced"]) == (True, "up")
    assert admin.get("/__sandbox/maintenance").json() == up
    schedule = admin.post("/__sandbox/maintenance", json={"state": "schedule"}).json()
    assert schedule["forced"] is None


def test_latency_read_and_replace(admin: httpx.Client, api: httpx.Client, qa_server: QAServer,
                                  closed_entry: dict[str, Any]) -> None:  # fmt: skip
    assert admin.get("/__sandbox/latency").json() == {"latency": {}, "request_timeout": None}
    try:
        slow = admin.put("/__sandbox/latency", json={"spec": "numCpte=300ms"}).json()
        assert slow == {"latency": {"numCpte": "300ms"}, "request_timeout": None}
        started = time.monotonic()
        r = api.post(qa_server.origin + closed_entry["path"], json=closed_entry["body"])
        assert r.status_code == 200 and time.monotonic() - started >= 0.3
        bad = admin.put("/__sandbox/latency", json={"spec": "300"})  # a duration needs its unit
        assert bad.status_code == 422 and "unit" in bad.json()["detail"]
        assert admin.get("/__sandbox/latency").json() == slow  # unchanged by the refused spec
    finally:  # leave the shared server as it started
        none = admin.put("/__sandbox/latency", json={"spec": ""}).json()
    assert none == {"latency": {}, "request_timeout": None}
