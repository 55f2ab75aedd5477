"""`GET clock`, `POST clock/freeze|unfreeze|advance|reset` (admin/clock.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import SandboxApp


def test_clock_freeze_advance_reset(admin: httpx.Client) -> None:
    frozen = admin.post("/__sandbox/clock/freeze", json={"at": "2030-01-02T03:04:05Z"}).json()
    assert frozen["frozen"] and frozen["now"].startswith("2030-01-02T03:04:05")
    moved = admin.post("/__sandbox/clock/advance", json={"duration": "1d"}).json()
    assert moved["now"].startswith("2030-01-03T03:04:05") and moved["today"] == "2030-01-03"
    assert admin.post("/__sandbox/clock/advance", json={"duration": "soon"}).status_code == 422
    back = admin.post("/__sandbox/clock/reset").json()
    assert not back["frozen"] and abs(back["offset_seconds"]) < 5


def test_clock_read_seconds_and_unfreeze(admin: httpx.Client) -> None:
    # an instant without offset is read as UTC
    frozen = admin.post("/__sandbox/clock/freeze", json={"at": "2030-01-02T23:30:00"}).json()
    assert frozen["now"] == "2030-01-02T23:30:00+00:00"
    assert frozen["today"] == "2030-01-03"  # the day in Paris, an hour ahead in winter
    read = admin.get("/__sandbox/clock").json()
    assert (read["now"], read["frozen"], read["today"]) == (frozen["now"], True, "2030-01-03")
    moved = admin.post("/__sandbox/clock/advance", json={"seconds": 90}).json()
    assert moved["now"] == "2030-01-02T23:31:30+00:00" and moved["frozen"]
    back = admin.post("/__sandbox/clock/advance", json={"seconds": -90})
    assert back.status_code == 422  # forward only; the clock has not moved
    assert admin.get("/__sandbox/clock").json()["now"] == moved["now"]
    missing = admin.post("/__sandbox/clock/advance", json={})
    assert (missing.status_code, missing.json()["detail"]) == (422, "give seconds or duration")
    running = admin.post("/__sandbox/clock/unfreeze").json()
    assert not running["frozen"] and running["now"] >= "2030-01-02T23:31:30"
    ahead = datetime(2030, 1, 2, 23, 31, 30, tzinfo=UTC) - datetime.now(UTC)
    assert running["offset_seconds"] == pytest.approx(ahead.total_seconds(), abs=5)


class StoppedClock:
    """A clock that is not the sandbox's `SystemClock`: the admin plane can read it only."""

    def now(self) -> datetime:
        return datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_a_clock_that_cannot_be_driven(
    open_app: Callable[..., SandboxApp], admin_of: Callable[[SandboxApp], httpx.Client]
) -> None:
    admin = admin_of(open_app(clock=StoppedClock()))
    now = admin.get("/__sandbox/clock").json()
    assert (now["now"], now["frozen"], now["today"]) == ("2026-03-02T10:00:00+00:00", False,
                                                         "2026-03-02")  # fmt: skip
    for route, body in [("freeze", {}), ("unfreeze", None), ("advance", {"seconds": 1}),
                        ("reset", None)]:  # fmt: skip
        r = admin.post(f"/__sandbox/clock/{route}", json=body)
        assert (r.status_code, r.json()["detail"]) == (
            409,
            "this sandbox's clock cannot be driven",
        ), route


def test_only_a_move_back_is_an_admin_event(admin: httpx.Client) -> None:
    def clock_events() -> list[dict[str, Any]]:
        events = admin.get("/__sandbox/journal/events", params={"limit": 50}).json()["events"]
        return [e for e in events if e["action"] == "clock.back"]

    seen = len(clock_events())
    admin.post("/__sandbox/clock/freeze", json={"at": "2040-01-01T00:00:00Z"})  # ahead
    admin.post("/__sandbox/clock/advance", json={"duration": "1h"})
    admin.post("/__sandbox/clock/unfreeze")
    assert len(clock_events()) == seen
    admin.post("/__sandbox/clock/reset")  # from 2040 back to now: expired tokens valid again
    back = clock_events()
    assert len(back) == seen + 1
    assert back[0]["details"]["clock_from"].startswith("2040-01-01T01:00")
    assert back[0]["credential"] == "admin token" and back[0]["peer_ip"] == "127.0.0.1"
    admin.post("/__sandbox/clock/freeze", json={"at": "2001-01-01T00:00:00Z"})  # into the past
    assert clock_events()[0]["details"]["clock_to"] == "2001-01-01T00:00:00+00:00"
