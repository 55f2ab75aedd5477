"""Patterns over time: a count of occurrences per key within a sliding window, reported once per
window (docs/security.md, "Security events": bursts, enumeration, correlation-id reuse, 429s).

Instants are seconds of the sandbox's clock (`clock advance` ends a window, as it ends a quota
window). Memory is bounded: each key keeps at most its threshold's worth of instants, and each
table at most `MAX_KEYS` keys, the least recently seen dropped first (rotating client ids or
peers cannot grow it).
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, time
from typing import Generic, TypeVar

from ficoba_sandbox.domain.clock import paris

MAX_KEYS = 4096
K = TypeVar("K")

HOURS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class Burst(Generic[K]):
    """`threshold` occurrences of a key within `window` seconds: `hit` is True once, at the
    occurrence that reaches it, then not again for that key until `window` seconds later."""

    def __init__(self, threshold: int, window: float) -> None:
        self.threshold = threshold
        self.window = window
        self._seen: OrderedDict[K, deque[float]] = OrderedDict()
        self._reported: dict[K, float] = {}

    def hit(self, key: K, now: float) -> bool:
        if self.threshold <= 0:
            return False
        instants = self._seen.pop(key, None)
        if instants is None:
            instants = deque(maxlen=self.threshold)
            if len(self._seen) >= MAX_KEYS:
                old, _ = self._seen.popitem(last=False)
                self._reported.pop(old, None)
        self._seen[key] = instants
        instants.append(now)
        while instants and now - instants[0] >= self.window:
            instants.popleft()
        if len(instants) < self.threshold:
            return False
        last = self._reported.get(key)
        if last is not None and now - last < self.window:
            return False
        self._reported[key] = now
        return True


class Distinct(Generic[K]):
    """Distinct values per key within a window: `add` is True once when `threshold` distinct
    values were seen within `window` seconds, then not again for that key for `window` seconds.
    A key keeps at most `threshold` values (the oldest go first)."""

    def __init__(self, threshold: int, window: float) -> None:
        self.threshold = threshold
        self.window = window
        self._values: OrderedDict[K, OrderedDict[str, float]] = OrderedDict()
        self._reported: dict[K, float] = {}

    def add(self, key: K, value: str, now: float) -> bool:
        if self.threshold <= 0:
            return False
        values = self._values.pop(key, None)
        if values is None:
            values = OrderedDict()
            if len(self._values) >= MAX_KEYS:
                old, _ = self._values.popitem(last=False)
                self._reported.pop(old, None)
        self._values[key] = values
        values.pop(value, None)
        values[value] = now
        while values and now - next(iter(values.values())) >= self.window:
            values.popitem(last=False)
        while len(values) > self.threshold:
            values.popitem(last=False)
        if len(values) < self.threshold:
            return False
        last = self._reported.get(key)
        if last is not None and now - last < self.window:
            return False
        self._reported[key] = now
        return True


class Recent(Generic[K]):
    """Values seen per key within a window: `seen_before` is True when the value was already
    seen within `window` seconds (one report per value and window)."""

    def __init__(self, window: float, per_key: int = 1024) -> None:
        self.window = window
        self.per_key = per_key
        self._values: OrderedDict[K, OrderedDict[str, tuple[float, bool]]] = OrderedDict()

    def seen_before(self, key: K, value: str, now: float) -> bool:
        if self.window <= 0:
            return False
        values = self._values.pop(key, None)
        if values is None:
            values = OrderedDict()
            if len(self._values) >= MAX_KEYS:
                self._values.popitem(last=False)
        self._values[key] = values
        while values and now - next(iter(values.values()))[0] >= self.window:
            values.popitem(last=False)
        previous = values.get(value)
        if previous is None:
            values[value] = (now, False)
            while len(values) > self.per_key:
                values.popitem(last=False)
            return False
        first, reported = previous
        values[value] = (first, True)
        return not reported


@dataclass(frozen=True, slots=True)
class Hours:
    """A client's declared hours, `HH:MM-HH:MM` in Europe/Paris (`24:00` ends the day)."""

    start: time
    end: time | None  # None: midnight, the end of the day

    @classmethod
    def parse(cls, text: str) -> Hours:
        m = HOURS_RE.fullmatch(text.strip())
        if m is None:
            raise ValueError(
                f"hours {text!r}: expected HH:MM-HH:MM (Europe/Paris), e.g. 08:00-19:00"
            )
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h2 == 24 and m2 != 0:
            raise ValueError(f"hours {text!r}: 24:00 is the latest end")
        start = time(h1, m1)
        end = None if h2 == 24 else time(h2, m2)
        if end is not None and end <= start:
            raise ValueError(f"hours {text!r}: the end must come after the start")
        return cls(start, end)

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(paris()).time()
        return self.start <= local and (self.end is None or local < self.end)

    def __str__(self) -> str:
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"
