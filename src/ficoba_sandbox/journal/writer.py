"""The journal: one row per HTTP call, masked, bounded, durable (docs/journal.md).

Writes never block the event loop: `Journal.commit()` (and `record()`) only put the call on a
queue; one writer thread takes the calls in batches (what is queued, after a commit window of
`batch_delay`, 1 ms, at most `batch_size`) and either masks and inserts them itself
(`writer="thread"`) or hands each batch to a child process that does (`writer="process"`, the
server's default: process.py says why), then enforces the bounds (database.py). The future
`commit()` returns is set once the call's row is committed: the pipeline sends the answer then,
so no answered call is lost if the server is killed (commits.py). `flush()` waits for everything
queued so far to be committed (and cuts the window short); `close()` flushes and stops the thread
(and the child).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import queue
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from ficoba_sandbox.domain.clock import Clock, SystemClock
from ficoba_sandbox.domain.outage import Outage
from ficoba_sandbox.domain.private import private_dir, state_key
from ficoba_sandbox.journal.commits import Waiter, settle
from ficoba_sandbox.journal.database import JOURNAL_FILE, Database
from ficoba_sandbox.journal.masking import Masker
from ficoba_sandbox.journal.process import Flush, WriterProcess
from ficoba_sandbox.journal.reader import JournalReader
from ficoba_sandbox.journal.record import AdminEvent, CallRecord

log = logging.getLogger(__name__)

WRITERS = ("thread", "process")
#: the purpose of the state directory's key that digests the bodies the journal does not store
BODY_DIGEST = "journal-body-digest"
#: commit: an answer waits for its row's commit; batch: it does not (docs/journal.md)
DURABILITIES = ("commit", "batch")
#: the commit window of each: what a waiting answer pays once, against the rows batched
BATCH_DELAYS = {"commit": 0.001, "batch": 0.05}
_STOP = object()
_REVIVE = object()  # (_REVIVE, proc): that writer process died; another if anything waits
#: what the queue holds for a call: its record and what its answer waits for (None: nothing)
Queued = tuple[CallRecord, Waiter | None]


class Journal(JournalReader):
    """Append-only, masked, bounded audit journal with a background writer: a thread that masks
    and writes (`writer="thread"`), or hands the batches to a child process that does
    (`writer="process"`).

    Bounds, enforced by the writer after commits (and by `prune()`):
    - retention: rows whose `ts` is older than `retention_days` (by the injected clock) go;
    - rows: at most `max_rows`, the oldest go first;
    - size: the live data (pages in use) stays under `max_bytes`; the oldest rows go first and
      freed pages are returned to the file system (incremental auto-vacuum). The WAL file is
      truncated at each checkpoint.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock | None = None,
        masker: Masker | None = None,
        max_rows: int = Database.max_rows,
        max_bytes: int = Database.max_bytes,
        retention_days: float = Database.retention_days,
        body_max_chars: int = Database.body_max_chars,
        batch_size: int = 500,
        prune_every: float = 5.0,
        batch_delay: float | None = None,
        writer: str = "thread",
        durability: str = "commit",
        busy_timeout: float = Database.busy_timeout,
        measure: bool = True,
    ) -> None:
        if writer not in WRITERS:
            raise ValueError(f"journal writer must be one of {', '.join(WRITERS)}: {writer!r}")
        if durability not in DURABILITIES:
            raise ValueError(
                f"journal durability must be one of {', '.join(DURABILITIES)}: {durability!r}"
            )
        super().__init__(path)
        self.writer = writer
        self.clock: Clock = clock or SystemClock()
        self.masker = masker or Masker()
        self.database = Database(
            self.path,
            clock=self.clock,
            masker=self.masker,
            max_rows=max_rows,
            max_bytes=max_bytes,
            retention_days=retention_days,
            body_max_chars=body_max_chars,
            busy_timeout=busy_timeout,
        )
        self.batch_size = batch_size
        self.prune_every = prune_every
        self.durability = durability
        self.batch_delay = BATCH_DELAYS[durability] if batch_delay is None else batch_delay
        private_dir(self.path.parent)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wake = threading.Event()  # cuts the batching delay short (flush, close)
        self._closed = False
        self._lock = threading.Lock()  # guards _conn use outside the writer (after close)
        self._healthy = True
        self.last_error: str | None = None
        #: the journal's storage failing and back, logged once each way (docs/reliability.md)
        self.outage = Outage(log, "journal storage")
        #: the bounds' deletions fail with the storage too: said once each way, not every 5 s
        self.prune_outage = Outage(log, "journal storage (bounds)")
        self.written = 0
        #: rows queued, and rows lost (a storage still failing at close): with `written`, the
        #: queue's depth; failed write attempts (each retried). Read by the metrics (metrics.py).
        self.queued = 0
        self.lost = 0
        self.write_failures = 0
        #: `measure`: the arrival (monotonic) of each row not yet written or lost, oldest first,
        #: for the write lag; rows leave in the order they came (one queue, one writer)
        self.measure = measure
        self._arrivals: collections.deque[float] = collections.deque()
        self._gone = 0  # rows written or lost whose arrival left `_arrivals`
        # the queueing thread and a scrape from another thread (tests run the admin plane on a
        # thread of its own) both trim; `serve` runs both on one loop
        self._trim_lock = threading.Lock()
        self._conn = self.database.open_writer()
        self._last_prune = 0.0
        self._process: WriterProcess | None = None
        self.prune()
        if writer == "process":
            self._process = WriterProcess(self.database, self)
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    @classmethod
    def in_dir(cls, state_dir: Path, **kwargs: Any) -> Journal:
        return cls(Path(state_dir) / JOURNAL_FILE, **kwargs)

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock | None = None, **kwargs: Any) -> Journal:
        """`<state_dir>/journal.sqlite3` with the `mask_journal` and `journal_*` settings."""
        options: dict[str, Any] = {
            "clock": clock,
            "masker": Masker(
                enabled=bool(getattr(settings, "mask_journal", True)),
                keep=int(getattr(settings, "journal_mask_keep", 2)),
                digest_key=state_key(Path(settings.state_dir), BODY_DIGEST),
            ),
        }
        options["measure"] = bool(getattr(settings, "metrics", True))
        for name in ("max_rows", "max_bytes", "retention_days", "writer", "durability"):
            value = getattr(settings, f"journal_{name}", None)
            if value is not None:
                options[name] = value
        options.update(kwargs)
        return cls.in_dir(Path(settings.state_dir), **options)

    # -- producer side ------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """False while the last write failed (the entries stay queued and are retried)."""
        if self._process is None or self._process.fallback:
            return self._healthy
        return self._process.healthy

    def record(self, call: CallRecord) -> None:
        """Queue one call, waited for by nobody (a client that went away). Never blocks, never
        raises on the caller's path."""
        if self.measure:
            self._arrived()
        if self._closed:
            self._late_write(call)
            return
        self._queue.put((call, None))

    def commit(self, call: CallRecord) -> Waiter:
        """Queue one call; the future (of the running event loop) is set to True once its row is
        committed, or to False when the journal cannot write now (the row stays queued and is
        retried; data calls are refused meanwhile, docs/journal.md). With `durability="batch"`
        it is False at once: the answer does not wait. Never blocks."""
        waiter: Waiter = asyncio.get_running_loop().create_future()
        if self.measure:
            self._arrived()
        if self._closed:
            waiter.set_result(self._late_write(call))
        elif self.durability == "batch" or not self.healthy:  # nothing to wait for
            self._queue.put((call, None))
            waiter.set_result(False)
        else:
            self._queue.put((call, waiter))
        return waiter

    def _arrived(self) -> None:
        self.queued += 1
        arrivals = self._arrivals
        arrivals.append(time.monotonic())
        if len(arrivals) > 1024:  # bounded between two scrapes: what is written leaves
            self._forget_written()

    def _forget_written(self) -> None:
        arrivals = self._arrivals
        with self._trim_lock:
            gone = min(self.written + self.lost - self._gone, len(arrivals))
            for _ in range(gone):
                arrivals.popleft()
            self._gone += gone

    def depth(self) -> int:
        """Rows queued and not yet written (nor lost); 0 without `measure`."""
        return max(0, self.queued - self.written - self.lost) if self.measure else 0

    def write_lag(self) -> float:
        """Seconds since the oldest row not yet written arrived (0: none waits)."""
        self._forget_written()
        try:
            oldest = self._arrivals[0]
        except IndexError:  # emptied by the queueing thread meanwhile
            return 0.0
        return max(0.0, time.monotonic() - oldest)

    def _late_write(self, call: CallRecord) -> bool:
        """A call after shutdown: written synchronously rather than lost."""
        with self._lock:
            try:
                self._write([call])
            except sqlite3.Error:
                log.exception("journal: late write failed")
                self.lost += 1
                return False
        return True

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until every call queued before now is committed. False on timeout."""
        if self._closed or not self._thread.is_alive():
            return self._queue.empty()
        marker = Flush()
        self._queue.put(marker)
        self._wake.set()
        return marker.done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Flush, stop the writer, checkpoint the WAL. Idempotent."""
        if self._closed:
            return
        self._queue.put(_STOP)
        self._wake.set()
        self._thread.join(timeout)
        with self._lock:
            # Anything the writer could not commit (a failing disk) gets one last chance.
            leftovers, waiters = (
                self._process.stop(timeout) if self._process is not None else ([], [])
            )
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if type(item) is tuple and isinstance(item[0], CallRecord):
                    leftovers.append(item[0])
                    if item[1] is not None:
                        waiters.append(item[1])
            if leftovers:
                try:
                    self._write(leftovers)
                    settle(waiters, True)
                except sqlite3.Error:
                    log.exception("journal: %d entries lost at close", len(leftovers))
                    self.lost += len(leftovers)
                    settle(waiters, False)
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._closed = True
            # Calls queued while we were closing: written with a connection of their own.
            late: list[CallRecord] = []
            waiters = []
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if type(item) is tuple and isinstance(item[0], CallRecord):
                    late.append(item[0])
                    if item[1] is not None:
                        waiters.append(item[1])
                elif isinstance(item, Flush):
                    item.done.set()
            if late:
                try:
                    self._write(late)
                    settle(waiters, True)
                except sqlite3.Error:
                    log.exception("journal: %d entries lost at close", len(late))
                    self.lost += len(late)
                    settle(waiters, False)

    # -- admin operations -------------------------------------------------------------------

    def query(self, *args: Any, flush: bool = True, **kwargs: Any) -> list[dict[str, Any]]:
        """As `JournalReader.query`, after committing what is queued (read-your-writes).

        Blocks for the flush: call it from a worker thread (a plain `def` FastAPI endpoint).
        """
        if flush:
            self.flush(timeout=5.0)
        return super().query(*args, **kwargs)

    def last_rejected(self, client_id: str) -> dict[str, Any] | None:
        self.flush(timeout=5.0)
        return super().last_rejected(client_id)

    def purge(self, client_id: str | None = None, event: AdminEvent | None = None) -> int:
        """Delete every row (or one client's rows), recording `event` with the deletion.
        Returns how many rows went."""
        self.flush(timeout=5.0)
        return self.database.purge(client_id, event)

    def record_event(self, event: AdminEvent) -> None:
        """Store an admin event now (blocks briefly: from a worker thread)."""
        self.database.record_event(event)

    def prune(self) -> int:
        """Enforce retention, row and size bounds now. Returns the number of rows deleted."""
        with contextlib.closing(self.database.side_connection()) as conn:
            return self._prune(conn)

    def _prune(self, conn: sqlite3.Connection) -> int:
        self._last_prune = time.monotonic()
        return self.database.prune(conn)

    # -- writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        pending: list[CallRecord] = []
        waiters: list[Waiter] = []  # of the calls in `pending` whose answers wait for them
        markers: list[Flush] = []
        stop = False
        while True:
            if not pending and not markers:
                item = self._queue.get()  # block until there is work
                if type(item) is tuple and item[0] is not _REVIVE and self.batch_delay > 0:
                    # Let the calls of the next millisecond join this one: one transaction (and
                    # one wake-up of this thread) per batch rather than per call, a wait their
                    # answers pay once. flush() and close() cut it short.
                    self._wake.wait(self.batch_delay)
                    self._wake.clear()
            else:
                try:
                    item = self._queue.get(timeout=0.2 if not self._healthy else 0.0)
                except queue.Empty:
                    item = None
            while item is not None:
                if item is _STOP:
                    stop = True
                elif isinstance(item, Flush):
                    markers.append(item)
                elif item[0] is _REVIVE:
                    if self._process is not None and not stop:
                        self._process.revive(item[1])
                else:
                    pending.append(item[0])
                    if item[1] is not None:
                        waiters.append(item[1])
                if len(pending) >= self.batch_size:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if pending:
                try:
                    if self._process is not None:
                        # it keeps them until they are written, and settles their waiters
                        self._process.deliver(pending, waiters)
                    else:
                        self._write(pending)
                        settle(waiters, True)
                except (
                    Exception
                ) as exc:  # keep the entries, retry; the pipeline fails closed meanwhile
                    self._healthy = False
                    self.write_failures += 1
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    self.outage.failed(f"{self.last_error} (the calls are kept and retried)")
                    settle(waiters, False)  # their answers go; the rows stay queued
                    waiters = []
                    if stop:
                        # close() gives the leftovers a last try
                        for call in pending:
                            self._queue.put((call, None))
                        return
                    time.sleep(0.2)
                    continue
                pending = []
                waiters = []
                self._healthy = True
            if time.monotonic() - self._last_prune >= self.prune_every:
                try:
                    self._prune(self._conn)
                except sqlite3.Error as exc:
                    self.prune_outage.failed(f"{type(exc).__name__}: {exc}")
                else:
                    self.prune_outage.recovered()
            if self._queue.empty() or stop:
                for marker in markers:
                    if self._process is not None:
                        self._process.settle(marker)  # done when the process has written
                    else:
                        marker.done.set()
                markers = []
            if stop and self._queue.empty():
                return

    def _write(self, calls: list[CallRecord]) -> None:
        if self._closed:  # after close(): a short-lived connection of our own
            with contextlib.closing(self.database.side_connection()) as conn:
                self.written += self.database.insert(conn, calls)
        else:
            self.written += self.database.insert(self._conn, calls)
        self.outage.recovered()

    # -- the writer process's host (process.Host) ---------------------------------------------

    def write_here(self, calls: list[CallRecord]) -> None:
        self._write(calls)

    def child_gone(self, proc: subprocess.Popen[bytes]) -> None:
        self._queue.put((_REVIVE, proc))
