"""domain/durations.py: one grammar for every duration the sandbox reads."""

from __future__ import annotations

import pytest

from ficoba_sandbox.domain.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("200ms", 0.2), ("1.5s", 1.5), ("90s", 90), (" 15 m ", 900), ("2h", 7200), ("7d", 604800)],
)
def test_a_number_and_its_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["200", "ms", "-1s", "2 weeks", "1.s", "", "1e3s"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="a number with a unit"):
        parse_duration(text)
