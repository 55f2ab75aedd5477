"""Per-client faults: added latency and forced error codes, set by QA (admin plane, Python).

The pipeline's `faults` step asks `Faults.decide(client_id, resource)` once per resource call of
an authenticated client (docs/qa.md). The admin plane's `/__sandbox/faults/{client_id}` drives
the table.

>>> faults.set("demo-client", latency_ms=300, error_rate=0.5, error_code="CAT001")
>>> faults.set("demo-client", error_rate=1.0, error_code="HTTP509", remaining=3)
>>> faults.clear("demo-client")
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, replace
from typing import Any

from ficoba_sandbox.domain.errors import ALL_CODES
from ficoba_sandbox.qa.magic import RESOURCES

#: what a fault may be restricted to: the seven resources and the health check
FAULT_RESOURCES = frozenset({*RESOURCES, "etatSante"})


@dataclass(frozen=True)
class Fault:
    """What goes wrong for one client. `error_rate` 1.0 forces `error_code` on every call."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_code: str = "CAT004"
    #: apply to the next N calls only, then the fault is cleared (None: until cleared)
    remaining: int | None = None
    #: restrict to these resources (numCpte, spi, ..., etatSante); empty: every resource
    resources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if self.error_code not in ALL_CODES:
            raise ValueError(f"unknown error code {self.error_code!r}")
        if self.remaining is not None and self.remaining < 1:
            raise ValueError("remaining must be >= 1 (or null)")
        unknown = set(self.resources) - FAULT_RESOURCES
        if unknown:
            raise ValueError(f"unknown resources: {sorted(unknown)}")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["resources"] = list(self.resources)
        out["error_status"] = ALL_CODES[self.error_code].http_status
        return out


class Faults:
    """The per-client fault table of one sandbox (thread-safe: the admin plane runs beside)."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._rng = random.Random(seed)
        #: calls each fault touched (delay or error), per client, since it was set
        self.applied: dict[str, int] = {}

    def set(self, client_id: str, fault: Fault | None = None, **fields: Any) -> Fault:
        f = replace(fault, **fields) if fault is not None else Fault(**fields)
        with self._lock:
            self._faults[client_id] = f
            self.applied[client_id] = 0
        return f

    def get(self, client_id: str) -> Fault | None:
        with self._lock:
            return self._faults.get(client_id)

    def clear(self, client_id: str) -> bool:
        with self._lock:
            self.applied.pop(client_id, None)
            return self._faults.pop(client_id, None) is not None

    def clear_all(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults.clear()
            self.applied.clear()
            return n

    def all(self) -> dict[str, Fault]:
        with self._lock:
            return dict(self._faults)

    def decide(self, client_id: str, resource: str) -> tuple[float, str | None]:
        """(delay in seconds, error code or None) for one call; consumes `remaining`."""
        if not self._faults:  # the common case: no fault anywhere, no lock taken
            return 0.0, None
        with self._lock:
            f = self._faults.get(client_id)
            if f is None or (f.resources and resource not in f.resources):
                return 0.0, None
            code = f.error_code if f.error_rate and self._rng.random() < f.error_rate else None
            self.applied[client_id] = self.applied.get(client_id, 0) + 1
            if f.remaining is not None:
                if f.remaining <= 1:
                    del self._faults[client_id]
                else:
                    self._faults[client_id] = replace(f, remaining=f.remaining - 1)
            return f.latency_ms / 1000.0, code
