"""`GET clock`, `POST clock/freeze|unfreeze|advance|reset` (admin/clock.py)."""

from __future__ import annotations

import httpx


def test_clock_freeze_advance_reset(admin: httpx.Client) -> None:
    frozen = admin.post("/__sandbox/clock/freeze", json={"at": "2030-01-02T03:04:05Z"}).json()
    assert frozen["frozen"] and frozen["now"].startswith("2030-01-02T03:04:05")
    moved = admin.post("/__sandbox/clock/advance", json={"duration": "1d"}).json()
    assert moved["now"].startswith("2030-01-03T03:04:05") and moved["today"] == "2030-01-03"
    assert admin.post("/__sandbox/clock/advance", json={"duration": "soon"}).status_code == 422
    back = admin.post("/__sandbox/clock/reset").json()
    assert not back["frozen"] and abs(back["offset_seconds"]) < 5
