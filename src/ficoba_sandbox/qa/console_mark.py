"""The mark of a call the QA console sends (docs/console.md, "Magic values").

The console's "send it" goes through the real API, as any client would; its journal row is
marked "sent from the console" so a tester tells it from the client's own calls. The mark is the
header `X-Sandbox-Console: <HMAC-SHA256 of the call's X-Correlation-ID>` (RFC 2104) under a key
the sandbox draws at start and keeps in memory only: a client cannot make it (it would need the
key), nor replay one it saw (a correlation id is fresh per call, and the key changes at every
start). A missing, wrong or replayed mark is ignored: the row is not marked, the answer is the
same.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "X-Sandbox-Console"
#: the value `details.sent_from` of a marked row
SENT_FROM = "console"


def new_key() -> bytes:
    return secrets.token_bytes(32)


def sign(key: bytes, correlation_id: str) -> str:
    return hmac.new(key, correlation_id.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(key: bytes, mark: str | None, correlation_id: str | None) -> bool:
    if not mark or not correlation_id:
        return False
    return hmac.compare_digest(mark.encode("ascii", "replace"), sign(key, correlation_id).encode())
