"""One injectable clock for the whole app (so tests advance time instead of sleeping)."""

from __future__ import annotations

import functools
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """Wall-clock time, optionally frozen or shifted by the admin plane."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        # Read without the lock (it guards the changes): each attribute is read once, and either
        # value is a valid answer for a call that races with the admin plane's change.
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> datetime:
        with self._lock:
            self._frozen = (at or (datetime.now(UTC) + self._offset)).astimezone(UTC)
            return self._frozen

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - datetime.now(UTC)
            self._frozen = None

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
                return self._frozen
            self._offset += delta
            return datetime.now(UTC) + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen is not None


@functools.cache
def paris() -> ZoneInfo:
    """Europe/Paris: FICOBA's days (`dateDemande`, birth dates) and service hours are French."""
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - depends on the system
        raise RuntimeError(
            "time zone Europe/Paris not found: install the system tzdata or `pip install tzdata`"
        ) from exc


def horodatage(at: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, the backend's timestamp format (CONTRACT §6.1)."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
