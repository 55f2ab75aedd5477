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


def test_markdown_report_and_refusals(
    app: SandboxApp,
    enrol_client: Callable[..., dict[str, Any]],
    admin_of: Callable[[SandboxApp], httpx.Client],
) -> None:
    enrol_client("admin-recette-md")
    c = admin_of(app)
    md = c.get("/__sandbox/recette/admin-recette-md", params={"format": "md", "lang": "en"})
    assert md.status_code == 200
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "admin-recette-md" in md.text
    assert c.get("/__sandbox/recette/admin-recette-md", params={"since": "soon"}).status_code == 400
    assert c.get("/__sandbox/recette/admin-recette-md", params={"format": "pdf"}).status_code == 422
    never = c.post("/__sandbox/recette/nobody/drills")
    assert (never.status_code, never.json()["detail"]) == (404, "unknown client 'nobody'")
    idle = c.delete("/__sandbox/recette/admin-recette-md/drills").json()
    assert idle == {"client_id": "admin-recette-md", "plan": None}
    assert c.get("/__sandbox/recette/admin-recette-md/drills").json()["armed"] is False
