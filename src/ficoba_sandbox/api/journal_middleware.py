"""Pure-ASGI middleware that journals every call of the API app (issue 6 item 2).

`install_journal(app, journal)` wraps the app's whole middleware stack, so the journal is the
outermost layer whatever order the other middlewares were added in: it sees the token endpoint,
the resources, the gateway's rejections (400 910000, 401, 403, 429...), Starlette's own 413 and
the 500s rendered by `ServerErrorMiddleware`.

What it reads, and from where (others' code is read, never required):
- time: `app.state.clock` (the injectable clock) at the start of the call; latency: a monotonic
  counter until the last byte of the response;
- client_id: the gateway's `request.state.caller.client_id` (or `state.client_id`) after the inner
  app ran; else, on the token endpoint, the form's `client_id` or the HTTP Basic user name; else
  the `client_id` claim of the bearer token, unverified (`client_id_source` says which);
- certificate thumbprint (x5t#S256) and peer IP: `state.thumbprint` / `state.peer_ip` if the
  gateway sets them, else the ASGI TLS extension and `scope["client"]` through
  `gateway.peer.resolve_peer` (honouring `app.state.gateway.trusted_proxies`);
- search type: `state.search_type` if set, else derived from the path and the body's flags;
- motif, justification (absent / empty / present): the JSON request body;
- referenceDemande, erreur.code, messageInformatif.code (or the OAuth `error` on /token): the JSON
  response body; X-Request-ID: the response header (the gateway generates it), else the request's.

The request body is read ahead (up to `body_cap` bytes) and replayed to the app unchanged, so even
a call the gateway rejects before reading the body is journaled with its motif and justification.

If the journal cannot write (`journal.healthy` is False), data endpoints fail closed with 503
CAT001 (security bar §7.7 #50); the token endpoint and the rest still answer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from ficoba_sandbox.api.headers import pick
from ficoba_sandbox.domain.access import RESOURCE_OF, SearchType
from ficoba_sandbox.domain.clock import SystemClock, horodatage
from ficoba_sandbox.domain.errors import BACKEND_CODES
from ficoba_sandbox.journal import CallRecord, Journal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

RESPONSE_PARSE_CAP = 1024 * 1024
_FIELD_RE = {
    "reference": re.compile(rb'"referenceDemande"\s*:\s*"([^"]{0,64})"'),
}
_SINGLE_RESOURCE = {
    RESOURCE_OF[t]: t
    for t in (
        SearchType.COMPTE,
        SearchType.SPI,
        SearchType.SIREN_SIRET,
        SearchType.PERSONNE_PHYSIQUE,
        SearchType.PERSONNE_MORALE,
    )
}
_TRUE = {"1", "true", "o", "oui", "y", "yes"}


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


def derive_search_type(path: str, body: Any) -> str | None:
    """The search type (domain.access.SearchType value) of a resource call, or None."""
    path = path.rstrip("/")
    for resource, stype in _SINGLE_RESOURCE.items():
        if path.endswith(resource):
            return stype.value
    crit = body.get("criteresRecherche") if isinstance(body, dict) else None
    crit = crit if isinstance(crit, dict) else {}
    flags = {k.lower(): _truthy(v) for k, v in crit.items()}
    if path.endswith(RESOURCE_OF[SearchType.VERIF_IBAN_PP]):
        kinds = {
            "recherchepp": SearchType.VERIF_IBAN_PP,
            "recherchepm": SearchType.VERIF_IBAN_PM,
            "recherchesirensiret": SearchType.VERIF_IBAN_SIRET,
        }
        chosen = [t for k, t in kinds.items() if flags.get(k)]
        return chosen[0].value if len(chosen) == 1 else "verif_iban"
    if path.endswith(RESOURCE_OF[SearchType.MULTIDET_PP]):
        kinds = {
            "recherchepp": SearchType.MULTIDET_PP,
            "recherchepm": SearchType.MULTIDET_PM,
            "recherchesirensiret": SearchType.MULTIDET_SIRET,
        }
        chosen = [t for k, t in kinds.items() if flags.get(k)]
        return chosen[0].value if len(chosen) == 1 else "multi_detention"
    return None


#: the request headers a journal row reads (only those are decoded, on every call)
_REQUEST_HEADERS = frozenset(
    {b"content-type", b"authorization", b"x-correlation-id", b"x-request-id", b"user-agent"}
)
#: the response headers it reads
_RESPONSE_HEADERS = frozenset({b"x-request-id", b"retry-after"})


def _unverified_payload_value(token: str, name: str) -> object:
    """A claim of a JWT, NOT verified: only to attribute and describe a call in the journal."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    return payload.get(name) if isinstance(payload, dict) else None


