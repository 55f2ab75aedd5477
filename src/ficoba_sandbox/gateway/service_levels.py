"""The service levels of one sandbox: quota, service hours, emulated latency, request timeout,
and the TLS handshakes the API listener refused (counted by reason: gateway/handshakes.py).

What the pipeline's `quota`, `availability` and `latency` steps consult (docs/architecture.md),
and the admin plane's handle on them (quota state and reset, forced maintenance, latency).
"""

from __future__ import annotations

from typing import Any

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.domain.durations import parse_duration
from ficoba_sandbox.gateway.handshakes import HandshakeRefusals
from ficoba_sandbox.gateway.latency import Latency
from ficoba_sandbox.gateway.quota import Quota
from ficoba_sandbox.gateway.registry import ClientRecord, Registry
from ficoba_sandbox.gateway.service_hours import ServiceHours


class ServiceLevels:
    def __init__(
        self,
        *,
        quota: Quota,
        service_hours: ServiceHours,
        latency: Latency,
        registry: Registry,
        request_timeout: float | None = None,
    ) -> None:
        self.quota = quota
        self.service_hours = service_hours
        self.latency = latency
        self.registry = registry
        #: an emulated delay above it is answered 408 after waiting this long (None: never)
        self.request_timeout = request_timeout
        #: the API listener's refused TLS handshakes (cli/serve.py hands it to the listener)
        self.handshakes = HandshakeRefusals()

    @classmethod
    def from_settings(cls, settings: Any, *, clock: Clock, registry: Registry) -> ServiceLevels:
        timeout = settings.request_timeout
        return cls(
            quota=Quota(settings.quota_storage, clock=clock, default_quota=settings.default_quota),
            service_hours=ServiceHours(settings.maintenance_window, clock=clock),
            latency=Latency.parse(settings.latency, seed=settings.seed),
            registry=registry,
            request_timeout=parse_duration(timeout) if timeout else None,
        )

    # -- quota ------------------------------------------------------------------------------
    def limit_of(self, record: ClientRecord | None) -> int:
        """A client's calls per minute: its registration's, else the server's default."""
        quota = record.quota_per_minute if record is not None else None
        return quota or self.quota.default_quota

    def quota_for(self, client_id: str) -> int:
        return self.limit_of(self.registry.get(client_id))

    async def quota_state(self, client_id: str) -> dict[str, Any]:
        """Admin plane: the client's quota, calls counted in the window, remaining, reset."""
        return await self.quota.state(client_id, self.quota_for(client_id))

    async def reset_quota(self, client_id: str) -> None:
        """Admin plane: forget the client's counted calls (across replicas with Redis)."""
        await self.quota.reset(client_id)

    # -- service hours ----------------------------------------------------------------------
    def force_down(self) -> None:
        """Admin plane: the service is in maintenance until `force_up` or `release`."""
        self.service_hours.force_down()

    def force_up(self) -> None:
        """Admin plane: the service is open, even inside the maintenance window."""
        self.service_hours.force_up()

    def release(self) -> None:
        """Admin plane: back to the schedule (the maintenance window, if any)."""
        self.service_hours.release()

    def service_state(self) -> dict[str, Any]:
        return self.service_hours.state()

    def describe(self) -> dict[str, Any]:
        return {
            "quota": {
                "default_per_minute": self.quota.default_quota,
                "window_seconds": self.quota.window,
                "strategy": "moving-window",
                "storage": "redis" if self.quota.shared else "memory",
            },
            "service": self.service_state(),
            "latency": self.latency.describe(),
            "request_timeout_seconds": self.request_timeout,
            "tls_handshakes_refused": self.handshakes.describe(),
        }

    async def aclose(self) -> None:
        await self.quota.aclose()
