"""Service levels at the API edge: quota (429 900804), service hours (503), latency (408).

One pure-ASGI middleware, installed *inside* the gateway middleware so that it runs after
authentication: the quota key is the `client_id` of the `Caller` the gateway put in
`request.state.caller` (ASGI `scope["state"]["caller"]`), never an IP or a header.

For each request that reaches it:
1. the availability of the service (forced state, then maintenance window) is handed to the
   backend's availability flag (resources answer 503 CAT001, `/etatSante` 503
   `ResultatErreurApiSante`); without a flag hook, this middleware answers those 503 itself;
2. an authenticated call (not `/token`) is counted against its client's quota (the gateway's
   `request.state.client_quota_per_minute`, read from the registry; else `quota_of(client_id)`;
   else `--default-quota`, 200); over quota it is
   answered 429 `900804` with `Retry-After`, and every counted response carries the IETF
   `RateLimit-Policy` and `RateLimit` fields;
3. the emulated latency is waited with `asyncio.sleep`; when it exceeds `--request-timeout`,
   the call waits the timeout and is answered 408 `HTTP408` without reaching the backend.

`install_service_levels(app, settings, ...)` builds a `ServiceLevels` (also the admin plane's
handle: quota state and reset, forced maintenance) and stores it as `app.state.service_levels`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any

from ficoba_sandbox.domain.clock import Clock, SystemClock, horodatage
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.gateway.latency import Latency, parse_duration
from ficoba_sandbox.gateway.quota import DEFAULT_QUOTA, Quota, QuotaDecision, QuotaStorageError
from ficoba_sandbox.gateway.service_hours import ServiceHours

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: client_id -> its quota per minute (None: unknown, use the default)
QuotaOf = Callable[[str], "int | None"]
#: told the availability before each request: (available, retry_after_seconds or None); returns
#: False when there is no backend flag to drive (the middleware then answers the 503 itself)
AvailabilityHook = Callable[[bool, "int | None"], "bool | None"]

#: last path segments never counted nor delayed (the OAuth token endpoint)
UNCOUNTED = frozenset({"token"})


class AppClock:
    """A clock that follows `app.state.clock` (so replacing it there moves the window too)."""

    def __init__(self, app: Any, fallback: Clock | None = None) -> None:
        self._app = app
        self._fallback = fallback or SystemClock()

    def now(self) -> datetime:
        # Starlette's State keeps its attributes in `_state`: a dict lookup, rather than its
        # `__getattr__` (read 3-4 times per call: service hours, quota, drills)
        state = getattr(self._app, "state", None)
        values = getattr(state, "_state", None)
        clock = values.get("clock") if isinstance(values, dict) else getattr(state, "clock", None)
        return (clock or self._fallback).now()


class ServiceLevels:
    """Quota, service hours and latency of one app; the admin plane's handle on them."""

    def __init__(
        self,
        *,
        quota: Quota,
        service_hours: ServiceHours,
        latency: Latency,
        clock: Clock,
        request_timeout: float | None = None,
        quota_of: QuotaOf | None = None,
        availability: AvailabilityHook | None = None,
    ) -> None:
        self.quota = quota
        self.service_hours = service_hours
        self.latency = latency
        self.clock = clock
        self.request_timeout = request_timeout
        self.quota_of = quota_of
        self.availability = availability

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        *,
        clock: Clock,
        quota_of: QuotaOf | None = None,
        availability: AvailabilityHook | None = None,
    ) -> ServiceLevels:
        timeout = getattr(settings, "request_timeout", None)
        if isinstance(timeout, str):
            timeout = parse_duration(timeout)
        return cls(
            quota=Quota(
                getattr(settings, "quota_storage", None) or "memory://",
                clock=clock,
                default_quota=getattr(settings, "default_quota", DEFAULT_QUOTA),
            ),
            service_hours=ServiceHours(getattr(settings, "maintenance_window", None), clock=clock),
            latency=Latency.parse(
                getattr(settings, "latency", None), seed=getattr(settings, "seed", 0)
            ),
            clock=clock,
            request_timeout=timeout,
            quota_of=quota_of,
            availability=availability,
        )

    # -- quota ------------------------------------------------------------------------------
    def quota_for(self, client_id: str) -> int:
        value = self.quota_of(client_id) if self.quota_of else None
        return value or self.quota.default_quota

    async def hit(self, client_id: str, quota: int | None = None) -> QuotaDecision:
        return await self.quota.hit(client_id, quota or self.quota_for(client_id))

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
        }

    async def aclose(self) -> None:
        bridge = getattr(self.quota.storage, "bridge", None)
        storage = getattr(bridge, "storage", None)
        if storage is not None and hasattr(storage, "aclose"):
            await storage.aclose()