def _unverified_claim(token: str, name: str) -> str | None:
    value = _unverified_payload_value(token, name)
    return value if isinstance(value, str) and len(value) <= 200 else None


@functools.lru_cache(maxsize=1024)
def token_ref(jti: str) -> str:
    """A short, letters-only fingerprint of a token id (never the token): tells reuse apart."""
    digest = hashlib.sha256(jti.encode("utf-8")).hexdigest()[:12]
    return digest.translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))


def _unverified_int(token: str, name: str) -> int | None:
    value = _unverified_payload_value(token, name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@functools.lru_cache(maxsize=1024)
def _bearer_claims(token: str) -> tuple[str | None, str | None]:
    """(`jti`, `exp` as ISO text) of a bearer token, unverified; cached per token string (a
    client sends the same token on every call, and this is a pure function of it)."""
    exp = _unverified_int(token, "exp")
    return _unverified_claim(token, "jti"), (_iso(exp) if exp is not None else None)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _state_value(state: Any, *names: str) -> Any:
    if not isinstance(state, dict):
        return None
    for name in names:
        value = state.get(name)
        if value is not None:
            return value
    return None


def _is_data_endpoint(path: str) -> bool:
    return "/comptes/" in path


class JournalMiddleware:
    """Records one `CallRecord` per HTTP call into `journal`; passes lifespan through and closes
    the journal at shutdown."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        *,
        body_cap: int = 64 * 1024,
        close_on_shutdown: bool = True,
    ) -> None:
        self.app = app
        self.journal = journal
        self.body_cap = body_cap
        self.close_on_shutdown = close_on_shutdown

    def current(self, scope: Scope | None = None) -> Journal:
        """`app.state.journal` of the app being called if set (swappable), else ours."""
        app_state = getattr(getattr((scope or {}).get("app"), "state", None), "_state", {}) or {}
        journal = app_state.get("journal")
        if isinstance(journal, Journal):
            self.journal = journal
        return self.journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        journal = self.current(scope)
        app_obj = scope.get("app")
        app_state = getattr(getattr(app_obj, "state", None), "_state", {}) or {}
        clock = app_state.get("clock") or journal.clock or SystemClock()
        at = clock.now()
        state = scope.setdefault("state", {})
        req_headers = pick(scope.get("headers"), _REQUEST_HEADERS)

        # Read the body ahead (bounded), then replay it to the app.
        body, more, early = await self._read_ahead(receive)
        queued: list[Message] = []
        if body or early is None:
            queued.append({"type": "http.request", "body": body, "more_body": more})
        if early is not None:
            queued.append(early)

        async def replay() -> Message:
            if queued:
                return queued.pop(0)
            return await receive()

        status: int | None = None
        resp_headers: Any = ()  # raw; the few read are decoded (api/headers.py) for _record
        resp_chunks: list[bytes] = []
        resp_size = 0
        finished_at: float | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status, resp_headers, resp_size, finished_at
            if message["type"] == "http.response.start":
                status = int(message["status"])
                resp_headers = message.get("headers") or ()
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if resp_size <= RESPONSE_PARSE_CAP:
                    resp_chunks.append(chunk)
                resp_size += len(chunk)
                if not message.get("more_body", False):
                    finished_at = time.perf_counter()
            await send(message)

        error: BaseException | None = None
        try:
            if not journal.healthy and _is_data_endpoint(scope.get("path", "")):
                await self._fail_closed(send_wrapper, req_headers, at)
            else:
                await self.app(scope, replay, send_wrapper)
        except BaseException as exc:
            error = exc
            raise
        finally:
            end = finished_at or time.perf_counter()
            if status is None:
                # No response: the app crashed before answering, or the client went away.
                status = 499 if isinstance(error, asyncio.CancelledError) or error is None else 500
            try:
                self._record(
                    journal,
                    scope,
                    state,
                    req_headers,
                    body,
                    more,
                    at,
                    (end - started) * 1000,
                    status,
                    pick(resp_headers, _RESPONSE_HEADERS, first=False),
                    b"".join(resp_chunks),
                    resp_size,
                    error,
                )
            except Exception:  # the journal must never break a response
                log.exception("journal: could not build the record")

    async def _read_ahead(self, receive: Receive) -> tuple[bytes, bool, Message | None]:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more and size <= self.body_cap:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False, message
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = bool(message.get("more_body", False))
        return b"".join(chunks), more, None

    async def _fail_closed(self, send: Send, req_headers: dict[str, str], at: Any) -> None:
        entry = BACKEND_CODES["CAT001"]
        body = json.dumps(
            {
                "erreur": {
                    "code": entry.code,
                    "message": entry.message,
                    "horodatage": horodatage(at),
                }
            },
            ensure_ascii=False,
        ).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"retry-after", b"5")]
        corr = req_headers.get("x-correlation-id")
        if corr:
            headers.append((b"x-correlation-id", corr.encode("latin-1")))
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _record(
        self,
        journal: Journal,
        scope: Scope,
        state: Any,
        req_headers: dict[str, str],
        body: bytes,
        more: bool,
        at: Any,
        latency_ms: float,
        status: int,
        resp_headers: dict[str, str],
        resp_body: bytes,
        resp_size: int,
        error: BaseException | None,
    ) -> None:
        path = scope.get("path", "")
        method = scope.get("method", "")
        content_type = req_headers.get("content-type")
        details: dict[str, Any] = {}

        # Request body facts.
        parsed: Any = None
        if body and (content_type or "").split(";")[0].strip().lower() != (
            "application/x-www-form-urlencoded"
        ):
            shared = _state_value(state, "request_json")  # parsed by the QA hook already
            if isinstance(shared, tuple) and len(shared) == 2 and shared[0] == body:
                parsed = shared[1]
            else:
                try:
                    parsed = json.loads(body)
                except (ValueError, RecursionError, UnicodeDecodeError):
                    parsed = None
        motif = justification = None
        if isinstance(parsed, dict):
            if parsed.get("motif") is not None:
                motif = str(parsed["motif"])
            if "justification" not in parsed:
                justification = "absent"
            else:
                value = parsed["justification"]
                justification = "empty" if value is None or not str(value).strip() else "present"
        if more:
            details["body_truncated"] = True

        # Authorization: the scheme only.
        auth = req_headers.get("authorization")
        auth_scheme = None
        basic_user = bearer = None
        if auth is not None:
            scheme, _, cred = auth.strip().partition(" ")
            if scheme.lower() == "bearer":
                auth_scheme, bearer = "Bearer", cred.strip()
            elif scheme.lower() == "basic":
                auth_scheme = "Basic"
                try:
                    decoded = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
                    # RFC 6749 §2.3.1: form-urlencoded before the Basic encoding
                    basic_user = urllib.parse.unquote_plus(decoded.partition(":")[0]) or None
                except (ValueError, binascii.Error, UnicodeDecodeError):
                    basic_user = None
            else:
                auth_scheme = "other"

        # Who: the gateway's verdict first, then what the caller claimed.
        client_id, source = None, None
        caller = _state_value(state, "caller")
        if caller is not None and getattr(caller, "client_id", None):
            client_id, source = caller.client_id, "gateway"
        elif _state_value(state, "client_id"):
            client_id, source = str(_state_value(state, "client_id")), "gateway"
        else:
            form_client = None
            if (content_type or "").startswith("application/x-www-form-urlencoded") and body:
                try:
                    form = urllib.parse.parse_qs(body.decode("utf-8"))
                    form_client = (form.get("client_id") or [""])[0] or None
                except UnicodeDecodeError:
                    form_client = None
            if form_client:
                client_id, source = form_client, "form"
            elif basic_user:
                client_id, source = basic_user, "basic"
            elif bearer:
                claim = _unverified_claim(bearer, "client_id")
                if claim:
                    client_id, source = claim, "token_claim"

        # Where from: the gateway's view if it shared it, else the connection.
        peer_ip = _state_value(state, "peer_ip", "client_ip")
        thumbprint = _state_value(state, "thumbprint", "x5t_s256", "cert_thumbprint")
        if peer_ip is None or thumbprint is None:
            peer_ip2, thumb2 = self._peer(scope)
            peer_ip = peer_ip or peer_ip2
            thumbprint = thumbprint or thumb2

        search_type = _state_value(state, "search_type")
        if search_type is None:
            search_type = derive_search_type(path, parsed)
        if search_type is not None:
            search_type = str(getattr(search_type, "value", search_type))

        # Response facts.
        reference = error_code = info_code = None
        if resp_body and resp_size <= RESPONSE_PARSE_CAP:
            # the resource's own document when these very bytes are what it rendered
            shared = _state_value(state, "response_json")
            if isinstance(shared, tuple) and len(shared) == 2 and shared[0] == resp_body:
                out = shared[1]
            else:
                try:
                    out = json.loads(resp_body)
                except (ValueError, RecursionError, UnicodeDecodeError):
                    out = None
            if isinstance(out, dict):
                if isinstance(out.get("referenceDemande"), str):
                    reference = out["referenceDemande"]
                err = out.get("erreur")
                if isinstance(err, dict) and err.get("code") is not None:
                    error_code = str(err["code"])
                elif isinstance(out.get("error"), str):  # OAuth error on /token
                    error_code = out["error"]
                info = out.get("messageInformatif")
                if isinstance(info, dict) and info.get("code") is not None:
                    info_code = str(info["code"])
                issued = out.get("access_token")  # /token: which token, never the token itself
                if isinstance(issued, str) and issued:
                    issued_jti = _unverified_claim(issued, "jti")
                    if issued_jti:
                        details["issued_token"] = token_ref(issued_jti)
                    issued_exp = _unverified_int(issued, "exp")
                    if issued_exp is not None:
                        details["token_exp"] = _iso(issued_exp)
        elif resp_body:
            match = _FIELD_RE["reference"].search(resp_body[:65536])
            if match:
                reference = match.group(1).decode("utf-8", errors="replace")
        if reference is None:
            reference = _state_value(state, "reference_demande", "referenceDemande")
        if error_code is None and status >= 400:
            gateway_error = _state_value(state, "gateway_error")
            error_code = str(gateway_error) if gateway_error is not None else None
        if error is not None:
            details["exception"] = type(error).__name__
        # Recette (issue 8): the token used (fingerprint of its jti) and its expiry, the answer's
        # Retry-After, and the recette drill that shaped the answer, if any.
        bearer_jti, bearer_exp = _bearer_claims(bearer) if bearer else (None, None)
        jti = _state_value(state, "token_jti") or bearer_jti
        if jti:
            details["token_ref"] = token_ref(str(jti))
            if bearer_exp is not None:
                details["token_exp"] = bearer_exp
        if resp_headers.get("retry-after"):
            details["retry_after"] = resp_headers["retry-after"][:16]
        drill = _state_value(state, "recette_drill")
        if drill:
            details["drill"] = str(drill)[:64]

        query = scope.get("query_string") or b""
        if query:
            details["query_keys"] = sorted(
                {p.split(b"=")[0].decode("latin-1")[:40] for p in query.split(b"&") if p}
            )
        ua = req_headers.get("user-agent")
        if ua:
            details["user_agent"] = ua[:200]
        details["body_bytes"] = len(body)

        journal.record(
            CallRecord(
                ts=at,
                method=method,
                path=path,
                status=status,
                latency_ms=latency_ms,
                client_id=client_id,
                client_id_source=source,
                thumbprint=str(thumbprint) if thumbprint else None,
                peer_ip=str(peer_ip) if peer_ip else None,
                search_type=search_type,
                motif=motif,
                correlation_id=req_headers.get("x-correlation-id"),
                request_id=resp_headers.get("x-request-id") or req_headers.get("x-request-id"),
                reference_demande=reference,
                error_code=error_code,
                info_code=info_code,
                auth_scheme=auth_scheme,
                justification=justification,
                request_body=body or None,
                content_type=content_type,
                details=details,
            )
        )

    def _peer(self, scope: Scope) -> tuple[str | None, str | None]:
        from ficoba_sandbox.gateway.peer import resolve_peer
        from ficoba_sandbox.gateway.pki import x5t_s256

        app_state = getattr(getattr(scope.get("app"), "state", None), "_state", {}) or {}
        gateway = app_state.get("gateway")
        trusted = tuple(getattr(gateway, "trusted_proxies", ()) or ())
        peer = resolve_peer(scope, trusted)
        thumb = None
        if peer.cert_der:
            try:
                thumb = x5t_s256(peer.cert_der)
            except Exception:
                thumb = None
        return peer.ip, thumb

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.current(scope)
        shutting_down = False
        done = False

        async def receive_wrapper() -> Message:
            nonlocal shutting_down
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                shutting_down = True
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal done
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                done = True
                await self._shutdown()
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            if shutting_down and not done:
                await self._shutdown()

    async def _shutdown(self) -> None:
        if self.close_on_shutdown:
            await asyncio.to_thread(self.journal.close)
        else:
            await asyncio.to_thread(self.journal.flush)


def install_journal(app: Any, journal: Journal, **options: Any) -> Any:
    """Make `JournalMiddleware` the outermost layer of a Starlette/FastAPI `app`.

    Wraps `app.build_middleware_stack`, so it stays outermost even if middlewares are added after
    this call, and wraps `ServerErrorMiddleware` too (500s are journaled as sent). Sets
    `app.state.journal`, which the middleware follows: calling this again, or assigning
    `app.state.journal`, swaps the journal without wrapping twice. Returns the app.
    """
    app.state.journal = journal
    if getattr(app, "_journal_installed", False):
        return app  # already wrapped: the middleware follows `app.state.journal`
    original = app.build_middleware_stack

    def build_middleware_stack() -> Any:
        return JournalMiddleware(original(), journal, **options)

    app.build_middleware_stack = build_middleware_stack
    app.middleware_stack = None
    app._journal_installed = True
    return app
