"""`journal/process.py`: the writer process retries a failing write, loses nothing when killed, is replaced when it dies, and the thread writer takes over when it cannot start."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from journal_calls import call

from ficoba_sandbox.journal import (
    Journal,
)


def test_writer_process_failure_is_retried_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The writer process cannot write (another connection holds the write lock): the server
    sees the journal unhealthy with the error, the answer waiting for a row goes (the row stays),
    nothing is lost, it heals once it can; the fault is logged once each way, not at each of the
    child's retries (every 0.2 s)."""
    import asyncio

    j = Journal.in_dir(tmp_path, writer="process", busy_timeout=0.05)

    async def waited() -> bool:
        return await asyncio.wait_for(j.commit(call(3)), 5)

    try:
        blocker = sqlite3.connect(j.path, timeout=1, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # holds the write lock
        j.record(call(1))
        j.record(call(2))
        assert not j.flush(timeout=1.0)
        deadline = time.monotonic() + 20  # the child's first report, on a loaded machine
        while j.healthy and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not j.healthy
        assert "locked" in (j.last_error or "")
        assert asyncio.run(waited()) is False
        blocker.execute("COMMIT")
        blocker.close()
        assert j.flush(timeout=5)
        assert j.healthy
        assert sorted(r["correlation_id"] for r in j.query()) == ["corr-1", "corr-2", "corr-3"]
    finally:
        j.close()
    lines = [r.getMessage() for r in caplog.records if "journal storage" in r.getMessage()]
    assert lines == [
        "journal storage unreachable: OperationalError: database is locked"
        " (the calls are kept and retried)",
        "journal storage back",
    ]


def test_writer_process_runs_below_the_server(tmp_path: Path) -> None:
    """The child is niced: under load the server's event loop comes first, the journal catches up
    between bursts (docs/journal.md)."""
    j = Journal.in_dir(tmp_path, writer="process")
    try:
        j.record(call(1))
        assert j.flush(timeout=10)
        assert j._process is not None and j._process.proc is not None
        child = j._process.proc.pid
        server = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, child) == min(19, server + 10)
        assert j.query()[0]["correlation_id"] == "corr-1"
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
