"""The last refusals of each client, with their full message: what `explain/{client_id}` tells.

The journal keeps the code of every call but not the message (a CAF001/CAF002 message names the
attribute at fault, which is what a developer needs); the pipeline records each refused resource
call of an authenticated client here, bounded per client.
"""

from __future__ import annotations

import threading
from typing import Any


class Feedback:
    """The last `keep` refusals per client (thread-safe: the admin plane reads beside)."""

    def __init__(self, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._by_client: dict[str, list[dict[str, Any]]] = {}
        self.keep = keep

    def record(self, client_id: str, item: dict[str, Any]) -> None:
        with self._lock:
            items = self._by_client.setdefault(client_id, [])
            items.append(item)
            del items[: -self.keep]

    def last(self, client_id: str) -> dict[str, Any] | None:
        with self._lock:
            items = self._by_client.get(client_id)
            return dict(items[-1]) if items else None

    def find(self, client_id: str, request_id: str | None) -> dict[str, Any] | None:
        if not request_id:
            return None
        with self._lock:
            for item in reversed(self._by_client.get(client_id, [])):
                if item.get("request_id") == request_id:
                    return dict(item)
        return None
