"""events/patterns.py: bursts, distinct values and reuse within a window, one report per window;
declared hours in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ficoba_sandbox.events.patterns import MAX_KEYS, Burst, Distinct, Hours, Recent


def test_a_burst_is_reported_once_per_window() -> None:
    burst: Burst[str] = Burst(3, 60)
    assert [burst.hit("a", t) for t in (0, 1, 2, 3, 4)] == [False, False, True, False, False]
    assert burst.hit("b", 5) is False  # keys apart
    assert [burst.hit("a", t) for t in (70, 71, 72)] == [False, False, True]  # a new window


def test_a_slow_pace_is_no_burst() -> None:
    burst: Burst[str] = Burst(3, 60)
    assert not any(burst.hit("a", t) for t in range(0, 600, 30))


def test_off_at_zero_and_bounded() -> None:
    assert Burst[str](0, 60).hit("a", 0) is False
    burst: Burst[int] = Burst(2, 60)
    for key in range(MAX_KEYS + 10):
        burst.hit(key, 0)
    assert len(burst._seen) == MAX_KEYS


def test_distinct_values_make_the_pattern_repeats_do_not() -> None:
    distinct: Distinct[str] = Distinct(3, 60)
    assert [distinct.add("c", "same", t) for t in range(10)] == [False] * 10
    assert [distinct.add("c", v, 11) for v in ("x", "y")] == [False, True]
    assert distinct.add("c", "z", 12) is False  # reported for this window


def test_a_value_seen_again_is_reported_once() -> None:
    recent: Recent[str] = Recent(600)
    assert [recent.seen_before("c", "id", t) for t in (0, 1, 2)] == [False, True, False]
    assert recent.seen_before("other", "id", 3) is False
    assert recent.seen_before("c", "id", 700) is False  # the window is over


@pytest.mark.parametrize(
    ("text", "paris_time", "inside"),
    [
        ("08:00-19:00", "08:00", True),
        ("08:00-19:00", "18:59", True),
        ("08:00-19:00", "19:00", False),
        ("08:00-19:00", "03:00", False),
        ("00:00-24:00", "23:59", True),
    ],
)
def test_hours_in_paris(text: str, paris_time: str, inside: bool) -> None:
    # 5 December: Paris is UTC+1
    hour, minute = (int(x) for x in paris_time.split(":"))
    at = datetime(2026, 12, 5, (hour - 1) % 24, minute, tzinfo=UTC)
    assert Hours.parse(text).contains(at) is inside
    assert str(Hours.parse(text)) == text


@pytest.mark.parametrize("text", ["8-19", "19:00-08:00", "08:00-24:30", "25:00-26:00", ""])
def test_bad_hours_say_why(text: str) -> None:
    with pytest.raises(ValueError, match="hours"):
        Hours.parse(text)
