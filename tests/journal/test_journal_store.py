"""The journal store: durability, bounds, retention, queries, masking rules."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.journal import (
    JOURNAL_FILE,
    REDACTED,
    CallRecord,
    Journal,
    JournalReader,
    Masker,
    parse_since,
)


def call(i: int = 0, *, client: str = "c1", status: int = 200, ts: datetime | None = None,
         body: bytes | None = None) -> CallRecord:  # fmt: skip
    return CallRecord(
        ts=ts or datetime.now(UTC),
        method="POST",
        path="/ficoba-api/v2/comptes/spi",
        status=status,
        latency_ms=1.5,
        client_id=client,
        correlation_id=f"corr-{i}",
        request_body=body,
        content_type="application/json",
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


def test_since_filter(journal: Journal) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(5):
        journal.record(call(i, ts=base + timedelta(minutes=i)))
    rows = journal.query(since=base + timedelta(minutes=3))
    assert [r["correlation_id"] for r in rows] == ["corr-4", "corr-3"]
    assert journal.query(since="2026-01-01T00:02:00Z", limit=10)[-1]["correlation_id"] == "corr-2"


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


def test_write_failure_is_retried_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The thread writer's own failure (the process's: the tests below)."""
    journal = Journal.in_dir(tmp_path, writer="thread")
    original = journal._write
    failing = {"on": True}

    def flaky(calls: list[CallRecord]) -> None:
        if failing["on"]:
            raise sqlite3.OperationalError("disk I/O error")
        original(calls)

    monkeypatch.setattr(journal, "_write", flaky)
    journal.record(call(1))
    assert not journal.flush(timeout=0.5)
    assert not journal.healthy
    assert "disk I/O error" in (journal.last_error or "")
    failing["on"] = False
    assert journal.flush(timeout=5)
    assert journal.healthy
    assert journal.count() == 1
    journal.close()


