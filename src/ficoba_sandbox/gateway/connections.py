"""Slow and idle clients bounded on the API listener: deadlines for each phase of a connection
and a cap on simultaneous connections (docs/reliability.md, "Slow and idle clients").

uvicorn bounds only the idle time between two requests (`timeout_keep_alive`), and its timer is
reset by every byte received: a client that sends its request one byte at a time (slowloris,
CVE-2007-6750) holds a connection for as long as it likes, and asyncio gives a TLS handshake
60 s. So, per connection:

| phase | bound | what happens at the bound |
|---|---|---|
| TLS handshake | `tls_handshake_timeout` | asyncio aborts the handshake (logged and counted: gateway/handshakes.py) |
| the first request's line and headers, from the handshake | `header_timeout` | closed |
| a later request's line and headers, from its first byte | `header_timeout` | closed |
| a request's body, from its headers | `body_timeout` | closed (the app sees a disconnect) |
| idle between two requests | `keep_alive_timeout` (uvicorn) | closed |

A request that never arrived whole gets no answer: there is nothing to answer. The time the
server takes to answer is not bounded here (the emulated latency is the server's own).

Beyond `max_connections` open connections, a new connection's requests are answered 503
`CAT001` in the API's error format with `Connection: close` and `Retry-After`, by the pipeline
(the `OVER_CAPACITY` scope extension): the connection is closed after that answer, and it is
never held longer than the deadlines above.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn

from ficoba_sandbox.gateway.handshakes import HandshakeRefusals, ObservedTLSProtocol
from ficoba_sandbox.gateway.tls import TLSExtensionH11Protocol

log = logging.getLogger(__name__)

#: the scope extension the protocol sets on the requests of a connection beyond the cap
OVER_CAPACITY = "ficoba_sandbox.over_capacity"
#: at most one log line per this many seconds about the connections closed at a deadline (a
#: slowloris attack would otherwise write a line per connection)
LOG_EVERY = 60.0
HEAD = "request line and headers"
BODY = "request body"


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    tls_handshake_timeout: float = 10.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: int = 5
    max_connections: int = 256

    @classmethod
    def from_settings(cls, settings: Any) -> ConnectionLimits:
        return cls(
            tls_handshake_timeout=settings.tls_handshake_timeout,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            keep_alive_timeout=settings.keep_alive_timeout,
            max_connections=settings.max_connections,
        )


class ClosedLog:
    """The connections one listener closed at a deadline, logged at most every `LOG_EVERY`
    seconds with their count."""

    def __init__(self) -> None:
        self.count = 0
        self.logged_at = -LOG_EVERY

    def note(self, phase: str, bound: float) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.logged_at >= LOG_EVERY:
            log.warning(
                "closed %d slow connection(s) in the last %.0f s (latest: %s not received within "
                "%g s)",
                self.count,
                min(now - self.logged_at, LOG_EVERY),
                phase,
                bound,
            )
            self.count, self.logged_at = 0, now


class BoundedH11Protocol(TLSExtensionH11Protocol):
    """uvicorn's h11 protocol (with the TLS extension) under `ConnectionLimits`."""

    def __init__(
        self, *args: Any, limits: ConnectionLimits, closed: ClosedLog, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.closed = closed
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            inner = self.app

            async def over_capacity(scope: Any, receive: Any, send: Any) -> None:
                scope["extensions"] = {**(scope.get("extensions") or {}), OVER_CAPACITY: {}}
                await inner(scope, receive, send)

            self.app = over_capacity
        self._enter(HEAD, self.limits.header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._enter(None, 0)
        super().connection_lost(exc)

    def _follow(self) -> None:
        """The deadline of the phase the client is in now (h11's view of its side)."""
        state = self.conn.their_state
        if self.transport.is_closing():
            self._enter(None, 0)
        elif state is h11.SEND_BODY:
            self._enter(BODY, self.limits.body_timeout)
        elif state is not h11.IDLE:  # the request is whole: the server's turn
            self._enter(None, 0)
        elif self.cycle is not None:  # between two requests: a new one has begun, or idle
            # (idle is uvicorn's keep-alive timer); a first request keeps its deadline, which
            # runs from the handshake
            begun = bool(self.conn.trailing_data[0])
            self._enter(HEAD if begun else None, self.limits.header_timeout)

    def _enter(self, phase: str | None, bound: float) -> None:
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            self._deadline = self.loop.call_later(bound, self._expire, phase, bound)

    def _expire(self, phase: str, bound: float) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.closed.note(phase, bound)
            self.transport.close()


def http_protocol(limits: ConnectionLimits) -> Any:
    """The `uvicorn.Config(http=...)` factory of `BoundedH11Protocol` under `limits`."""
    return functools.partial(BoundedH11Protocol, limits=limits, closed=ClosedLog())


class BoundedServer(uvicorn.Server):
    """A uvicorn server whose TLS listener gives a handshake `tls_handshake_timeout` seconds and
    reports the handshakes it refuses to `handshakes` (gateway/handshakes.py). uvicorn passes
    neither `ssl_handshake_timeout` to `loop.create_server` (asyncio's default is 60 s) nor a way
    to see a failed handshake (asyncio logs it only in debug mode), so the running loop's
    `create_server` is wrapped for the start-up only: a TLS listener gets a plain socket whose
    protocol does the TLS itself (`ObservedTLSProtocol`, what asyncio's own `ssl=` builds)."""

    def __init__(
        self,
        config: uvicorn.Config,
        limits: ConnectionLimits,
        handshakes: HandshakeRefusals | None = None,
    ) -> None:
        super().__init__(config)
        self.limits = limits
        self.handshakes = handshakes if handshakes is not None else HandshakeRefusals()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        loop = asyncio.get_running_loop()
        create_server = loop.create_server
        timeout = self.limits.tls_handshake_timeout
        handshakes = self.handshakes

        def bounded(protocol_factory: Any, *args: Any, **kwargs: Any) -> Any:
            # only TLS listeners: another server starting on the loop meanwhile (the admin
            # plane, plain HTTP) keeps its arguments
            context = kwargs.pop("ssl", None)
            if context is None:
                return create_server(protocol_factory, *args, **kwargs)

            def tls_protocol() -> ObservedTLSProtocol:
                return ObservedTLSProtocol(
                    loop,
                    protocol_factory(),
                    context,
                    None,  # no waiter: the handshake's outcome is the protocol's to report
                    server_side=True,
                    ssl_handshake_timeout=timeout,
                    refusals=handshakes,
                )

            return create_server(tls_protocol, *args, **kwargs)

        loop.create_server = bounded  # type: ignore[method-assign]
        try:
            await super().startup(sockets)
        finally:
            del loop.create_server  # the loop's own method again
