"""`GET journal`, `DELETE journal`, `POST journal/purge` (admin/journal.py)."""

from __future__ import annotations

from typing import Any

import httpx

from gateway_support import QAServer


def test_journal_filters_and_purge(admin: httpx.Client, api: httpx.Client, qa_server: QAServer,
                                   closed_entry: dict[str, Any]) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    entry = closed_entry
    api.post(qa_server.origin + entry["path"], json={**entry["body"], "motif": "9876"})
    rows = admin.get("/__sandbox/journal", params={"client": cid, "status": "4xx", "limit": 5})
    body = rows.json()
    assert body["count"] >= 1 and all(400 <= r["status"] < 500 for r in body["rows"])
    assert all(r["client_id"] == cid for r in body["rows"])
    assert admin.get("/__sandbox/journal", params={"since": "yesterday?"}).status_code == 400
    purged = admin.delete("/__sandbox/journal", params={"client": cid}).json()["purged"]
    assert purged >= 1
    assert admin.get("/__sandbox/journal", params={"client": cid}).json()["count"] == 0


def test_purge_by_post_and_the_limit(admin: httpx.Client, api: httpx.Client, qa_server: QAServer,
                                     closed_entry: dict[str, Any]) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    for _ in range(3):
        api.post(qa_server.origin + closed_entry["path"], json=closed_entry["body"])
    newest = admin.get("/__sandbox/journal", params={"client": cid, "limit": 2}).json()
    assert newest["count"] == 2 and newest["rows"][0]["id"] > newest["rows"][1]["id"]
    assert admin.get("/__sandbox/journal", params={"limit": 0}).status_code == 422
    assert admin.post("/__sandbox/journal/purge", params={"client": cid}).json()["purged"] >= 3
    assert admin.get("/__sandbox/journal", params={"client": cid}).json() == {"count": 0,
                                                                             "rows": []}  # fmt: skip
    assert admin.post("/__sandbox/journal/purge", params={"client": cid}).json() == {"purged": 0}


def newest_event(admin: httpx.Client, action: str) -> dict[str, Any]:
    events = admin.get("/__sandbox/journal/events", params={"limit": 20}).json()["events"]
    return next(e for e in events if e["action"] == action)


def test_a_purge_is_an_admin_event_that_outlives_every_purge(
    admin: httpx.Client, api: httpx.Client, qa_server: QAServer, closed_entry: dict[str, Any]
) -> None:
    cid = qa_server.demo["client_id"]
    api.post(qa_server.origin + closed_entry["path"], json=closed_entry["body"])
    purged = admin.delete("/__sandbox/journal", params={"client": cid}).json()["purged"]
    event = newest_event(admin, "journal.purge")
    assert (event["peer_ip"], event["credential"]) == ("127.0.0.1", "admin token")
    assert event["details"] == {"client": cid, "purged": purged}
    assert admin.post("/__sandbox/journal/purge").status_code == 200  # everything, all clients
    after = admin.get("/__sandbox/journal/events", params={"limit": 20}).json()["events"]
    assert event in after and after[0]["action"] == "journal.purge"
    assert "client" not in after[0]["details"]
    assert admin.get("/__sandbox/journal/events", params={"since": "then"}).status_code == 400
    assert qa_server.admin_token not in str(after)
