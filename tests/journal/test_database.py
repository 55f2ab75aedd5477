"""`journal/database.py`: rows that SQLite cannot bind as they are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.journal import CallRecord, JournalReader, Masker
from ficoba_sandbox.journal.database import JOURNAL_FILE, Database
from ficoba_sandbox.settings import Settings


def test_a_lone_surrogate_in_a_batch_is_stored_and_the_rest_with_it(tmp_path: Path) -> None:
    """One value SQLite cannot encode: the batch is written again with it made storable, and
    neither it nor its neighbours are lost."""
    database = Database(tmp_path / JOURNAL_FILE, clock=SystemClock(), masker=Masker(enabled=False))
    conn = database.open_writer()
    try:
        now = datetime.now(UTC)
        calls = [
            CallRecord(
                ts=now,
                method="POST",
                path="/p",
                status=200,
                latency_ms=1.0,
                client_id=f"c{i}",
                motif="\ud800" if i == 1 else "M",
            )
            for i in range(3)
        ]
        assert database.insert(conn, calls) == 3
    finally:
        conn.close()
    rows = JournalReader.in_dir(tmp_path).query(limit=10, newest_first=False)
    assert [r["client_id"] for r in rows] == ["c0", "c1", "c2"]
    assert rows[1]["motif"] == "\\ud800"


def test_the_servers_defaults_are_the_journals() -> None:
    """The bounds a server gets without settings are those a `Journal` has by itself."""
    s = Settings()
    assert (s.journal_max_rows, s.journal_max_bytes, s.journal_retention_days) == (
        Database.max_rows,
        Database.max_bytes,
        Database.retention_days,
    )
