"""`journal/database.py`: rows that SQLite cannot bind as they are, a journal of an earlier
schema, admin events."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.journal import AdminEvent, CallRecord, JournalReader, Masker, append_event
from ficoba_sandbox.journal.database import JOURNAL_FILE, SCHEMA_VERSION, Database
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


def test_admin_events_outlive_every_purge_and_the_bounds(tmp_path: Path) -> None:
    """A purge records its own event in the same transaction, in a table that neither a purge
    nor the bounds of the calls' rows touch."""
    database = Database(tmp_path / JOURNAL_FILE, clock=SystemClock(), masker=Masker(), max_rows=1)
    conn = database.open_writer()
    try:
        now = datetime.now(UTC)
        calls = [CallRecord(ts=now, method="GET", path="/p", status=200, latency_ms=1.0,
                            client_id=f"c{i % 2}") for i in range(4)]  # fmt: skip
        database.insert(conn, calls)
        first = AdminEvent("journal.purge", "127.0.0.1", "admin token", {"client": "c0"})
        assert database.purge("c0", first) == 2
        database.record_event(AdminEvent("clock.back", "::1", "open mode", {"clock_to": "x"}))
        assert database.purge(None, AdminEvent("journal.purge", "127.0.0.1", "admin token")) == 2
        database.prune(conn)
    finally:
        conn.close()
    reader = JournalReader.in_dir(tmp_path)
    assert reader.count() == 0
    events = reader.events()
    assert [(e["action"], e["peer_ip"], e["credential"]) for e in events] == [
        ("journal.purge", "127.0.0.1", "admin token"),
        ("clock.back", "::1", "open mode"),
        ("journal.purge", "127.0.0.1", "admin token"),
    ]
    assert events[0]["details"] == {"purged": 2}
    assert events[2]["details"] == {"client": "c0", "purged": 2}
    assert events[0]["ts"] >= events[2]["ts"]
    assert reader.events(limit=1) == events[:1]


def test_an_event_from_the_command_line_makes_the_journal_when_missing(tmp_path: Path) -> None:
    append_event(tmp_path / "d" / JOURNAL_FILE, AdminEvent("client.revoke", "local", "cli"))
    reader = JournalReader.in_dir(tmp_path / "d")
    assert [e["action"] for e in reader.events()] == ["client.revoke"]
    assert reader.count() == 0  # and the table of the calls, as the server makes it


def test_a_journal_made_before_admin_events_lists_none(tmp_path: Path) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / JOURNAL_FILE).close()
    assert JournalReader.in_dir(tmp_path).events() == []


V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, client_id TEXT,
    client_id_source TEXT, thumbprint TEXT, peer_ip TEXT, method TEXT NOT NULL,
    path TEXT NOT NULL, search_type TEXT, motif TEXT, correlation_id TEXT, request_id TEXT,
    reference_demande TEXT, status INTEGER NOT NULL, error_code TEXT, info_code TEXT,
    latency_ms REAL NOT NULL, auth_scheme TEXT, justification TEXT, request_body TEXT,
    details TEXT
);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO journal (ts, client_id, method, path, status, latency_ms)
VALUES ('2026-01-02T03:04:05.000000Z', 'old', 'GET', '/p', 200, 1.0);
"""


def test_a_journal_of_the_first_schema_is_read_then_migrated(tmp_path: Path) -> None:
    """A journal written before the rights were recorded: read as it is (the new columns NULL),
    then, once a server opens it, given the columns; its rows are kept."""
    path = tmp_path / JOURNAL_FILE
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(V1_SCHEMA)
    reader = JournalReader.in_dir(tmp_path)
    (old,) = reader.query()
    assert old["client_id"] == "old"
    assert (old["granted_scopes"], old["required_modality"]) == (None, None)

    database = Database(path, clock=SystemClock(), masker=Masker())
    conn = database.open_writer()
    try:
        database.insert(
            conn,
            [
                CallRecord(
                    ts=datetime.now(UTC),
                    method="POST",
                    path="/p",
                    status=403,
                    latency_ms=1.0,
                    granted_scopes="dgfip_ficoba_compte dgfip_ficoba_adresse",
                    required_modality="with_ficoba_spi",
                )
            ],
        )
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    assert version[0] == str(SCHEMA_VERSION)
    new, old = reader.query()
    assert old["client_id"] == "old" and old["granted_scopes"] is None
    assert new["granted_scopes"] == "dgfip_ficoba_compte dgfip_ficoba_adresse"
    assert new["required_modality"] == "with_ficoba_spi"
    # a second opening changes nothing
    database.open_writer().close()
    assert len(reader.query()) == 2
