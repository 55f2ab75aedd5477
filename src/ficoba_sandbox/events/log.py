"""`EventLog`: where security events go (docs/security.md, "Security events").

- ECS JSON lines, one per event, formatted by Elastic's `ecs-logging` (`StdlibFormatter`) on a
  logger of its own (`ficoba_sandbox.security`, not propagated: events never mix with the
  server's log, nor its log with the SIEM's feed);
- to the events file (`--events-file`, default `D/events.jsonl`), created 0600 like every file
  of the state directory (domain/private.py), rotated once at `--events-max-bytes` (the previous
  file kept as `events.jsonl.1`), and/or to stdout (`--events-stdout`);
- written by a `QueueListener` thread: `emit` only puts the record on a bounded queue (the
  stdlib's way to keep a handler's I/O off the caller, logging.handlers.QueueHandler). A full
  queue drops the event and counts it (`dropped`): the API never waits for the events file;
- kept in memory too: the last `ring` events for the admin plane, and the counts by type since
  the start (`counts()`, read by the metrics at scrape time).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import sys
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import ecs_logging

from ficoba_sandbox.domain.private import FILE_MODE
from ficoba_sandbox.events.model import EventType, SecurityEvent, Severity

LOGGER = "ficoba_sandbox.security"
#: events kept in memory for the admin plane
DEFAULT_RING = 1000
#: events waiting for the writer thread; beyond, dropped and counted
QUEUE_SIZE = 10_000
#: the events file's size before its one rotation
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
#: ecs-logging's fields that say nothing about the event (the writer's own process and source)
_EXCLUDED = ("process", "log.origin", "log.original", "log.logger", "log.level")


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating file created 0600 whatever the umask (a fresh file after each rotation too)."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8")


class _DroppingQueueHandler(logging.handlers.QueueHandler):
    """`QueueHandler` that never blocks nor prints a traceback on a full queue: it counts."""

    def __init__(self, q: queue.Queue[Any], log: EventLog) -> None:
        super().__init__(q)
        self._log = log

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record  # the formatter runs in the listener's thread, on the record as it is

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self._log.dropped += 1


class EventLog:
    """The security events of one running sandbox: `emit`, `recent`, `counts`, `close`."""

    def __init__(
        self,
        *,
        path: Path | None = None,
        stdout: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ring: int = DEFAULT_RING,
    ) -> None:
        self.path = path
        self._ring: deque[SecurityEvent] = deque(maxlen=ring)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.dropped = 0
        self._logger = logging.getLogger(f"{LOGGER}.{id(self):x}")
        self._logger.propagate = False
        self._logger.setLevel(logging.INFO)
        handlers: list[logging.Handler] = []
        formatter = ecs_logging.StdlibFormatter(exclude_fields=_EXCLUDED)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            file = _PrivateRotatingFile(path, maxBytes=max_bytes, backupCount=1, delay=False)
            file.setFormatter(formatter)
            handlers.append(file)
        if stdout:
            out = logging.StreamHandler(sys.stdout)
            out.setFormatter(formatter)
            handlers.append(out)
        self._handlers = handlers
        self._listener: logging.handlers.QueueListener | None = None
        if handlers:
            q: queue.Queue[Any] = queue.Queue(QUEUE_SIZE)
            self._logger.addHandler(_DroppingQueueHandler(q, self))
            self._listener = logging.handlers.QueueListener(
                q, *handlers, respect_handler_level=False
            )
            self._listener.start()

    def emit(self, event: SecurityEvent) -> None:
        """Record `event`: in memory at once, in the file and on stdout by the writer thread."""
        with self._lock:
            self._ring.append(event)
            self._counts[str(event.type)] += 1
        if self._listener is None:
            return
        record = self._logger.makeRecord(
            self._logger.name,
            logging.WARNING if event.kind.alert else logging.INFO,
            __file__,
            0,
            event.kind.message,
            (),
            None,
            extra=event.ecs(),
        )
        # ECS `@timestamp`: when the event happened, at the sandbox's clock
        record.created = event.at.timestamp()
        record.msecs = (record.created * 1000) % 1000
        self._logger.handle(record)

    def counts(self) -> Mapping[str, int]:
        """Events by type since the start (every type present, 0 included)."""
        with self._lock:
            return {str(t): self._counts.get(str(t), 0) for t in EventType}

    def recent(
        self,
        *,
        types: Iterable[str] = (),
        client_id: str | None = None,
        severity: Severity | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[SecurityEvent]:
        """The events in memory, oldest first, filtered (`severity`: at least this level)."""
        wanted = set(types)
        with self._lock:
            events = list(self._ring)
        chosen = [
            e
            for e in events
            if (not wanted or str(e.type) in wanted)
            and (client_id is None or e.client_id == client_id)
            and (severity is None or e.level >= severity)
            and (since is None or e.at >= since)
        ]
        return chosen[-limit:] if limit else chosen

    def flush(self) -> None:
        """Wait until every event emitted so far is written (tests, shutdown)."""
        listener = self._listener
        if listener is None:
            return
        listener.stop()  # drains the queue, then joins the thread
        for handler in self._handlers:
            handler.flush()
        listener.start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        for handler in self._handlers:
            handler.close()
        for handler in list(self._logger.handlers):
            self._logger.removeHandler(handler)
