"""Service hours: a daily maintenance window (Europe/Paris) and a forced state for the admin plane.

The terms of use promise a service open 23 hours out of 24 (CGU §11) without saying which hour is
the closed one, so the window is off by default. `--maintenance-window 03:00-04:00`: from 03:00
(inclusive) to 04:00 (exclusive), Paris wall-clock time, every day, daylight saving time included.
A window may wrap midnight (`23:30-00:30`). The admin plane can force the service down or up at
any moment, whatever the window says, and then hand control back to the schedule.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from ficoba_sandbox.domain.clock import Clock, paris

_WINDOW = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    start: time
    end: time

    @classmethod
    def parse(cls, spec: str) -> MaintenanceWindow:
        m = _WINDOW.match(spec)
        if not m:
            raise ValueError(
                f"maintenance window {spec!r}: expected HH:MM-HH:MM (e.g. 03:00-04:00)"
            )
        start = time(int(m[1]), int(m[2]))
        end = time(int(m[3]), int(m[4]))
        if start == end:
            raise ValueError(f"maintenance window {spec!r}: start and end are equal")
        return cls(start, end)

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(paris()).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # wraps midnight

    def seconds_until_end(self, at: datetime) -> int:
        """Whole seconds from `at` (inside the window) to its end, in Paris wall-clock time."""
        tz = paris()
        local = at.astimezone(tz)
        end = datetime.combine(local.date(), self.end, tzinfo=tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=tz)
        return max(1, int((end.astimezone(at.tzinfo) - at).total_seconds() + 0.999))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class ServiceHours:
    """Whether the service is open now: forced state first, then the maintenance window."""

    def __init__(self, window: MaintenanceWindow | str | None, *, clock: Clock) -> None:
        if isinstance(window, str):
            window = MaintenanceWindow.parse(window) if window.strip() else None
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._forced: bool | None = None

    @property
    def forced(self) -> bool | None:
        """True: forced up, False: forced down, None: the schedule decides."""
        return self._forced

    def force(self, available: bool | None) -> None:
        with self._lock:
            self._forced = available

    def force_down(self) -> None:
        self.force(False)

    def force_up(self) -> None:
        self.force(True)

    def release(self) -> None:
        """Back to the schedule (the maintenance window, or always open)."""
        self.force(None)

    def in_window(self, at: datetime | None = None) -> bool:
        return self.window is not None and self.window.contains(at or self.clock.now())

    def available(self, at: datetime | None = None) -> bool:
        forced = self._forced
        if forced is not None:
            return forced
        return not self.in_window(at)

    def retry_after(self, at: datetime | None = None) -> int | None:
        """Seconds until the scheduled window ends, when down because of it; None otherwise."""
        at = at or self.clock.now()
        if self._forced is None and self.window is not None and self.window.contains(at):
            return self.window.seconds_until_end(at)
        return None

    def state(self) -> dict[str, Any]:
        now = self.clock.now()
        forced = self._forced
        return {
            "available": self.available(now),
            "forced": None if forced is None else ("up" if forced else "down"),
            "maintenance_window": str(self.window) if self.window else None,
            "time_zone": "Europe/Paris",
            "in_window": self.in_window(now),
        }
