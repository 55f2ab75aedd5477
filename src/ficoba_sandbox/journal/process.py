"""The journal's writer process (`writer="process"`, the server's default).

Why a process: the writer thread shares the server's GIL. Measured on the benchmark (bench/,
docs/performance.md), its Python work (masking, building rows) cost the event loop several times
what it costs alone: the two threads hand the GIL back and forth and pull the same objects
between CPU caches. A child process masks and inserts on its own interpreter; the server only
pickles each batch (C code, in the journal-writer thread) and writes it to a pipe.

Protocol, length-prefixed pickles over the child's stdin/stdout (our own two processes):
  server -> child: ("open", path, options) once, then ("rows", seq, [CallRecord fields...]),
                   ("flush", token), ("stop",)
  child -> server: ("ack", seq) once a batch is committed, ("status", False, error) while a
                   write fails (the child retries it), ("flushed", token) in order.
Nothing is dropped: a batch stays in the server until it is acknowledged; if the child dies
it is started again and the unacknowledged batches are sent again (a batch committed just
before a crash may then appear twice: a duplicate, never a loss). If it cannot be kept
running, the server writes itself (the thread writer) and says so in the log. The answers of a
batch's calls wait for its acknowledgement (commits.py): the reader thread settles them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.domain.outage import Outage
from ficoba_sandbox.journal.commits import Waiter, settle
from ficoba_sandbox.journal.database import Database
from ficoba_sandbox.journal.record import CallRecord, fields_of

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Flush:
    """A flush request: set once every call queued before it is committed."""

    done: threading.Event = field(default_factory=threading.Event)


@dataclass(slots=True)
class Batch:
    """Calls sent to the child and not yet acknowledged, and the answers that wait for them."""

    calls: list[CallRecord]
    waiters: list[Waiter]


_FRAME = struct.Struct(">I")
_CHILD_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from ficoba_sandbox.journal.process import child_main; child_main()"
)
_CHILD_NICENESS = 10
_MAX_RESTARTS = 3  # child starts in a row without a single acknowledged batch


def _write_frame(stream: Any, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(data)) + data)
    stream.flush()


def _read_frame(stream: Any) -> Any:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        raise EOFError
    (size,) = _FRAME.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def child_main() -> None:
    """The writer process: batches in on stdin, acknowledgements out on stdout."""
    # The server drives the shutdown (Journal.close sends "stop"); a Ctrl-C reaching the whole
    # process group must not kill the child before the server has handed over its last batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Background work: under load the server's event loop (and, on a developer's machine, the
    # client under test) come first. The answers wait for this child's commits (commits.py), so
    # it is never far behind. Measured by bench/run.py, docs/performance.md.
    with contextlib.suppress(OSError):
        os.nice(_CHILD_NICENESS)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    logging.basicConfig(level=logging.WARNING)
    _, path, options = _read_frame(inp)
    database = Database(Path(path), clock=SystemClock(), **options)
    conn = database.open_writer(child=True)
    try:
        while True:
            try:
                message = _read_frame(inp)
            except EOFError:  # the server is gone
                return
            if message[0] == "rows":
                calls = [CallRecord(*fields) for fields in message[2]]
                while True:
                    try:
                        database.insert(conn, calls)
                        break
                    except Exception as exc:  # a failing disk: say so, keep the batch, retry
                        _write_frame(out, ("status", False, f"{type(exc).__name__}: {exc}"))
                        time.sleep(0.2)
                _write_frame(out, ("ack", message[1]))
            elif message[0] == "flush":
                _write_frame(out, ("flushed", message[1]))
            elif message[0] == "stop":
                return
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


class Host(Protocol):
    """The journal a writer process works for (writer.py's `Journal`)."""

    written: int
    write_failures: int
    last_error: str | None
    outage: Outage

    def write_here(self, calls: list[CallRecord]) -> None:
        """Write in the server (the thread writer's own insert)."""

    def child_gone(self, proc: subprocess.Popen[bytes]) -> None:
        """`proc`'s replies ended: the journal-writer thread decides whether to revive it."""


class WriterProcess:
    """The child process, seen from the server's journal-writer thread (which alone calls
    `deliver`, `settle` and `stop`); a reader thread takes the child's replies."""

    def __init__(self, database: Database, host: Host) -> None:
        self.database = database
        self.host = host
        self.options = {
            "masker": database.masker,
            "body_max_chars": database.body_max_chars,
            "busy_timeout": database.busy_timeout,
        }
        self.lock = threading.Lock()  # unacked, flushes: the reader thread settles them
        self.unacked: dict[int, Batch] = {}  # in the order they were sent
        self.flushes: dict[int, Flush] = {}
        self.seq = 0
        self.restarts = 0  # in a row, without an acknowledgement
        self.fallback = False  # the child could not be kept running: the thread writes
        self.healthy = True
        self.stopping = False  # set by stop(): a child ending then is not revived
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader: threading.Thread | None = None
        try:
            self._start()
        except (OSError, ValueError) as exc:  # no interpreter to start (embedded Python...)
            log.error("journal: no writer process (%s); writing from the server itself", exc)
            self.fallback = True

    # -- the child

    def _start(self) -> subprocess.Popen[bytes]:
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        proc = self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD_CODE, package_root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        _write_frame(proc.stdin, ("open", str(self.database.path), self.options))
        self.reader = threading.Thread(
            target=self._replies, args=(proc,), name="journal-replies", daemon=True
        )
        self.reader.start()
        return proc

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _replies(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            while True:
                message = _read_frame(proc.stdout)
                if message[0] == "ack":
                    with self.lock:
                        batch = self.unacked.pop(message[1], None)
                    if batch is not None:
                        self.host.written += len(batch.calls)
                        settle(batch.waiters, True)
                    self.healthy = True
                    self.restarts = 0
                    self.host.outage.recovered()
                elif message[0] == "status":
                    self.healthy = bool(message[1])
                    self.host.write_failures += 1
                    self.host.last_error = message[2]
                    # once, not at every retry (docs/reliability.md)
                    self.host.outage.failed(f"{message[2]} (the calls are kept and retried)")
                    self._release()
                elif message[0] == "flushed":
                    with self.lock:
                        marker = self.flushes.pop(message[1], None)
                    if marker is not None:
                        marker.done.set()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            pass
        # The child is gone. The next delivery would start another, but a batch or a flush
        # it had not answered may be waiting with nothing else coming: the writer thread
        # decides (it alone talks to the child).
        if not self.stopping:
            self.host.child_gone(proc)

    def _release(self) -> None:
        """The child cannot write: the answers waiting for its batches go now (the batches stay
        and are retried; the pipeline refuses data calls while the journal is unhealthy)."""
        with self.lock:
            waiters = [w for batch in self.unacked.values() for w in batch.waiters]
        settle(waiters, False)

    def revive(self, proc: subprocess.Popen[bytes]) -> None:
        """Start another child if `proc`, whose replies ended, is still the current one and left
        batches or flushes unanswered. (Its output closing means it is exiting, even if it has
        not been reaped yet: `_restart` kills and waits for it.)"""
        with self.lock:
            outstanding = bool(self.unacked or self.flushes)
        if outstanding and not self.fallback and proc is self.proc:
            self._restart()

    def _restart(self) -> None:
        """Start a new child and send it everything not yet acknowledged, in order."""
        self._kill()
        self.restarts += 1
        if self.restarts > _MAX_RESTARTS:
            self._fall_back()
            return
        try:
            proc = self._start()
            with self.lock:
                batches = list(self.unacked.items())
                flushes = list(self.flushes)
            for seq, batch in batches:
                _write_frame(proc.stdin, ("rows", seq, [fields_of(c) for c in batch.calls]))
            for token in flushes:  # after every batch: conservative, and still in order
                _write_frame(proc.stdin, ("flush", token))
        except (OSError, ValueError) as exc:
            log.error("journal: the writer process could not be started: %s", exc)
            self._restart()

    def _fall_back(self) -> None:
        """Write in this process from now on (the thread writer), starting with what the
        children did not acknowledge."""
        log.error("journal: the writer process keeps failing; writing from the server itself")
        self.fallback = True
        self._drain()

    def _drain(self) -> None:
        """Write the unacknowledged batches here, oldest first; one that fails stays (the
        journal-writer thread retries), and so do the flushes waiting behind it."""
        while True:
            with self.lock:
                if not self.unacked:
                    markers = list(self.flushes.values())
                    self.flushes.clear()
                    break
                seq, batch = next(iter(self.unacked.items()))
            self.host.write_here(batch.calls)
            settle(batch.waiters, True)
            with self.lock:
                self.unacked.pop(seq, None)
        for marker in markers:
            marker.done.set()

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError, ValueError):
                    if stream is not None:
                        stream.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        if not self._alive():
            self._restart()  # it sends what is outstanding, this message's content included
            return
        try:
            _write_frame(self.proc.stdin, message)  # type: ignore[union-attr]
        except (OSError, ValueError):
            self._restart()

    # -- the journal-writer thread's side

    def deliver(self, calls: list[CallRecord], waiters: list[Waiter]) -> None:
        if self.fallback:
            self._drain()
            self.host.write_here(calls)
            settle(waiters, True)
            self.healthy = True
            return
        self.seq += 1
        with self.lock:
            self.unacked[self.seq] = Batch(list(calls), list(waiters))
        self._send(("rows", self.seq, [fields_of(c) for c in calls]))

    def settle(self, marker: Flush) -> None:
        if self.fallback:
            marker.done.set()
            return
        self.seq += 1
        with self.lock:
            self.flushes[self.seq] = marker
        self._send(("flush", self.seq))

    def stop(self, timeout: float) -> tuple[list[CallRecord], list[Waiter]]:
        """Ask the child to finish, wait for it; what it did not acknowledge is returned, with
        the answers waiting for it (the journal writes it itself)."""
        self.stopping = True
        if self._alive():
            with contextlib.suppress(OSError, ValueError):
                _write_frame(self.proc.stdin, ("stop",))  # type: ignore[union-attr]
            try:
                self.proc.wait(timeout)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                log.error("journal: the writer process did not stop in %ss", timeout)
        if self.reader is not None:
            self.reader.join(timeout)
        self._kill()
        with self.lock:
            leftovers = [c for batch in self.unacked.values() for c in batch.calls]
            waiters = [w for batch in self.unacked.values() for w in batch.waiters]
            self.unacked.clear()
            markers = list(self.flushes.values())
            self.flushes.clear()
        for marker in markers:
            marker.done.set()
        return leftovers, waiters
