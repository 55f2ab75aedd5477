"""A file another process may rewrite while the server runs, looked at on disk at most every
`interval` seconds.

The client registry and the drill plans are such files (the command line rewrites them). The
server must see a change, but a `stat` on every call cost about 3 % of its time under load
(docs/performance.md); between two looks, the reader keeps what it read last. A reader that
has a reason to look at once (a client id it does not know, its own write) says so with
`look_now()`.
"""

from __future__ import annotations

import math
import os
import time

#: how stale a file read by the server may be (docs/architecture.md, "Files the server watches")
RECHECK_SECONDS = 0.1

Stamp = tuple[int, int, int]


def stamp_of(path: str) -> Stamp | None:
    """(mtime, size, inode) of `path`; None when there is no such file. The inode catches a file
    replaced by a rename within one mtime tick."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Watch:
    """Whether a file changed since it was last read: `changed()` is True once per change
    (the file appeared, vanished or was rewritten), and at the first call."""

    __slots__ = ("_next", "_seen", "interval", "path", "stamp")

    def __init__(self, path: str | os.PathLike[str], interval: float = RECHECK_SECONDS) -> None:
        self.path = os.fspath(path)
        self.interval = interval
        self.stamp: Stamp | None = None
        self._seen = False
        self._next = -math.inf

    def changed(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.interval
        stamp = stamp_of(self.path)
        if self._seen and stamp == self.stamp:
            return False
        self._seen = True
        self.stamp = stamp
        return True

    def look_now(self) -> None:
        """The next `changed()` looks at the file whatever the time."""
        self._next = -math.inf
