"""`GET /__sandbox/recette/{client_id}` and `GET|POST|DELETE .../drills` (admin/recette.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.events import EventType, SecurityEvent
from ficoba_sandbox.gateway.clients import ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import ensure_pki
from ficoba_sandbox.recette.collect import build_recette


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


def test_the_report_reads_the_events_file_the_server_writes(
    tmp_path: Path,
    open_app: Callable[..., SandboxApp],
    admin_of: Callable[[SandboxApp], httpx.Client],
) -> None:
    """`--events-file` elsewhere than D/events.jsonl: the report's security section (from the
    admin plane, and from the command line through D/recette/server.json) reads that file."""
    paths, _ = ensure_pki(tmp_path / "state")
    demo, _ = ensure_demo_client(paths, public_origin("127.0.0.1", 8443))
    elsewhere = tmp_path / "logs" / "security.jsonl"
    app = open_app(state_dir=paths.root, events_file=elsewhere)
    event = SecurityEvent(EventType.ENUMERATION, datetime.now(UTC), client_id=demo["client_id"])
    app.sandbox.events.emit(event)
    app.sandbox.events.flush()
    report = admin_of(app).get(f"/__sandbox/recette/{demo['client_id']}")
    assert report.status_code == 200, report.text
    assert report.json()["header"]["security_events"]["by_type"] == {"enumeration": 1}
    from_cli = build_recette(paths.root, demo["client_id"])
    assert from_cli.header["security_events"]["total"] == 1
