"""Service hours: the maintenance window (Europe/Paris) and the forced state of the admin plane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from quota_stub_app import PREFIX, build

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.gateway.service_hours import MaintenanceWindow, ServiceHours
from ficoba_sandbox.settings import Settings

AUTH = {"Authorization": "Bearer bank-a"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


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


async def _statuses(app: object) -> tuple[httpx.Response, httpx.Response]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        resource = await c.post(f"{PREFIX}/comptes/numCpte", json={}, headers=AUTH)
        sante = await c.get(f"{PREFIX}/etatSante", headers=AUTH)
    return resource, sante


@pytest.mark.anyio
async def test_maintenance_window_answers_503_cat001_then_reopens() -> None:
    clock = SystemClock()
    clock.freeze(utc(2026, 1, 15, 1, 59))  # 02:59 Paris
    app, _ = build(Settings(maintenance_window="03:00-04:00"), clock=clock)
    resource, sante = await _statuses(app)
    assert (resource.status_code, sante.status_code) == (200, 200)

    clock.advance(timedelta(minutes=1))  # 03:00 Paris
    resource, sante = await _statuses(app)
    for r in (resource, sante):
        assert r.status_code == 503
        assert r.json()["erreur"]["code"] == "CAT001"
        assert (
            r.json()["erreur"]["message"] == "Service temporairement indisponible ou en maintenance"
        )
        assert r.headers["Retry-After"] == "3600"
        assert "RateLimit" in r.headers  # the gateway counted the call before the backend refused

    clock.advance(timedelta(hours=1))  # 04:00 Paris
    resource, sante = await _statuses(app)
    assert (resource.status_code, sante.status_code) == (200, 200)


@pytest.mark.anyio
async def test_forced_maintenance_at_any_moment() -> None:
    clock = SystemClock()
    app, levels = build(Settings(), clock=clock)
    levels.force_down()
    resource, sante = await _statuses(app)
    assert (resource.status_code, sante.status_code) == (503, 503)
    assert "Retry-After" not in resource.headers  # no scheduled end to announce
    levels.force_up()
    resource, sante = await _statuses(app)
    assert (resource.status_code, sante.status_code) == (200, 200)
    assert levels.service_state()["forced"] == "up"


@pytest.mark.anyio
async def test_the_backend_flag_is_driven_when_a_hook_is_given() -> None:
    """Wired into the real app, the backend renders the 503s; the middleware only informs it."""
    seen: list[tuple[bool, int | None]] = []
    clock = SystemClock()
    clock.freeze(utc(2026, 1, 15, 2, 30))
    app, levels = build(
        Settings(maintenance_window="03:00-04:00"),
        clock=clock,
        availability=lambda up, retry: seen.append((up, retry)),
    )
    resource, _ = await _statuses(app)
    assert resource.status_code == 200  # the stub backend ignores the flag
    levels.force_up()
    await _statuses(app)
    assert seen == [(False, 1800), (False, 1800), (True, None), (True, None)]
