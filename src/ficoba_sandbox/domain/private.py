"""The state directory is private: the directory 0700, every file in it 0600, whatever the umask.

The state directory holds the journal (masked, but still who called when), the client registry,
the PKI's keys, the credentials files and the dataset cache: nothing in it is for other users of
the machine (docs/security.md). Files are created private (`os.open` with mode 0600, directories
with 0700; a umask only ever removes bits), and `tighten` brings an existing directory, made by
an older version or by hand, to those modes at start.

`state_key` is the directory's own secret: 32 random bytes in `D/state.key` (0600), created at
first use (the dataset cache keeps its own beside it, `D/cache/cache.key`, so that a cache
directory shared by several state directories carries its key). Each use derives its own key
from it (`purpose`), so a digest made for one purpose cannot be replayed as another's.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
STATE_KEY_FILE = "state.key"
_KEY_BYTES = 32


def private_dir(path: Path) -> Path:
    """`path` and the parents it lacks, created 0700; `path` itself made 0700 if it is looser."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            p.mkdir(mode=DIR_MODE)
    _restrict(path, DIR_MODE)
    return path


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 when it does not exist (SQLite then gives its -wal and
    -shm files the database file's mode: sqlite.org/tempfiles.html, "unix VFS")."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def tighten(root: Path) -> list[Path]:
    """Make `root` and every directory under it 0700, every file 0600; the paths changed.
    Symbolic links are not followed (their targets are not the state directory's)."""
    changed: list[Path] = []
    if not root.is_dir():
        return changed
    if _restrict(root, DIR_MODE):
        changed.append(root)
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in dirnames:
            if _restrict(base / name, DIR_MODE):
                changed.append(base / name)
        for name in filenames:
            if _restrict(base / name, FILE_MODE):
                changed.append(base / name)
    return changed


def _restrict(path: Path, mode: int) -> bool:
    """Remove from `path`'s mode every bit `mode` lacks; True when something was removed."""
    try:
        st = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode):
        return False
    current = stat.S_IMODE(st.st_mode)
    if current & ~mode == 0:
        return False
    try:
        os.chmod(path, current & mode)
    except OSError:  # not ours, or a read-only file system: the start goes on
        return False
    return True


def state_key(root: Path, purpose: str, file: str = STATE_KEY_FILE) -> bytes:
    """The key of `purpose`: HMAC-SHA256 of its name under the secret `root/file` (32 random
    bytes, 0600, created at first use)."""
    path = root / file
    try:
        master = path.read_bytes()
    except FileNotFoundError:
        master = b""
    if len(master) != _KEY_BYTES:
        master = _create_key(path)
    return hmac.new(master, purpose.encode("utf-8"), hashlib.sha256).digest()


def _create_key(path: Path) -> bytes:
    private_dir(path.parent)
    key = secrets.token_bytes(_KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # first writer wins: two processes starting at once share one key
    except FileExistsError:
        existing = path.read_bytes()
        if len(existing) == _KEY_BYTES:
            key = existing
        else:  # a damaged key file: replaced (what it authenticated is rebuilt)
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return key
