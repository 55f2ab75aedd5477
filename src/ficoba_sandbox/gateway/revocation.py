"""Revoked access tokens (RFC 7009), shared by every server on the same state directory.

One file, `D/revoked-tokens.json` (mode 0600): `{"format": ..., "revoked": {"<jti>": <exp>}}`,
the token's `jti` (an identifier, not the token) and its expiry. Written atomically under an
advisory lock `D/revoked-tokens.lock`, entries whose token has expired pruned at every write (an
expired token is refused anyway). A server re-reads the file when its `stat` changes, looked at
at most every `RECHECK_SECONDS` (domain/watch.py, as the client registry): the server that
revoked refuses the token at once, the other replicas within that interval.

A file that does not read (not JSON, another format) keeps the last version read, logged once:
a revocation already seen is never forgotten because of a damaged file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from pathlib import Path

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.domain.private import private_dir
from ficoba_sandbox.domain.watch import Watch
from ficoba_sandbox.gateway.pki import write_private

log = logging.getLogger(__name__)

FORMAT = "ficoba-sandbox/revoked-tokens/v1"
FILE = "revoked-tokens.json"


class RevocationList:
    def __init__(self, state_dir: Path, clock: Clock) -> None:
        self.path = Path(state_dir).resolve() / FILE
        self.clock = clock
        self._lock = threading.Lock()
        self._watch = Watch(self.path)
        self._revoked: dict[str, int] = {}

    def _read(self) -> dict[str, int] | None:
        try:
            doc = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error("revoked tokens file not read, keeping the last version: %s", exc)
            return None
        revoked = doc.get("revoked") if isinstance(doc, dict) else None
        if doc.get("format") != FORMAT or not isinstance(revoked, dict):
            log.error("revoked tokens file not read, keeping the last version: %s", self.path)
            return None
        return {str(k): int(v) for k, v in revoked.items() if isinstance(v, int)}

    def is_revoked(self, jti: str) -> bool:
        with self._lock:
            if self._watch.changed():
                read = self._read()
                if read is not None:
                    self._revoked = read
            return jti in self._revoked

    def revoke(self, jti: str, expires_at: int) -> None:
        """Add the token `jti` (valid until `expires_at`, epoch seconds) to the list."""
        private_dir(self.path.parent)
        now = int(self.clock.now().timestamp())
        lock_fd = os.open(self.path.with_name("revoked-tokens.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(lock_fd, "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = self._read()
                revoked = {k: v for k, v in (current or {}).items() if v > now}
                revoked[jti] = int(expires_at)
                doc = {"format": FORMAT, "revoked": revoked}
                write_private(self.path, (json.dumps(doc, indent=1) + "\n").encode())
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        with self._lock:
            self._revoked = {**self._revoked, **revoked}
            self._watch.look_now()
