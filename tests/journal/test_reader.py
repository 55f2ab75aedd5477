"""`journal/reader.py` and `record.parse_since`: queries by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from journal_calls import call

from ficoba_sandbox.journal import (
    Journal,
    parse_since,
)


def test_since_filter(journal: Journal) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(5):
        journal.record(call(i, ts=base + timedelta(minutes=i)))
    rows = journal.query(since=base + timedelta(minutes=3))
    assert [r["correlation_id"] for r in rows] == ["corr-4", "corr-3"]
    assert journal.query(since="2026-01-01T00:02:00Z", limit=10)[-1]["correlation_id"] == "corr-2"


def test_parse_since() -> None:
    ref = datetime(2026, 5, 5, 12, tzinfo=UTC)
    assert parse_since("2h", ref) == datetime(2026, 5, 5, 10, tzinfo=UTC)
    assert parse_since("7d", ref) == datetime(2026, 4, 28, 12, tzinfo=UTC)
    assert parse_since("2026-05-05T10:00:00") == datetime(2026, 5, 5, 10, tzinfo=UTC)
    assert parse_since("2026-05-05T12:00:00+02:00") == datetime(2026, 5, 5, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_since("yesterday")
