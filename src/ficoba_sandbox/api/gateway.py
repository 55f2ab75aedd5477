"""The gateway as a pure ASGI middleware, and `install_gateway(app, settings)`.

Every HTTP request except the public paths (`/token`, the OpenAPI documents, `/.well-known/...`)
goes through the checks of `gateway/checks.py`: this is default-deny, so a route added later under
any prefix (and `/etatSante`, which DGFiP's gateway also protects) needs a token. On success the
request gets, in `scope["state"]` (i.e. `request.state`):

- `caller`: `domain.access.Caller` (client, modalities, scopes narrowed to the token's, requesters,
  motifs, bank codes), built from the registry as it is on disk now;
- `client_id`, `correlation_id`, `request_id`, `peer_ip`, `token_jti`.

`X-Correlation-ID` and `X-Request-ID` (generated when absent) are echoed on every response of a
protected path, errors included. Gateway errors are rendered as the backend renders
`FicobaError`: `{"erreur": {"code", "message", "horodatage"}}`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ficoba_sandbox.api.headers import pick_all
from ficoba_sandbox.domain.clock import Clock, SystemClock, horodatage
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.gateway.checks import REQUEST_ID_RE, authenticate, check_correlation_id
from ficoba_sandbox.gateway.peer import resolve_peer
from ficoba_sandbox.gateway.service import Gateway

GATEWAY_PREFIX = "/ficoba-api/v2"
BACKEND_PREFIX = "/fcb-masrestit/api/v2"
PUBLIC_PATHS: frozenset[str] = frozenset(
    {"/token", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
PUBLIC_PREFIXES: tuple[str, ...] = ("/.well-known/",)
#: the request headers the gateway reads (`checks.authenticate`, correlation and request ids)
_READ = frozenset({b"authorization", b"x-correlation-id", b"x-request-id"})


def new_request_id() -> str:
    """A random (version 4) UUID as text, for `X-Request-ID` when the client sent none.

    From `random.getrandbits` rather than `uuid.uuid4()` (os.urandom, a system call): a request
    id only tells calls apart, it guards nothing; this is 3x cheaper on every call."""
    n = random.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _is_backend_path(path: str) -> bool:
    p = path.lower()
    return p == BACKEND_PREFIX or p.startswith(BACKEND_PREFIX + "/")


def error_response_parts(
    exc: FicobaError, clock: Clock, extra_headers: Iterable[tuple[str, str]] = ()
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(
        {
            "erreur": {
                "code": exc.code,
                "message": exc.message,
                "horodatage": horodatage(clock.now()),
            }
        },
        ensure_ascii=False,
    ).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    for k, v in [*exc.headers.items(), *extra_headers]:
        headers.append((k.lower().encode("latin-1"), v.encode("latin-1")))
    return exc.http_status, headers, body


class GatewayMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        gateway: Gateway,
        public_paths: frozenset[str] = PUBLIC_PATHS,
        public_prefixes: tuple[str, ...] = PUBLIC_PREFIXES,
    ) -> None:
        self.app = app
        self.gateway = gateway
        self.public_paths = public_paths
        self.public_prefixes = public_prefixes

    def _public(self, path: str) -> bool:
        return path in self.public_paths or path.startswith(self.public_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._public(scope["path"]):
            await self.app(scope, receive, send)
            return
        gw = self.gateway
        # only the headers the checks read, every occurrence kept (several Authorization or
        # X-Correlation-ID headers are refused, so they must be seen)
        headers = pick_all(scope.get("headers"), _READ)

        request_id = (headers.get("x-request-id") or [""])[0]
        if not REQUEST_ID_RE.fullmatch(request_id):
            request_id = new_request_id()
        echo: list[tuple[str, str]] = [("X-Request-ID", request_id)]
        peer = resolve_peer(scope, gw.trusted_proxies)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["peer_ip"] = peer.ip
        try:
            values = headers.get("x-correlation-id", [])
            correlation_id = check_correlation_id(
                values[0] if len(values) == 1 else None,
                backend_path=_is_backend_path(scope["path"]),
            )
            echo.insert(0, ("X-Correlation-ID", correlation_id))
            state["correlation_id"] = correlation_id
            auth = authenticate(gw, headers, scope.get("query_string", b""), peer)
        except FicobaError as exc:
            state["gateway_error"] = exc.code
            status, hdrs, body = error_response_parts(exc, gw.clock, echo)
            await send({"type": "http.response.start", "status": status, "headers": hdrs})
            await send({"type": "http.response.body", "body": body})
            return

        state["caller"] = auth.caller
        state["client_id"] = auth.record.client_id
        state["client_quota_per_minute"] = auth.record.quota_per_minute
        state["token_jti"] = auth.claims.jti
        if auth.thumbprint:
            state["thumbprint"] = auth.thumbprint  # the journal need not hash it again
        echo_bytes = [(k.lower().encode(), v.encode("latin-1")) for k, v in echo]

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in echo_bytes if k not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_ids)


def install_gateway(
    app: Any,
    settings: Any,
    *,
    clock: Clock | None = None,
    gateway: Gateway | None = None,
) -> Gateway:
    """Open the gateway state on `settings.state_dir`, add the middleware and `POST /token`.

    The clock is, in order: the argument, `app.state.clock`, a new `SystemClock` (then stored
    as `app.state.clock`). The gateway is stored as `app.state.gateway`.
    """
    from ficoba_sandbox.api.token import router as token_router

    if clock is None:
        clock = getattr(app.state, "clock", None)
    if clock is None:
        clock = SystemClock()
        app.state.clock = clock
    if gateway is None:
        gateway = Gateway.open(
            settings.state_dir,
            clock,
            token_ttl=settings.token_ttl,
            trusted_proxies=settings.trusted_proxies,
            sans=settings.san,
        )
    app.state.gateway = gateway
    app.include_router(token_router)
    app.add_middleware(GatewayMiddleware, gateway=gateway)
    return gateway
