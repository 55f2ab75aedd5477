"""A dependency's faults, logged once per change of state, never once per call.

The quota storage (Redis) and the journal's storage (the SQLite file) can fail under load; every
call meanwhile is refused (503 `CAT001`) or retried, and a line per call would flood the log
(megabytes a second). An `Outage` logs one line when the dependency fails ("<name> unreachable:
<cause>") and one when it works again ("<name> back"), whatever the number of calls in between
(docs/reliability.md).
"""

from __future__ import annotations

import logging
import threading


class Outage:
    """Whether `name` is failing, and the two log lines that say so. Thread-safe: the journal's
    writer threads and the event loop report to the same one."""

    __slots__ = ("_lock", "cause", "down", "log", "name")

    def __init__(self, log: logging.Logger, name: str) -> None:
        self.log = log
        self.name = name
        self.down = False
        self.cause: str | None = None
        self._lock = threading.Lock()

    def failed(self, cause: str) -> bool:
        """The dependency failed with `cause`: logged if it was working. True on that change."""
        with self._lock:
            self.cause = cause
            if self.down:
                return False
            self.down = True
        self.log.error("%s unreachable: %s", self.name, cause)
        return True

    def recovered(self) -> bool:
        """The dependency works: logged if it was failing. True on that change."""
        if not self.down:  # the common case, without the lock
            return False
        with self._lock:
            if not self.down:
                return False
            self.down = False
        self.log.warning("%s back", self.name)
        return True
