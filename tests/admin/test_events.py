"""admin/events.py: `GET /__sandbox/events`, its filters, and a clear 400 for a bad one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ficoba_sandbox.events import EventType, SecurityEvent


def test_events_filtered(open_app: Callable[..., Any], admin_of: Callable[..., Any]) -> None:
    app = open_app()
    log = app.sandbox.events
    at = datetime(2026, 12, 5, 9, tzinfo=UTC)
    log.emit(SecurityEvent(EventType.TOKEN_EXPIRED, at, client_id="a"))
    log.emit(SecurityEvent(EventType.TOKEN_FORGED, at, client_id="b"))
    admin = admin_of(app)
    body = admin.get("/__sandbox/events").json()
    assert [e["type"] for e in body["events"]][-2:] == ["token_expired", "token_forged"]
    assert body["counts"]["token_forged"] >= 1 and body["dropped"] == 0
    only = admin.get("/__sandbox/events", params={"client": "b"}).json()["events"]
    assert [e["client_id"] for e in only] == ["b"]
    severe = admin.get("/__sandbox/events", params={"severity": "critical"}).json()["events"]
    assert {e["type"] for e in severe} == {"token_forged"}
    typed = admin.get("/__sandbox/events", params={"type": "token_expired"}).json()["events"]
    assert {e["type"] for e in typed} == {"token_expired"}
    later = admin.get("/__sandbox/events", params={"since": "2026-12-05T09:00:01Z"}).json()
    assert later["events"] == []


@pytest.mark.parametrize(
    "params", [{"type": "nope"}, {"severity": "loud"}, {"since": "yesterday-ish"}]
)
def test_bad_filters_are_400(
    open_app: Callable[..., Any], admin_of: Callable[..., Any], params: dict[str, str]
) -> None:
    r = admin_of(open_app()).get("/__sandbox/events", params=params)
    assert r.status_code == 400 and r.json()["detail"]
