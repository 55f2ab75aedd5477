"""`journal/record.py`: the time format."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from ficoba_sandbox.journal import record as jr


def test_format_ts_fast_path_is_strftime() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        at = datetime(1, 1, 1, tzinfo=UTC) + timedelta(
            days=rng.randrange(0, 3_000_000), microseconds=rng.randrange(0, 86_400 * 10**6)
        )
        if rng.random() < 0.1:
            at = at.replace(microsecond=0)  # isoformat would drop a zero fraction by default
        assert jr.format_ts(at) == at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), at
    # other zones and naive instants still go through the plain rule
    paris = datetime(2026, 3, 29, 3, 30, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    assert jr.format_ts(paris) == "2026-03-29T01:30:00.000005Z"
    assert jr.format_ts(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000Z"