def _resource(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _caller(scope: Scope) -> tuple[str | None, int | None]:
    """The authenticated client_id, and its quota when the gateway read it from the registry."""
    state = scope.get("state")
    if not isinstance(state, dict):
        return None, None
    client_id = getattr(state.get("caller"), "client_id", None)
    if not isinstance(client_id, str) or not client_id:
        return None, None
    quota = state.get("client_quota_per_minute")
    return client_id, quota if isinstance(quota, int) and quota > 0 else None


async def send_error(
    send: Send,
    error: FicobaError,
    now: datetime,
    extra_headers: list[tuple[str, str]] | None = None,
) -> None:
    """Answer `{"erreur": {code, message, horodatage}}` (CONTRACT §6.1) from pure ASGI."""
    body = json.dumps(
        {"erreur": {"code": error.code, "message": error.message, "horodatage": horodatage(now)}},
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    for name, value in [*error.headers.items(), *(extra_headers or [])]:
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": error.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ServiceLevelsMiddleware:
    def __init__(self, app: ASGIApp, levels: ServiceLevels) -> None:
        self.app = app
        self.levels = levels

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        levels = self.levels
        resource = _resource(scope.get("path", ""))
        if resource in UNCOUNTED:
            await self.app(scope, receive, send)
            return

        # 1. Service hours.
        now = levels.clock.now()
        available = levels.service_hours.available(now)
        retry = None if available else levels.service_hours.retry_after(now)
        handled = levels.availability is not None and (
            levels.availability(available, retry) is not False
        )
        own_503 = not available and not handled

        # 2. Quota, for authenticated callers only.
        headers: list[tuple[str, str]] = []
        client_id, client_quota = _caller(scope)
        if client_id is not None:
            try:
                decision = await levels.hit(client_id, client_quota)
            except QuotaStorageError:
                log.exception("quota storage unavailable; refusing the call")
                await send_error(send, FicobaError("CAT001"), levels.clock.now())
                return
            headers = decision.headers()
            if not decision.allowed:
                await send_error(send, FicobaError("900804"), levels.clock.now(), headers)
                return

        if own_503:
            extra = [("Retry-After", str(retry))] if retry else []
            await send_error(send, FicobaError("CAT001"), levels.clock.now(), headers + extra)
            return

        # 3. Latency (never blocks the loop), and the 408 when it exceeds the timeout.
        delay = levels.latency.delay_for(resource) if levels.latency.enabled else 0.0
        timeout = levels.request_timeout
        if timeout is not None and delay > timeout:
            await asyncio.sleep(timeout)
            await send_error(send, FicobaError("HTTP408"), levels.clock.now(), headers)
            return
        if delay > 0:
            await asyncio.sleep(delay)

        if not headers:
            await self.app(scope, receive, send)
            return

        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in encoded if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def backend_flag(app: Any) -> AvailabilityHook:
    """Drive the backend's `app.state.service.disponible` (looked up at each request)."""

    def drive(available: bool, retry_after: int | None) -> bool:
        service = getattr(app.state, "service", None)
        if service is None or not hasattr(service, "disponible"):
            return False
        if service.disponible is not available:
            service.disponible = available
        return True

    return drive


def registry_quota(app: Any) -> QuotaOf:
    """A client's quota from the gateway's registry (`app.state.gateway`), looked up lazily."""

    def quota_of(client_id: str) -> int | None:
        registry = getattr(getattr(app.state, "gateway", None), "registry", None)
        record = registry.get(client_id) if registry is not None else None
        value = getattr(record, "quota_per_minute", None)
        return value if isinstance(value, int) and value > 0 else None

    return quota_of


def install_service_levels(
    app: Any,
    settings: Any,
    *,
    clock: Clock | None = None,
    quota_of: QuotaOf | None = None,
    availability: AvailabilityHook | None = None,
) -> ServiceLevels:
    """Add the service-levels middleware to `app` and return its admin handle.

    Call it *before* adding the gateway middleware (Starlette runs the last added middleware
    first), so that authentication has set `request.state.caller` when the quota counts.
    `clock`: defaults to one that follows `app.state.clock`. `quota_of(client_id)`: the client's
    quota per minute, by default from `app.state.gateway.registry` (for the admin plane; on a
    request the gateway's `client_quota_per_minute` comes first). `availability(available,
    retry_after)`: by default drives `app.state.service.disponible` (the backend then answers
    503 CAT001 / ResultatErreurApiSante); without such a flag the middleware answers the 503.
    """
    levels = ServiceLevels.from_settings(
        settings,
        clock=clock or AppClock(app),
        quota_of=quota_of or registry_quota(app),
        availability=availability or backend_flag(app),
    )
    app.state.service_levels = levels
    app.add_middleware(ServiceLevelsMiddleware, levels=levels)
    return levels