def test_wal_mode(journal: Journal) -> None:
    conn = sqlite3.connect(journal.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_parse_since() -> None:
    ref = datetime(2026, 5, 5, 12, tzinfo=UTC)
    assert parse_since("2h", ref) == datetime(2026, 5, 5, 10, tzinfo=UTC)
    assert parse_since("7d", ref) == datetime(2026, 4, 28, 12, tzinfo=UTC)
    assert parse_since("2026-05-05T10:00:00") == datetime(2026, 5, 5, 10, tzinfo=UTC)
    assert parse_since("2026-05-05T12:00:00+02:00") == datetime(2026, 5, 5, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_since("yesterday")


# -- masking rules ------------------------------------------------------------------------------


def test_masker_identifiers_names_secrets() -> None:
    m = Masker(enabled=True, keep=2)
    body = {
        "motif": "0003",
        "justification": "Dossier 42",
        "siretDemandeur": "73282932000074",
        "client_secret": "abc",
        "criteresRecherche": {
            "iban": "FR7630004000031234567890143",
            "numeroSPI": 1489335901123,
            "etatCivil": {"nom": "DUBOIS", "prenoms": "MARIE PIERRE", "anneeNaissance": "1980"},
            "note": "see FR76 3000 4000 0312 3456 7890 143 and 732829320",
        },
    }
    out = m.value(None, body)
    crit = out["criteresRecherche"]
    assert out["motif"] == "0003"
    assert crit["etatCivil"]["anneeNaissance"] == "1980"
    assert crit["iban"] == "FR***********************43"
    assert crit["numeroSPI"] == "14*********23"
    assert crit["etatCivil"]["nom"] == "D*****"
    assert crit["etatCivil"]["prenoms"] == "M**** ******"
    assert out["justification"] == "******* **"
    assert out["siretDemandeur"] == "73**********74"
    assert out["client_secret"] == REDACTED
    assert "3000 4000" not in crit["note"] and "732829320" not in crit["note"]


def test_masker_off_still_redacts_secrets() -> None:
    m = Masker(enabled=False)
    token = "eyJhbGciOiJFUzI1NiJ9.eyJjbGllbnRfaWQiOiJ4In0.c2lnbmF0dXJl"
    out = m.value(None, {"iban": "FR7630004000031234567890143", "access_token": "x", "t": token})
    assert out == {"iban": "FR7630004000031234567890143", "access_token": REDACTED, "t": REDACTED}


def test_masker_form_body_keeps_only_harmless_keys() -> None:
    stored = Masker().body(
        b"grant_type=client_credentials&client_id=demo&client_secret=hunter2&scope=a",
        "application/x-www-form-urlencoded",
        1000,
    )
    assert stored is not None
    assert "hunter2" not in stored
    assert "client_id=demo" in stored and "grant_type=client_credentials" in stored


def test_masker_non_json_body_is_masked_text() -> None:
    stored = Masker().body(b'{"iban": "FR7630004000031234567890143",', "application/json", 1000)
    assert stored is not None and stored.startswith("[not JSON]")
    assert "FR7630004000031234567890143" not in stored


def test_writer_process_failure_is_retried_and_reported(tmp_path: Path) -> None:
    """The writer process cannot write (another connection holds the write lock): the server
    sees the journal unhealthy with the error, nothing is lost, and it heals once it can."""
    j = Journal.in_dir(tmp_path, writer="process", busy_timeout=0.05)
    try:
        blocker = sqlite3.connect(j.path, timeout=1, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # holds the write lock
        j.record(call(1))
        j.record(call(2))
        assert not j.flush(timeout=1.0)
        assert not j.healthy
        assert "locked" in (j.last_error or "")
        blocker.execute("COMMIT")
        blocker.close()
        assert j.flush(timeout=5)
        assert j.healthy
        assert sorted(r["correlation_id"] for r in j.query()) == ["corr-1", "corr-2"]
    finally:
        j.close()


def test_writer_process_killed_loses_nothing(tmp_path: Path) -> None:
    """The child dies (killed between batches and with batches in flight): it is started
    again and every call is written."""
    j = Journal.in_dir(tmp_path, writer="process")
    try:
        for i in range(50):
            j.record(call(i))
        assert j.flush(timeout=10)
        assert j._process is not None and j._process.proc is not None
        j._process.proc.kill()
        j._process.proc.wait()
        for i in range(50, 300):
            j.record(call(i))
            if i == 150:
                j._process.proc.kill()  # with a batch on its way, maybe
        assert j.flush(timeout=20)
        ids = {r["correlation_id"] for r in j.query(limit=1000)}
        assert ids == {f"corr-{i}" for i in range(300)}  # a batch may be written twice, never lost
        assert j.healthy
    finally:
        j.close()
    assert j._process is not None and j._process.proc is not None
    assert j._process.proc.poll() is not None  # the child is gone after close


def test_writer_process_dying_with_a_flush_unanswered_is_replaced(tmp_path: Path) -> None:
    """The child dies holding a batch and a flush it never answered, and nothing else comes:
    the server starts another child on its own, which writes the batch and answers the flush."""
    import os
    import signal
    import threading
    import time

    j = Journal.in_dir(tmp_path, writer="process")
    try:
        j.record(call(1))
        assert j.flush(timeout=10)
        assert j._process is not None and j._process.proc is not None
        child = j._process.proc
        os.kill(child.pid, signal.SIGSTOP)  # alive, but reads nothing
        j.record(call(2))
        answered: dict[str, bool] = {}
        waiter = threading.Thread(target=lambda: answered.setdefault("ok", j.flush(timeout=20)))
        waiter.start()
        time.sleep(0.5)  # the batch and the flush are in the stopped child's pipe
        os.kill(child.pid, signal.SIGKILL)
        waiter.join(25)
        assert answered == {"ok": True}
        assert {r["correlation_id"] for r in j.query()} == {"corr-1", "corr-2"}
        assert j._process.proc is not child
    finally:
        j.close()


def test_writer_process_that_cannot_start_falls_back_to_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No interpreter to start the child with: the journal writes from the server itself, and
    loses nothing."""
    import sys

    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python-here"))
    j = Journal.in_dir(tmp_path, writer="process")
    try:
        assert j._process is not None and j._process.fallback
        for i in range(5):
            j.record(call(i))
        assert j.flush(timeout=10)
        assert j.healthy
        assert j.count() == 5
    finally:
        j.close()
