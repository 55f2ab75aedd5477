"""Service hours (gateway/service_hours.py, the pipeline's `availability` step; docs/quota.md):
the daily maintenance window in Paris time and the admin plane's forced state, on the real app.
Every maintenance 503 is `CAT001` with `Retry-After` (the seconds to the window's end; 60 when
forced, which has no scheduled end), counted by the quota (the step before it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.service_hours import MaintenanceWindow, ServiceHours

GW = "/ficoba-api/v2"
BE = "/fcb-masrestit/api/v2"
MAINTENANCE = "Service temporairement indisponible ou en maintenance"


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "at", "inside"),
    [
        # winter: Paris = UTC+1
        ("03:00-04:00", utc(2026, 1, 15, 2, 0), True),
        ("03:00-04:00", utc(2026, 1, 15, 2, 59, 59), True),
        ("03:00-04:00", utc(2026, 1, 15, 3, 0), False),  # end is exclusive
        ("03:00-04:00", utc(2026, 1, 15, 1, 59, 59), False),
        # summer: Paris = UTC+2
        ("03:00-04:00", utc(2026, 7, 15, 1, 30), True),
        ("03:00-04:00", utc(2026, 7, 15, 2, 30), False),
        # wrapping midnight
        ("23:30-00:30", utc(2026, 1, 15, 22, 45), True),  # 23:45 Paris
        ("23:30-00:30", utc(2026, 1, 15, 23, 15), True),  # 00:15 Paris
        ("23:30-00:30", utc(2026, 1, 15, 23, 30), False),  # 00:30 Paris
        ("23:30-00:30", utc(2026, 1, 15, 12, 0), False),
    ],
)
def test_window_membership_in_paris_time(spec: str, at: datetime, inside: bool) -> None:
    assert MaintenanceWindow.parse(spec).contains(at) is inside


@pytest.mark.parametrize(
    "spec", ["3:00-4:00", "03:00", "24:00-01:00", "03:00-03:00", "03:60-04:00"]
)
def test_bad_windows_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="maintenance window"):
        MaintenanceWindow.parse(spec)


def test_forced_state_overrides_the_window() -> None:
    clock = SystemClock()
    clock.freeze(utc(2026, 1, 15, 2, 30))  # 03:30 Paris, inside 03:00-04:00
    hours = ServiceHours("03:00-04:00", clock=clock)
    assert not hours.available()
    assert hours.retry_after() == 30 * 60
    hours.force_up()
    assert hours.available() and hours.state()["forced"] == "up"
    hours.release()
    assert not hours.available()
    clock.advance(timedelta(hours=1))
    assert hours.available()
    hours.force_down()
    assert not hours.available() and hours.retry_after() is None
    assert ServiceHours(None, clock=clock).available()


# --- on the real app ----------------------------------------------------------------------------


class Caller:
    """One client of the app calling a search and `/etatSante` under both prefixes."""

    def __init__(self, http: httpx.Client, body: dict[str, Any]) -> None:
        self.http, self.body = http, body

    def calls(self) -> list[httpx.Response]:
        return [
            self.http.post(f"{GW}/comptes/numCpte", json=self.body),
            self.http.get(f"{GW}/etatSante"),
            self.http.get(f"{BE}/etatSante"),
        ]

    def statuses(self) -> list[int]:
        return [r.status_code for r in self.calls()]


@pytest.fixture
def caller(
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., dict[str, Any]],
    search_body: Callable[..., dict[str, Any]],
) -> Callable[[SandboxApp], Caller]:
    creds = enrol_client("service-hours")

    def _caller(app: SandboxApp) -> Caller:
        return Caller(make_client(app, creds), search_body(creds, "numCpte"))

    return _caller


def assert_maintenance(r: httpx.Response, retry_after: str) -> None:
    assert r.status_code == 503, r.text
    error = r.json()["erreur"]
    assert (error["code"], error["message"]) == ("CAT001", MAINTENANCE)
    assert r.headers.get_list("Retry-After") == [retry_after]
    assert r.headers["RateLimit-Policy"] == '"default";q=200;w=60'  # counted by the quota


def test_the_maintenance_window_answers_503_cat001_until_its_end(
    open_app: Callable[..., SandboxApp], caller: Callable[[SandboxApp], Caller]
) -> None:
    clock = SystemClock()
    clock.freeze(utc(2026, 1, 15, 1, 59))  # 02:59 Paris
    # tokens live longer than the window: only the window is tested
    app = open_app(clock=clock, maintenance_window="03:00-04:00", token_ttl=4 * 3600)
    client = caller(app)
    assert client.statuses() == [200, 200, 200]

    clock.advance(timedelta(minutes=1))  # 03:00 Paris
    for r in client.calls():
        assert_maintenance(r, "3600")
    clock.advance(timedelta(minutes=30, seconds=0.5))  # 03:30:00.5: whole seconds, rounded up
    for r in client.calls():
        assert_maintenance(r, "1800")
    assert app.sandbox.levels.service_state() == {
        "available": False,
        "forced": None,
        "maintenance_window": "03:00-04:00",
        "time_zone": "Europe/Paris",
        "in_window": True,
    }

    clock.advance(timedelta(minutes=29, seconds=59.5))  # 04:00 Paris
    assert client.statuses() == [200, 200, 200]


def test_the_token_endpoint_stays_open_during_maintenance(
    open_app: Callable[..., SandboxApp], make_client: Callable[..., httpx.Client]
) -> None:
    app = open_app()
    app.sandbox.levels.force_down()
    http = make_client(app)  # its token was issued while the service is down
    assert_maintenance(http.get(f"{GW}/etatSante"), "60")
    app.sandbox.levels.release()
    assert http.get(f"{GW}/etatSante").status_code == 200


def test_forced_maintenance_at_any_moment(
    open_app: Callable[..., SandboxApp], caller: Callable[[SandboxApp], Caller]
) -> None:
    app = open_app()
    levels = app.sandbox.levels
    client = caller(app)
    levels.force_down()
    for r in client.calls():
        assert_maintenance(r, "60")  # no scheduled end to announce: the default
    assert levels.service_state()["forced"] == "down"
    levels.force_up()
    assert client.statuses() == [200, 200, 200]
    assert levels.service_state()["forced"] == "up"
    levels.release()
    assert client.statuses() == [200, 200, 200]  # no window: open
    assert levels.service_state()["forced"] is None


def test_each_call_reads_the_state_at_its_time(
    open_app: Callable[..., SandboxApp], caller: Callable[[SandboxApp], Caller]
) -> None:
    """Forced up inside the window, then back to the schedule: the next call follows at once,
    with the seconds left in the window."""
    clock = SystemClock()
    clock.freeze(utc(2026, 7, 15, 1, 15))  # 03:15 Paris, summer time
    app = open_app(clock=clock, maintenance_window="03:00-04:00")
    levels = app.sandbox.levels
    client = caller(app)
    for r in client.calls():
        assert_maintenance(r, str(45 * 60))
    levels.force_up()
    assert client.statuses() == [200, 200, 200]
    levels.release()
    clock.advance(timedelta(minutes=5))
    for r in client.calls():
        assert_maintenance(r, str(40 * 60))


def test_over_quota_in_maintenance_the_answer_is_429(
    open_app: Callable[..., SandboxApp],
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., dict[str, Any]],
) -> None:
    """The quota is checked before the availability: a maintenance 503 uses a call of the
    quota, and a client over it is told so (with the quota's own `Retry-After`)."""
    clock = SystemClock()
    clock.freeze(utc(2026, 3, 10, 10, 0))
    app = open_app(clock=clock)
    http = make_client(app, enrol_client("service-hours-quota", quota=2))
    app.sandbox.levels.force_down()
    down = [http.get(f"{GW}/etatSante") for _ in range(2)]
    assert [r.status_code for r in down] == [503, 503]
    assert [r.headers["RateLimit"] for r in down] == ['"default";r=1;t=60', '"default";r=0;t=60']
    clock.advance(timedelta(seconds=15))
    over = http.get(f"{GW}/etatSante")
    assert (over.status_code, over.json()["erreur"]["code"]) == (429, "900804")
    assert over.headers.get_list("Retry-After") == ["45"]
