"""`POST reset[?client_id=]` (admin/reset.py)."""

from __future__ import annotations

import httpx

from gateway_support import QAServer


def _mess_up(admin: httpx.Client, cid: str) -> None:
    admin.put(f"/__sandbox/faults/{cid}", json={"error_rate": 1.0})
    admin.post("/__sandbox/maintenance", json={"state": "down"})
    admin.put("/__sandbox/latency", json={"spec": "numCpte=300ms"})
    admin.post("/__sandbox/clock/freeze", json={"at": "2030-01-02T03:04:05Z"})
    admin.post(f"/__sandbox/clients/{cid}/quota/reset")
    admin.post(f"/__sandbox/clients/{cid}/quota/fill", json={"calls": 2})


def test_reset_puts_faults_maintenance_clock_and_quota_back(
    admin: httpx.Client, qa_server: QAServer
) -> None:
    cid = qa_server.demo["client_id"]
    _mess_up(admin, cid)
    done = admin.post("/__sandbox/reset", params={"client_id": cid}).json()
    assert done["reset"] is True
    assert not done["clock"]["frozen"] and abs(done["clock"]["offset_seconds"]) < 5
    assert admin.get("/__sandbox/faults").json() == {}
    assert admin.get("/__sandbox/maintenance").json()["forced"] is None
    assert admin.get("/__sandbox/latency").json()["latency"] == {}  # the server started without
    assert admin.get(f"/__sandbox/clients/{cid}").json()["quota"]["used"] == 0


def test_reset_without_a_client_keeps_the_quota(admin: httpx.Client, qa_server: QAServer) -> None:
    cid = qa_server.demo["client_id"]
    _mess_up(admin, cid)
    done = admin.post("/__sandbox/reset").json()
    assert done["reset"] is True and not done["clock"]["frozen"]
    assert admin.get("/__sandbox/faults").json() == {}
    assert admin.get(f"/__sandbox/clients/{cid}").json()["quota"]["used"] == 2


def test_reset_and_a_quota_reset_are_admin_events(admin: httpx.Client, qa_server: QAServer) -> None:
    cid = qa_server.demo["client_id"]
    admin.post("/__sandbox/clock/freeze", json={"at": "2040-01-01T00:00:00Z"})
    admin.post(f"/__sandbox/clients/{cid}/quota/reset")
    admin.post("/__sandbox/reset", params={"client_id": cid})
    events = admin.get("/__sandbox/journal/events", params={"limit": 2}).json()["events"]
    assert [e["action"] for e in events] == ["reset", "quota.reset"]
    reset, quota = events
    assert reset["details"]["client_id"] == cid
    assert reset["details"]["clock_from"].startswith("2040-01-01T00:00:00")  # it went back
    assert quota["details"] == {"client_id": cid}
    assert {reset["credential"], quota["credential"]} == {"admin token"}
