"""The recette's window (recette/collect.py) and the journal's time beside a moved sandbox clock
(docs/journal.md, "Time"; docs/recette.md, "The window")."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.events import EventLog, EventType, SecurityEvent
from ficoba_sandbox.journal import JournalReader
from ficoba_sandbox.recette.collect import build_recette, security_events_of
from ficoba_sandbox.recette.criteria import parse_ts


def test_the_report_starts_at_the_last_recette_start_and_the_journal_keeps_wall_time(
    open_app: Callable[..., SandboxApp],
    enrol_client: Callable[..., dict[str, Any]],
    make_client: Callable[..., httpx.Client],
    admin_of: Callable[[SandboxApp], httpx.Client],
) -> None:
    creds = enrol_client("window-client")
    app = open_app()
    state_dir = Path(app.sandbox.settings.state_dir)
    admin = admin_of(app)
    before = datetime.now(UTC)
    http = make_client(app, creds)
    with admin, contextlib.closing(http):
        # exploring before the run: a deliberate error (no correlation id)
        explored = http.get("/ficoba-api/v2/etatSante", headers={"X-Correlation-ID": ""})
        assert explored.status_code == 400
        assert admin.post("/__sandbox/recette/window-client/drills?drills=slow").status_code == 200
        # a pack moves the sandbox clock half an hour ahead (the token still valid), then the run calls
        assert admin.post("/__sandbox/clock/advance", json={"seconds": 1800}).status_code == 200
        try:
            run = http.get("/ficoba-api/v2/etatSante")
        finally:
            admin.post("/__sandbox/clock/reset")
    assert run.status_code == 200
    assert app.sandbox.journal.flush(timeout=5.0)
    after = datetime.now(UTC)

    rows = JournalReader.in_dir(state_dir).query(client_id="window-client", since=before)
    call = next(r for r in rows if r["method"] == "GET" and r["status"] == 200)
    # the row keeps the wall-clock time; the sandbox's instant is recorded beside it
    assert before <= parse_ts(call["ts"]) <= after
    moved = parse_ts(call["details"]["sandbox_time"]) - parse_ts(call["ts"])
    assert timedelta(seconds=1795) < moved < timedelta(seconds=1805)
    refused = next(r for r in rows if r["status"] == 400)
    assert "sandbox_time" not in refused["details"]

    default = build_recette(state_dir, "window-client")
    assert default.header["window"] == "last_start"
    assert default.header["period_to"] is not None
    assert parse_ts(default.header["period_to"]) <= after  # never in the future
    assert default.evaluation.calls == 1  # the run's call, not the exploring one
    explicit = build_recette(state_dir, "window-client", before - timedelta(seconds=1))
    assert explicit.header["window"] == "since"
    assert explicit.evaluation.calls == 3  # the token, the exploring call, the run's


def test_the_security_events_of_the_client_in_the_window(tmp_path: Path) -> None:
    """The report's "security events" section: the client's events of the window only."""
    log = EventLog(path=tmp_path / "events.jsonl")
    early, late = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC)
    log.emit(SecurityEvent(EventType.TOKEN_EXPIRED, early, client_id="c1"))
    log.emit(SecurityEvent(EventType.ENUMERATION, late, client_id="c1", evidence={"n": 4}))
    log.emit(SecurityEvent(EventType.ENUMERATION, late, client_id="other"))
    log.close()
    found = security_events_of(tmp_path, "c1", "2026-12-02T00:00:00Z")
    assert found["total"] == 1 and found["by_type"] == {"enumeration": 1}
    assert found["events"][0]["evidence"] == {"n": 4}
    assert security_events_of(tmp_path, "c1")["total"] == 2
    assert security_events_of(tmp_path / "none", "c1")["total"] == 0
