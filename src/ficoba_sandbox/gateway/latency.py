"""Latency emulation: fixed or log-normal delays, global or per resource, from a seeded RNG.

Spec grammar (`--latency`, off by default):

    200ms                              every API call waits 200 ms
    p50=80ms,p99=400ms                 log-normal delay with that median and 99th percentile
    numCpte=300ms                      only /comptes/numCpte is delayed
    numCpte=p50=80ms,p99=400ms;*=20ms  per resource, `;`-separated; `*` is every other resource

Durations need a unit (`1.5s`, domain/durations.py). A resource is the last path segment
(`numCpte`, `spi`, `siretSiren`, `perPro`, `perPhy`, `verifIban`, `multiDet`, `etatSante`).
The log-normal is fitted to the two quantiles: mu = ln(p50), sigma = (ln(p99) - ln(p50)) / z99
with z99 the 0.99 quantile of the standard normal. Samples are capped at MAX_DELAY seconds.
The delay itself is waited with `asyncio.sleep` by the API layer: the event loop never blocks.
"""

from __future__ import annotations

import math
import random
import re
import threading
from dataclasses import dataclass
from typing import Protocol

from ficoba_sandbox.domain.durations import parse_duration

Z99 = 2.3263478740408408  # statistics.NormalDist().inv_cdf(0.99)
MAX_DELAY = 60.0
_RESOURCE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$|^\*$")


class Delay(Protocol):
    def sample(self, rng: random.Random) -> float: ...


@dataclass(frozen=True, slots=True)
class Fixed:
    seconds: float

    def sample(self, rng: random.Random) -> float:
        return self.seconds

    def __str__(self) -> str:
        return f"{self.seconds * 1000:g}ms"


@dataclass(frozen=True, slots=True)
class LogNormal:
    p50: float
    p99: float

    def __post_init__(self) -> None:
        if self.p50 <= 0:
            raise ValueError("latency p50 must be positive")
        if self.p99 < self.p50:
            raise ValueError("latency p99 must not be below p50")

    @property
    def mu(self) -> float:
        return math.log(self.p50)

    @property
    def sigma(self) -> float:
        return (math.log(self.p99) - math.log(self.p50)) / Z99

    def sample(self, rng: random.Random) -> float:
        return min(MAX_DELAY, rng.lognormvariate(self.mu, self.sigma))

    def __str__(self) -> str:
        return f"p50={self.p50 * 1000:g}ms,p99={self.p99 * 1000:g}ms"


def _parse_delay(text: str) -> Delay:
    text = text.strip()
    if "=" not in text:
        return Fixed(parse_duration(text))
    parts: dict[str, float] = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip().lower()
        if name not in ("p50", "p99") or name in parts:
            raise ValueError(f"latency {text!r}: expected p50=...,p99=...")
        parts[name] = parse_duration(value)
    if set(parts) != {"p50", "p99"}:
        raise ValueError(f"latency {text!r}: a distribution needs both p50 and p99")
    return LogNormal(parts["p50"], parts["p99"])


class Latency:
    """Delays per resource. `delay_for(resource)` returns the seconds to wait (0.0 when none)."""

    def __init__(self, delays: dict[str, Delay] | None = None, *, seed: int = 0) -> None:
        self.delays = dict(delays or {})
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str | None, *, seed: int = 0) -> Latency:
        delays: dict[str, Delay] = {}
        for entry in (spec or "").split(";"):
            entry = entry.strip()
            if not entry:
                continue
            head, sep, rest = entry.partition("=")
            head = head.strip()
            if sep and head.lower() not in ("p50", "p99"):
                if not _RESOURCE.match(head):
                    raise ValueError(f"latency {entry!r}: bad resource name {head!r}")
                resource, delay_text = head, rest
            else:
                resource, delay_text = "*", entry
            if resource in delays:
                raise ValueError(f"latency {spec!r}: {resource!r} given twice")
            delays[resource] = _parse_delay(delay_text)
        return cls(delays, seed=seed)

    @property
    def enabled(self) -> bool:
        return bool(self.delays)

    def delay_for(self, resource: str) -> float:
        delay = self.delays.get(resource) or self.delays.get("*")
        if delay is None:
            return 0.0
        with self._lock:
            return delay.sample(self._rng)

    def describe(self) -> dict[str, str]:
        return {name: str(delay) for name, delay in self.delays.items()}
