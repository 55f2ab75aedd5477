"""End to end on the real app (`create_app` + gateway): a real token, the registry's quota."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ficoba_sandbox.domain.clock import SystemClock

SANTE = "/ficoba-api/v2/etatSante"
CORR = "6f1c2b9e-0d3a-4e8b-9a57-3c2d1e0f4a6b"


def _frozen() -> SystemClock:
    clock = SystemClock()
    clock.freeze(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    return clock


def test_a_client_with_quota_3_sees_the_429_on_its_4th_call(
    make_app: Callable[..., Any],
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., dict[str, Any]],
) -> None:
    clock = _frozen()
    app = make_app(clock=clock)
    assert app.state.service_levels is not None
    creds = enrol_client("quota-three", quota=3)
    http = make_client(app, creds)  # fetching the token does not count
    try:
        ok = [http.get(SANTE) for _ in range(3)]
        over = http.get(SANTE, headers={"X-Correlation-ID": CORR})
        clock.advance(timedelta(seconds=61))
        again = http.get(SANTE)
    finally:
        http.close()

    assert [r.status_code for r in ok] == [200, 200, 200]
    assert [r.headers["RateLimit"] for r in ok] == [f'"default";r={n};t=60' for n in (2, 1, 0)]
    assert ok[0].headers["RateLimit-Policy"] == '"default";q=3;w=60'
    assert over.status_code == 429
    assert over.json()["erreur"]["code"] == "900804"
    assert over.json()["erreur"]["message"] == "Message throttled out"
    assert over.headers["Retry-After"] == "60"
    assert over.headers["X-Correlation-ID"] == CORR  # the gateway still echoes it
    assert again.status_code == 200


def test_clients_are_independent_and_admin_hooks_see_the_registry_quota(
    make_app: Callable[..., Any],
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., dict[str, Any]],
) -> None:
    import asyncio

    app = make_app(clock=_frozen())
    a = enrol_client("quota-a", quota=2)
    b = enrol_client("quota-b", quota=500)
    ha, hb = make_client(app, a), make_client(app, b)
    try:
        assert [ha.get(SANTE).status_code for _ in range(3)] == [200, 200, 429]
        assert hb.get(SANTE).status_code == 200
    finally:
        ha.close()
        hb.close()
    levels = app.state.service_levels
    state = asyncio.run(levels.quota_state("quota-b"))
    assert (state["quota"], state["used"], state["remaining"]) == (500, 1, 499)
    asyncio.run(levels.reset_quota("quota-a"))  # memory storage: no loop-bound state


def test_forced_maintenance_reaches_the_backend(
    make_app: Callable[..., Any],
    make_client: Callable[..., httpx.Client],
) -> None:
    app = make_app()
    levels = app.state.service_levels
    http = make_client(app)
    try:
        levels.force_down()
        down = http.get(SANTE)
        levels.force_up()
        up = http.get(SANTE)
    finally:
        http.close()
    assert down.status_code == 503
    assert down.json()["erreur"]["code"] == "CAT001"
    assert up.status_code == 200
    assert up.json() == {"descriptif": "L'API est opérationnelle"}


def test_app_clock_follows_the_apps_clock() -> None:
    """`AppClock` reads `app.state.clock` at each call (replacing it moves the windows), from a
    Starlette State or any object with a `state.clock`, and falls back to the system clock."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from fastapi import FastAPI
    from ficoba_sandbox.api.service_levels import AppClock

    class Fixed:
        def __init__(self, at: datetime) -> None:
            self.at = at

        def now(self) -> datetime:
            return self.at

    a, b = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    app = FastAPI()
    clock = AppClock(app, fallback=Fixed(b))
    assert clock.now() == b  # no app clock yet: the fallback
    app.state.clock = Fixed(a)
    assert clock.now() == a
    app.state.clock = Fixed(b)
    assert clock.now() == b
    other = SimpleNamespace(state=SimpleNamespace(clock=Fixed(a)))
    assert AppClock(other).now() == a
    assert abs((AppClock(SimpleNamespace()).now() - datetime.now(UTC)).total_seconds()) < 60
