"""The service levels of one sandbox (gateway/service_levels.py): built from the settings by
`create_app`, the admin plane's view of them, and where the pipeline consults them: the quota
before the availability and the latency (api/pipeline.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.latency import Latency
from gateway_support import free_port

GW = "/ficoba-api/v2"


def test_describe_reports_the_settings(open_app: Callable[..., SandboxApp]) -> None:
    clock = SystemClock()
    clock.freeze(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))  # 11:00 Paris: open
    app = open_app(
        clock=clock,
        default_quota=7,
        maintenance_window="03:00-04:00",
        latency="numCpte=p50=80ms,p99=400ms;*=20ms",
        request_timeout="2s",
    )
    assert app.sandbox.levels.describe() == {
        "quota": {
            "default_per_minute": 7,
            "window_seconds": 60,
            "strategy": "moving-window",
            "storage": "memory",
        },
        "service": {
            "available": True,
            "forced": None,
            "maintenance_window": "03:00-04:00",
            "time_zone": "Europe/Paris",
            "in_window": False,
        },
        "latency": {"numCpte": "p50=80ms,p99=400ms", "*": "20ms"},
        "request_timeout_seconds": 2.0,
        "tls_handshakes_refused": {"total": 0, "by_reason": {}},
    }
    # a Redis storage is named, not reached, when the app is built
    redis = open_app(quota_storage=f"redis://127.0.0.1:{free_port()}/0")
    assert redis.sandbox.levels.describe()["quota"]["storage"] == "redis"
    assert redis.sandbox.levels.describe()["request_timeout_seconds"] is None


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("latency", "fast"),
        ("latency", "200"),  # a duration needs its unit
        ("request_timeout", "2"),
        ("maintenance_window", "03:00"),
        ("quota_storage", "memcached://127.0.0.1:11211"),
    ],
)
def test_a_wrong_setting_stops_create_app(
    make_app: Callable[..., SandboxApp], setting: str, value: str
) -> None:
    with pytest.raises(ValueError):
        make_app(**{setting: value})


def test_quota_for_is_the_registry_quota_else_the_default(
    open_app: Callable[..., SandboxApp], enrol_client: Callable[..., dict[str, Any]]
) -> None:
    levels = open_app(default_quota=7).sandbox.levels
    enrol_client("levels-tier", quota=500)
    assert levels.quota_for("levels-tier") == 500
    assert levels.quota_for("nobody-registered") == 7


def test_the_latency_is_drawn_from_the_seed(open_app: Callable[..., SandboxApp]) -> None:
    spec = "p50=80ms,p99=400ms"
    app = open_app(latency=spec)
    drawn = [app.sandbox.levels.latency.delay_for("spi") for _ in range(20)]
    seed = app.sandbox.settings.seed
    same = Latency.parse(spec, seed=seed)
    assert drawn == [same.delay_for("spi") for _ in range(20)]
    other = open_app(latency=spec, seed=seed + 1, store=app.sandbox.store)
    assert drawn != [other.sandbox.levels.latency.delay_for("spi") for _ in range(20)]


def test_a_call_over_quota_is_refused_before_its_delay(
    open_app: Callable[..., SandboxApp],
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., dict[str, Any]],
    search_body: Callable[..., dict[str, Any]],
) -> None:
    """The quota step comes before the latency step: a 429 is not delayed (and the call it
    refuses is not waited for)."""
    app = open_app(latency="numCpte=5s")
    creds = enrol_client("levels-order", quota=1)
    http = make_client(app, creds)
    assert http.get(f"{GW}/etatSante").status_code == 200  # undelayed, counted
    start = time.perf_counter()
    r = http.post(f"{GW}/comptes/numCpte", json=search_body(creds, "numCpte"))
    assert (r.status_code, r.json()["erreur"]["code"]) == (429, "900804")
    assert time.perf_counter() - start < 4.0  # not the 5 s delay
