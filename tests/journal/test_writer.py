"""`journal/writer.py`: queued writes committed, flushed, kept across restarts; the bounds (rows, size, retention) and their enforcement; purge; a failing disk retried."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from journal_calls import call

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.journal import (
    JOURNAL_FILE,
    CallRecord,
    Journal,
    JournalReader,
)


def test_record_flush_query(journal: Journal) -> None:
    for i in range(10):
        journal.record(call(i, client="a" if i % 2 else "b", status=200 if i < 8 else 400))
    assert journal.flush()
    rows = journal.query()
    assert [r["correlation_id"] for r in rows] == [f"corr-{i}" for i in reversed(range(10))]
    assert journal.count() == 10
    assert len(journal.query(client_id="a")) == 5
    assert [r["status"] for r in journal.query(status="4xx")] == [400, 400]
    assert journal.query(status=400, limit=1)[0]["correlation_id"] == "corr-9"
    assert journal.last_rejected("a")["correlation_id"] == "corr-9"
    assert journal.last_rejected("b")["correlation_id"] == "corr-8"
    assert journal.last_rejected("nobody") is None


def test_commit_is_settled_once_the_row_is_committed(journal: Journal) -> None:
    """What an answer waits for (the pipeline's): the row is in the file, for any other
    connection, when the future says so; without a flush."""
    import asyncio

    async def scenario() -> list[int]:
        counts = []
        for batch in range(3):
            waiters = [journal.commit(call(10 * batch + i)) for i in range(5)]
            for waiter in asyncio.as_completed(waiters):
                assert await asyncio.wait_for(waiter, 10) is True
                with sqlite3.connect(journal.path) as other:
                    counts.append(other.execute("SELECT COUNT(*) FROM journal").fetchone()[0])
        return counts

    counts = asyncio.run(scenario())
    assert min(counts[:5]) >= 1 and min(counts[5:10]) >= 6 and min(counts[10:]) >= 11
    assert counts[-1] == 15


def test_batch_durability_does_not_wait(tmp_path: Path) -> None:
    """`FICOBA_SANDBOX_JOURNAL_DURABILITY=batch`: the answer does not wait for the commit (the
    row is still written, in a batch of 50 ms)."""
    import asyncio

    journal = Journal.in_dir(tmp_path, durability="batch")

    async def scenario() -> bool:
        waiter = journal.commit(call(1))
        assert waiter.done()
        return waiter.result()

    try:
        assert journal.batch_delay == 0.05
        assert asyncio.run(scenario()) is False  # not known to be committed
        assert journal.flush(timeout=5)
        assert journal.count() == 1
    finally:
        journal.close()
    with pytest.raises(ValueError, match="durability"):
        Journal.in_dir(tmp_path, durability="sometimes")


def test_close_flushes_everything_and_restart_keeps_it(tmp_path: Path) -> None:
    j = Journal.in_dir(tmp_path)
    for i in range(2000):
        j.record(call(i))
    j.close()  # no explicit flush
    again = Journal.in_dir(tmp_path)
    try:
        assert again.count() == 2000
        again.record(call(2000))
        rows = again.query(limit=2)
        assert [r["correlation_id"] for r in rows] == ["corr-2000", "corr-1999"]
        assert rows[0]["id"] > rows[1]["id"]
    finally:
        again.close()
    assert JournalReader.in_dir(tmp_path).count() == 2001


def test_record_after_close_is_not_lost(tmp_path: Path) -> None:
    j = Journal.in_dir(tmp_path)
    j.close()
    j.record(call(1))
    assert JournalReader.in_dir(tmp_path).count() == 1


def test_row_bound(tmp_path: Path) -> None:
    j = Journal.in_dir(tmp_path, max_rows=50, prune_every=0)
    try:
        for i in range(120):
            j.record(call(i))
        j.flush()
        j.prune()
        rows = j.query(limit=1000)
        assert len(rows) == 50
        assert rows[0]["correlation_id"] == "corr-119"
        assert rows[-1]["correlation_id"] == "corr-70"
    finally:
        j.close()


def test_size_bound(tmp_path: Path) -> None:
    limit = 512 * 1024
    j = Journal.in_dir(tmp_path, max_bytes=limit, prune_every=0, body_max_chars=4000)
    body = json.dumps({"motif": "0003", "padding": "x" * 3000}).encode()
    try:
        for i in range(1000):  # ~3 MB of bodies
            j.record(call(i, body=body))
        j.flush()
        j.prune()
        assert 0 < j.count() < 1000
        assert j.query(limit=1)[0]["correlation_id"] == "corr-999"  # newest kept
    finally:
        j.close()
    size = (tmp_path / JOURNAL_FILE).stat().st_size
    assert size <= limit * 1.2, size  # the file itself shrank (incremental vacuum)


def test_retention_follows_the_injected_clock(tmp_path: Path) -> None:
    clock = SystemClock()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    clock.freeze(start)
    j = Journal.in_dir(tmp_path, clock=clock, retention_days=7, prune_every=3600)
    try:
        j.record(call(1, ts=start - timedelta(days=10)))
        j.record(call(2, ts=start - timedelta(days=3)))
        j.record(call(3, ts=start))
        j.flush()
        assert j.prune() == 1
        assert {r["correlation_id"] for r in j.query()} == {"corr-2", "corr-3"}
        clock.advance(timedelta(days=5))
        assert j.prune() == 1
        assert [r["correlation_id"] for r in j.query()] == ["corr-3"]
    finally:
        j.close()


def test_retention_applied_when_opened(tmp_path: Path) -> None:
    j = Journal.in_dir(tmp_path)
    j.record(call(1, ts=datetime.now(UTC) - timedelta(days=40)))
    j.record(call(2))
    j.close()
    j2 = Journal.in_dir(tmp_path, retention_days=30)
    try:
        assert [r["correlation_id"] for r in j2.query()] == ["corr-2"]
    finally:
        j2.close()


def test_purge(journal: Journal) -> None:
    for i in range(6):
        journal.record(call(i, client="a" if i < 4 else "b"))
    assert journal.purge("a") == 4
    assert journal.count() == 2
    assert journal.purge() == 2
    assert journal.count() == 0


def test_write_failure_is_retried_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    """The thread writer's own failure (the process's: test_process.py): retried every 0.2 s,
    logged once when it starts and once when it ends; the answer waiting for the row goes (the
    row stays queued)."""
    import asyncio

    journal = Journal.in_dir(tmp_path, writer="thread")
    original = journal._write
    failing = {"on": True}

    def flaky(calls: list[CallRecord]) -> None:
        if failing["on"]:
            raise sqlite3.OperationalError("disk I/O error")
        original(calls)

    async def waited() -> bool:
        return await asyncio.wait_for(journal.commit(call(2)), 5)

    monkeypatch.setattr(journal, "_write", flaky)
    journal.record(call(1))
    assert not journal.flush(timeout=1.0)  # about five tries
    assert not journal.healthy
    assert "disk I/O error" in (journal.last_error or "")
    assert asyncio.run(waited()) is False
    failing["on"] = False
    assert journal.flush(timeout=5)
    assert journal.healthy
    assert journal.count() == 2
    journal.close()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("ficoba_sandbox")]
    assert lines == [
        "journal storage unreachable: OperationalError: disk I/O error"
        " (the calls are kept and retried)",
        "journal storage back",
    ]


def test_a_failing_prune_is_logged_once_each_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The bounds' deletions run after each batch (every `prune_every`); failing at each one (a
    disk fault) they are said once when they start failing and once when they work again, not
    with a traceback every time."""
    journal = Journal.in_dir(tmp_path, writer="thread", prune_every=0.0, max_rows=2)
    original = journal.database.prune
    failing = {"on": True, "tries": 0}

    def flaky(conn: sqlite3.Connection) -> int:
        if failing["on"]:
            failing["tries"] += 1
            raise sqlite3.OperationalError("disk I/O error")
        return original(conn)

    monkeypatch.setattr(journal.database, "prune", flaky)
    try:
        for i in range(5):
            journal.record(call(i))
            assert journal.flush(timeout=5)
        assert failing["tries"] >= 5 and journal.count() == 5  # the rows are written all the same
        failing["on"] = False
        journal.record(call(5))
        assert journal.flush(timeout=5)
        assert journal.count() == 2  # bounded again
    finally:
        journal.close()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("ficoba_sandbox")]
    assert lines == [
        "journal storage (bounds) unreachable: OperationalError: disk I/O error",
        "journal storage (bounds) back",
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_wal_mode(journal: Journal) -> None:
    conn = sqlite3.connect(journal.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_depth_and_write_lag_while_the_storage_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """What the metrics read (metrics.py): the rows waiting, the age of the oldest, the failed
    writes; all back to 0 once the storage writes again."""
    journal = Journal.in_dir(tmp_path, writer="thread")
    original = journal._write
    failing = {"on": True}

    def flaky(calls: list[CallRecord]) -> None:
        if failing["on"]:
            raise sqlite3.OperationalError("disk I/O error")
        original(calls)

    monkeypatch.setattr(journal, "_write", flaky)
    assert (journal.depth(), journal.write_lag()) == (0, 0.0)
    for n in range(3):
        journal.record(call(n))
    assert not journal.flush(timeout=0.5)
    assert journal.depth() == 3
    assert journal.write_lag() >= 0.5
    assert journal.write_failures >= 1
    failing["on"] = False
    assert journal.flush(timeout=5)
    assert (journal.depth(), journal.write_lag(), journal.lost) == (0, 0.0, 0)
    journal.close()


def test_write_lag_is_not_measured_when_told_not_to(tmp_path: Path) -> None:
    journal = Journal.in_dir(tmp_path, writer="thread", measure=False)
    journal.record(call(1))
    assert (journal.depth(), journal.write_lag(), journal.queued) == (0, 0.0, 0)
    journal.close()
