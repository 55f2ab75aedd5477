"""domain/clock.py: the injectable clock (frozen, shifted) and the backend's timestamp format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ficoba_sandbox.domain.clock import SystemClock, horodatage

AT = datetime(2025, 10, 15, 12, 3, 4, 567_891, tzinfo=UTC)


def test_system_clock_is_aware_and_follows_the_wall_clock() -> None:
    clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is not None and before <= now <= datetime.now(UTC)
    assert not clock.frozen


def test_frozen_clock_stands_still_and_advances_on_demand() -> None:
    clock = SystemClock()
    paris = timezone(timedelta(hours=2))
    assert clock.freeze(AT.astimezone(paris)) == AT
    assert clock.frozen and clock.now() == AT and clock.now().tzinfo == UTC
    assert clock.advance(timedelta(hours=1)) == AT + timedelta(hours=1) == clock.now()


def test_unfreezing_keeps_the_shift() -> None:
    clock = SystemClock()
    clock.freeze(AT)
    clock.unfreeze()
    assert not clock.frozen
    assert AT <= clock.now() < AT + timedelta(minutes=1)  # runs again from the frozen instant
    shifted = clock.advance(timedelta(days=1))
    assert AT + timedelta(days=1) <= shifted < AT + timedelta(days=1, minutes=1)


def test_freeze_without_an_instant_freezes_now() -> None:
    clock = SystemClock()
    frozen = clock.freeze()
    assert abs(frozen - datetime.now(UTC)) < timedelta(minutes=1) and clock.now() == frozen


def test_horodatage_format() -> None:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, milliseconds truncated (CONTRACT §6.1)."""
    assert horodatage(AT) == "2025-10-15T12:03:04.567Z"
    assert horodatage(AT.astimezone(timezone(timedelta(hours=2)))) == "2025-10-15T12:03:04.567Z"
