"""`GET health` and `GET ready` (admin/health.py)."""

from __future__ import annotations

import httpx


def test_health_and_ready(admin: httpx.Client) -> None:
    assert admin.get("/__sandbox/ready").json()["status"] == "ready"
