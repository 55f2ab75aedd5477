"""`GET /__sandbox/recette/{client_id}` and `GET|POST|DELETE .../drills` (admin/recette.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ficoba_sandbox.app import SandboxApp


def test_drills_and_report_routes(
    app: SandboxApp,
    enrol_client: Callable[..., dict[str, Any]],
    admin_of: Callable[[SandboxApp], httpx.Client],
) -> None:
    enrol_client("admin-recette")
    c = admin_of(app)
    armed = c.post("/__sandbox/recette/admin-recette/drills?drills=slow")
    status = c.get("/__sandbox/recette/admin-recette/drills")
    stopped = c.delete("/__sandbox/recette/admin-recette/drills")
    report = c.get("/__sandbox/recette/admin-recette")
    page = c.get("/__sandbox/recette/admin-recette?format=html&lang=en")
    unknown = c.get("/__sandbox/recette/nobody")
    bad = c.post("/__sandbox/recette/admin-recette/drills?drills=nope")
    assert armed.status_code == 200 and armed.json()["drills"] == [{"name": "slow", "at_call": 3}]
    assert status.json()["armed"] is True
    assert stopped.json()["plan"]["disarmed_at"]
    doc = report.json()
    assert doc["client_id"] == "admin-recette" and doc["lang"] == "fr"
    assert doc["header"]["dataset_digest"] == app.sandbox.store.digest()
    assert [d["event"] for d in doc["drills"]] == ["start", "stop"]
    assert page.headers["content-type"].startswith("text/html") and 'id="verdict"' in page.text
    assert unknown.status_code == 404 and bad.status_code == 400
