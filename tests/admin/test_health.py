"""`GET health` and `GET ready` (admin/health.py)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ficoba_sandbox.app import SandboxApp
from gateway_support import free_port


def test_health_and_ready(admin: httpx.Client) -> None:
    assert admin.get("/__sandbox/health").json() == {"status": "ok", "contract_version": "2026-01"}
    ready = admin.get("/__sandbox/ready")
    assert ready.json()["status"] == "ready"
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "dataset": True,
        "gateway": True,
        "registry": True,
        "journal": True,
        "quota_storage": True,
    }


def test_not_ready_while_the_quota_storage_is_unreachable(
    open_app: Callable[..., SandboxApp], admin_of: Callable[[SandboxApp], httpx.Client]
) -> None:
    # nothing listens on that loopback port: the quota cannot count, the API would answer 503
    app = open_app(quota_storage=f"redis://127.0.0.1:{free_port()}/0")
    admin = admin_of(app)
    r = admin.get("/__sandbox/ready")
    assert r.status_code == 503
    assert r.json() == {
        "status": "not ready",
        "checks": {
            "dataset": True,
            "gateway": True,
            "registry": True,
            "journal": True,
            "quota_storage": False,
        },
    }
    assert admin.get("/__sandbox/health").json() == {"status": "ok", "contract_version": "2026-01"}
