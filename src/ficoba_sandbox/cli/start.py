"""What `serve` checks of the state directory before it starts, and how a refusal is said.

A server that starts on a state it cannot keep fails later and worse: every call refused with a
503 because the journal cannot write, or every client refused because the registry is gone. So
`serve` refuses to start, with exit code 2 and one line naming the file and the cause, when:

- the state directory cannot be written (read-only, not ours) or has less than `MIN_FREE_BYTES`
  free (the journal and the dataset cache write there from the first call);
- the client registry does not load, or is missing from a state directory that was initialised
  (`demo-client.json` exists): `init` creates the registry with the demo client, and recreating
  it empty would silently lock every other client out;
- half a CA, or any other file of the state directory that cannot be read or written
  (`refusal()` turns the error into the line).

docs/reliability.md, "Refusing to start".
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

from ficoba_sandbox.gateway.registry import RegistryError, read_registry

#: the room the journal and the dataset cache need to start (a full disk is refused at start;
#: once running, a write that fails is answered 503 CAT001, docs/journal.md)
MIN_FREE_BYTES = 1024 * 1024
DEMO_CLIENT_FILE = "demo-client.json"
JOURNAL_FILE = "journal.sqlite3"


class StartRefused(Exception):
    """The state directory cannot be served: the message is the one line the user reads."""


def check_state_dir(state_dir: Path) -> None:
    """Raise `StartRefused` when `state_dir` cannot be written or lacks room. Writes and removes
    a small probe file: permissions alone do not say it (root ignores them, a read-only mount
    does not)."""
    root = Path(state_dir).resolve()
    probe = root / f".write-probe.{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ficoba-sandbox")
            os.fsync(fd)
        finally:
            os.close(fd)
        probe.unlink()
        stats = os.statvfs(root)
    except OSError as exc:
        raise StartRefused(
            f"{root}: the state directory cannot be written ({_cause(exc)})"
        ) from None
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        raise StartRefused(
            f"{root}: the state directory's disk is full ({free} bytes free, the journal needs "
            f"{MIN_FREE_BYTES // 1024} KiB to start)"
        )


def check_registry(state_dir: Path) -> None:
    """Raise `StartRefused` when the registry does not load, or is missing from an initialised
    state directory."""
    root = Path(state_dir).resolve()
    path = root / "registry.json"
    try:
        clients = read_registry(path)
    except RegistryError as exc:
        raise StartRefused(f"invalid client registry: {exc}") from None
    if clients is None and (root / DEMO_CLIENT_FILE).exists():
        raise StartRefused(
            f"{path}: no client registry, though {root / DEMO_CLIENT_FILE} exists (the registry "
            "was deleted?): restore it from a copy, or start from an empty state directory "
            "(serve runs init there); a new empty registry would refuse every client"
        )


@contextlib.contextmanager
def refused_in_one_line(state_dir: Path) -> Iterator[None]:
    """Around the opening of the state directory: an error about it ends the process with exit
    code 2 and one line on stderr, `ficoba-sandbox: cannot start: <file>: <cause>`."""
    try:
        yield
    except Exception as exc:
        line = refusal(exc, state_dir)
        if line is None:
            raise
        print(f"ficoba-sandbox: cannot start: {line}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def refusal(exc: BaseException, state_dir: Path) -> str | None:
    """The one line for an error met while the state directory is opened; None when it is not
    about the state directory (a bug: its traceback is wanted)."""
    if isinstance(exc, StartRefused | RegistryError):
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        return f"{Path(state_dir).resolve() / JOURNAL_FILE}: the journal cannot be opened ({exc})"
    if isinstance(exc, OSError) and exc.errno is None:  # ours, the message says it all
        return str(exc)
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else Path(state_dir).resolve()
        return f"{where}: {_cause(exc)}"
    return None


def _cause(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or str(exc)
