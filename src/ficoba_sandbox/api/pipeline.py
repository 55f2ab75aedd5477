"""The API listener's one way through: every request becomes a `Call` that walks `steps`.

    correlation_ids  400 910000 (CAT005 on the backend prefix)   X-Correlation-ID, one UUID
    bearer_token     401 900902, 401/400 900901                  token valid, bound (RFC 8705)
    ip_allow_list    403 HTTP403                                 the client's networks
    route            404 HTTP404, 405 HTTP405                    a resource of the API
    operation_scope  403 900910                                  the token's operation scope
    quota            429 900804 (503 CAT001: storage down)       calls per minute, per client
    availability     503 CAT001                                  maintenance; the journal writes
    drills           401 900901, 429, 503, 500, a delay          the client's armed recette drills
    faults           any code, a delay                           the client's QA faults
    latency          408 HTTP408                                 emulated latency, request timeout
    body             406, 413, 400 CAT002, CAF001, CAF002        media types, size, JSON, envelope
    magic            400 CAF002                                  a named scenario or a magic value
    search_type      400 CAF018, CAF025                          the selectors of verifIban, multiDet
    rights           403 900910, 400 CAF030, CAF003, CAF031      modality, requester, motif
    resource         CAF024..CAF041, or the answer               rules, search, restitution

A step refuses by raising `FicobaError` (the one error type of every layer, domain/errors.py);
the steps that wait (the quota's storage, a delay) are coroutines, the others plain functions.
The first refusal ends the walk and is written by the one error writer (api/errors.py). The
README's "check, in order" table is this list (tests/api/test_pipeline.py compares them). The
request is read once when the call is made: its headers (the few the steps read), its body (up to
the size cap), its peer (the one resolver, gateway/peer.py); the journal row is built from the
call when it is answered, whatever happened (api/record.py), and the answer leaves once that row
is committed (docs/journal.md, "Nothing answered is lost").

Outside the steps: `/token`, `/revoke`, `/introspect` (the OAuth endpoints, RFC 6749, 7009,
7662: their own error format), the metadata and keys (`/.well-known/oauth-authorization-server`,
`/jwks`, RFC 8414, RFC 7517)
and the documentation (`/openapi.json`, `/docs`), which FastAPI serves. And a connection beyond
`--max-connections` (gateway/connections.py): 503 CAT001, then the connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import orjson

from ficoba_sandbox import docs_ui
from ficoba_sandbox.api import rendering
from ficoba_sandbox.api.call import (
    ACCEPT,
    AUTHORIZATION,
    CONTENT_LENGTH,
    CONTENT_TYPE,
    CORRELATION_ID,
    REQUEST_ID,
    SCENARIO,
    Answer,
    Call,
    RequestHeaders,
)
from ficoba_sandbox.api.errors import data_headers, error_body, error_headers, json_headers
from ficoba_sandbox.api.media import accepts_json, is_json_content
from ficoba_sandbox.api.record import call_record
from ficoba_sandbox.api.rendering import DumpMemo
from ficoba_sandbox.api.resources import BACKEND_PREFIX, HEALTH_RESOURCE, resource_table
from ficoba_sandbox.api.security import SecurityEvents, check_provoked
from ficoba_sandbox.backend.results import Resultat
from ficoba_sandbox.domain.clock import horodatage
from ficoba_sandbox.domain.errors import ALL_CODES, FicobaError
from ficoba_sandbox.gateway.checks import (
    REQUEST_ID_RE,
    authenticate,
    check_correlation_id,
    check_ip,
    check_operation_scope,
    new_request_id,
)
from ficoba_sandbox.gateway.connections import OVER_CAPACITY
from ficoba_sandbox.gateway.oauth import (
    OAuthError,
    TokenResult,
    introspection_endpoint,
    revocation_endpoint,
    token_endpoint,
)
from ficoba_sandbox.gateway.oauth import metadata as oauth_metadata
from ficoba_sandbox.gateway.peer import resolve_peer
from ficoba_sandbox.gateway.quota import QuotaStorageError, throttled
from ficoba_sandbox.journal import CallRecord
from ficoba_sandbox.metrics import OTHER_ROUTE
from ficoba_sandbox.qa import magic
from ficoba_sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: a step: it refuses the call by raising FicobaError; those that wait are coroutines
Step = Callable[[Call], Awaitable[None] | None]

TOKEN_PATH = "/token"
#: the OAuth endpoints beside /token, client-authenticated like it (gateway/oauth.py)
OAUTH_ENDPOINTS = {
    TOKEN_PATH: token_endpoint,
    "/revoke": revocation_endpoint,  # RFC 7009
    "/introspect": introspection_endpoint,  # RFC 7662
}
METADATA_PATH = "/.well-known/oauth-authorization-server"  # RFC 8414 §3
JWKS_PATH = "/jwks"
#: served by FastAPI, without a token (the TLS client certificate is still required)
DOCUMENTATION_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
WELL_KNOWN = "/.well-known/"
#: the documentation pages' JavaScript and CSS (docs_ui), served like the pages
DOCUMENTATION_ASSETS = docs_ui.ASSETS_PATH
#: the paths outside the resource table that are a route of the metrics (metrics.py)
FIXED_ROUTES = frozenset({*OAUTH_ENDPOINTS, METADATA_PATH, JWKS_PATH, *DOCUMENTATION_PATHS})
#: the token endpoint's body cap: a form of four short parameters
MAX_TOKEN_BODY = 8 * 1024
HEALTHY = orjson.dumps({"descriptif": "L'API est opérationnelle"})
#: seconds a client is told to wait while the journal cannot write (it retries on every batch)
JOURNAL_RETRY_AFTER = 5
#: a client that went away before it was answered (nginx's convention)
CLIENT_CLOSED = 499


class Pipeline:
    """The ASGI application of the API listener (docs/architecture.md)."""

    def __init__(self, sandbox: Sandbox, documentation: ASGIApp) -> None:
        self.sandbox = sandbox
        self.documentation = documentation
        self.resources = resource_table()
        self.memo = DumpMemo()
        self.max_body = sandbox.settings.max_body_bytes
        self.security = SecurityEvents(sandbox)
        self.steps: tuple[Step, ...] = (
            self.correlation_ids,
            self.bearer_token,
            self.ip_allow_list,
            self.route,
            self.operation_scope,
            self.quota,
            self.availability,
            self.drills,
            self.faults,
            self.latency,
            self.body,
            self.magic,
            self.search_type,
            self.rights,
            self.resource,
        )

    # -- the ASGI entry -----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        call: Call | None = None
        try:
            extensions = scope.get("extensions")
            if extensions and OVER_CAPACITY in extensions:
                call = self._call(scope, protected=True)
                await self._over_capacity(call, send)
                return
            if path in (METADATA_PATH, JWKS_PATH):
                call = self._call(scope, protected=False)
                self._published(call)
                await self._send(call, send)
                return
            if (
                path in DOCUMENTATION_PATHS
                or path.startswith(WELL_KNOWN)
                or path.startswith(DOCUMENTATION_ASSETS)
            ):
                call = self._call(scope, protected=False)
                await self._documentation(call, scope, receive, send)
                return
            token = path in OAUTH_ENDPOINTS
            call = self._call(scope, protected=not token)
            await self._read_body(call, receive, MAX_TOKEN_BODY if token else self.max_body)
            if call.disconnected:
                return
            try:
                if token:
                    await self._token(call)
                else:
                    await self._walk(call)
            except Exception as exc:  # a crash: never a stack trace, never a bare 500
                call.crash = exc
                log.exception("unexpected error on %s %s", call.method, call.path)
                call.answer = self._refusal(FicobaError("CAT004"), call.at)
            await self._send(call, send)
        except Exception as exc:
            await self._crashed(scope, call, exc, send)
        finally:
            if call is not None:
                self._after(call)

    async def _over_capacity(self, call: Call, send: Send) -> None:
        """A connection beyond `max_connections` (gateway/connections.py): 503 CAT001, and the
        connection closes after it (RFC 9112 §9.6)."""
        refusal = FicobaError("CAT001", headers={"Retry-After": "1", "Connection": "close"})
        call.refusal, call.refused_by = refusal, "connections"
        call.answer = self._refusal(refusal, call.at)
        await self._send(call, send)

    async def _crashed(self, scope: Scope, call: Call | None, exc: Exception, send: Send) -> None:
        """A crash outside the steps (reading the request, FastAPI's documentation, writing the
        answer). An exception that reaches uvicorn makes it close the connection, after an answer
        that did not say `Connection: close` (RFC 9112 §9.6: the client's next request on it is
        lost). So: not answered yet, the error writer's 500 CAT004, and the connection stays
        usable; answered whole (Starlette's error middleware answers, then raises again), the
        connection stays usable too; cut in the middle of a body, uvicorn closes it, the only
        honest end of a message whose length was announced."""
        log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
        if call is None:
            call = self._call(scope, protected=False)
        call.crash = exc
        if call.status is None:
            call.answer = self._refusal(FicobaError("CAT004"), call.at)
            await self._send(call, send)
        elif call.finished is None:
            raise exc

    def _call(self, scope: Scope, *, protected: bool) -> Call:
        sandbox = self.sandbox
        raw = scope["headers"]
        headers = RequestHeaders(raw)
        path = scope["path"]
        at = sandbox.clock.now()
        gateway = sandbox.gateway
        call = Call(
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b""),
            raw_headers=raw,
            headers=headers,
            peer=resolve_peer(scope, gateway.trusted_proxies, gateway.forwarded_certs, at),
            at=at,
            received=datetime.now(UTC),
            started=time.perf_counter(),
            resource=self.resources.get(path) if protected else None,
        )
        if protected or path in OAUTH_ENDPOINTS:
            given = headers.first(REQUEST_ID)
            call.request_id = (
                given if given is not None and REQUEST_ID_RE.fullmatch(given) else new_request_id()
            )
        return call

    async def _read_body(self, call: Call, receive: Receive, cap: int) -> None:
        """The body, once, up to `cap` bytes and one chunk more (what is beyond is not read: the
        `body` step answers 413). A declared length above the cap is not read at all."""
        declared = call.headers.first(CONTENT_LENGTH)
        if declared is not None and declared.isdigit() and int(declared) > cap:
            call.body_truncated = True
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                call.disconnected = True
                break
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
            if not message.get("more_body", False):
                break
            if size > cap:
                call.body_truncated = True
                break
        call.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _walk(self, call: Call) -> None:
        for step in self.steps:
            try:
                waiting = step(call)
                if waiting is not None:  # a step that waits: a coroutine
                    await waiting
            except FicobaError as refusal:
                call.refusal = refusal
                call.refused_by = step.__name__
                call.answer = self._refusal(refusal, call.at)
                return

    def _refusal(self, error: FicobaError, at: datetime) -> Answer:
        """The error answer, dated by the call's one instant."""
        body = error_body(error, at)
        return Answer(
            error.http_status,
            body,
            error_headers(error, body),
            error_code=error.code,
            error_message=error.message,
        )

    async def _send(self, call: Call, send: Send) -> None:
        answer = call.answer
        assert answer is not None
        headers = [*answer.headers, (b"x-request-id", call.request_id.encode())]
        if call.correlation_id is not None:
            headers.append((b"x-correlation-id", call.correlation_id.encode()))
        if call.quota is not None:
            present = {name for name, _ in headers}
            for name, value in call.quota.headers():
                key = name.lower().encode()
                if key not in present:
                    headers.append((key, value.encode()))
        body = b"" if call.method == "HEAD" else answer.body
        call.status = answer.status
        await self._journal(call)
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _journal(self, call: Call) -> None:
        """The call's row, committed before its answer leaves: a server killed at any moment
        loses no answered call from the journal (docs/journal.md). The writer commits the rows
        of the calls waiting together in one transaction (a group commit)."""
        call.finished = time.perf_counter()  # the answer is ready: what `latency_ms` measures
        call.journaled = True
        try:
            record = call_record(call, call.status or CLIENT_CLOSED, self.sandbox.console_key)
            self._count(call, record)
            waiter = self.sandbox.journal.commit(record)
        except Exception:  # the journal must never break an answer
            log.exception("journal: could not build the record")
            return
        # False: the journal cannot write now; the row stays queued and is retried, and the
        # `availability` step refuses data calls meanwhile
        await waiter

    def _after(self, call: Call) -> None:
        """The journal row of a call not answered (the client went away), for a refused
        resource call of a known client its feedback, and the call's security events."""
        status = call.status if call.status is not None else CLIENT_CLOSED
        if not call.journaled:
            try:
                record = call_record(call, status, self.sandbox.console_key)
                self._count(call, record)
                self.sandbox.journal.record(record)
            except Exception:  # the journal must never break an answer
                log.exception("journal: could not build the record")
        try:
            self._feedback(call, status)
        except Exception:  # nor the feedback (the answer has left: see _crashed)
            log.exception("feedback: could not record the refusal")
        try:
            if call.path in OAUTH_ENDPOINTS:
                error = call.answer.error_code if call.answer is not None else None
                self.security.client_authentication(call, error)
            elif call.refused_by is not None or call.auth is not None:
                self.security.observe(call)
        except Exception:  # nor the security events (api/security.py)
            log.exception("security events: could not derive the events of a call")

    def _count(self, call: Call, record: CallRecord) -> None:
        """The call in the metrics (metrics.py), from its journal row: counted once, here."""
        metrics = self.sandbox.metrics
        if not metrics.enabled:
            return
        path = call.path
        if call.resource is not None or path in FIXED_ROUTES:
            route = path  # a path of the table: the route itself, no identifier in it
        elif path.startswith(DOCUMENTATION_ASSETS):
            route = DOCUMENTATION_ASSETS
        else:
            route = OTHER_ROUTE
        metrics.observe(
            route,
            record.status,
            record.error_code,
            record.client_id,
            record.client_id_source == "gateway",
            record.latency_ms / 1000,
        )

    def _feedback(self, call: Call, status: int) -> None:
        sandbox = self.sandbox
        answer = call.answer
        if status >= 400 and answer is not None and call.auth is not None and call.resource:
            sandbox.feedback.record(
                call.auth.record.client_id,
                {
                    "ts": horodatage(call.at),
                    "method": call.method,
                    "path": call.path,
                    "resource": call.resource.name,
                    "status": status,
                    "code": answer.error_code,
                    "message": answer.error_message,
                    "request_id": call.request_id,
                    "correlation_id": call.correlation_id,
                    "refused_by": call.refused_by,
                    **({"scenario": call.scenario_name} if call.scenario_name else {}),
                    **({"fault": True} if call.refused_by == "faults" else {}),
                },
            )

    # -- outside the steps ---------------------------------------------------------------------

    async def _token(self, call: Call) -> None:
        """`POST /token` (gateway/oauth.py): RFC 6749's own JSON and error format. A secret is
        hashed in a worker thread (gateway/client_auth.py): the call waits, the loop does not."""
        if call.body_truncated:
            result: TokenResult = OAuthError("invalid_request", "Request body too large").result()
        else:
            result = await OAUTH_ENDPOINTS[call.path](
                self.sandbox.gateway,
                method=call.method,
                query_string=call.query,
                headers=call.raw_headers,
                body=call.body,
                peer=call.peer,
            )
        # the ids echoed as on every answer of the API; a correlation id is optional here (no
        # 910000 on /token), echoed when it is one the resources would accept
        with contextlib.suppress(FicobaError):
            values = call.headers.all(CORRELATION_ID)
            call.correlation_id = check_correlation_id(
                values[0] if len(values) == 1 else None, backend_path=False
            )
        call.token_facts = result.body
        body = orjson.dumps(result.body)
        headers = json_headers(body)
        headers += [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()
        ]
        error = result.body.get("error")
        call.answer = Answer(
            result.status, body, headers, error_code=error if isinstance(error, str) else None
        )

    def _published(self, call: Call) -> None:
        """The authorization server's metadata (RFC 8414) and its token-signing key (RFC 7517),
        public as the OpenAPI document is. The endpoints are named at the origin the client
        reached (its `Host`)."""
        if call.method not in ("GET", "HEAD"):
            body = orjson.dumps({"error": "invalid_request"})
            call.answer = Answer(405, body, [*json_headers(body), (b"allow", b"GET")])
            return
        if call.path == JWKS_PATH:
            document = self.sandbox.gateway.tokens.jwks()
        else:
            host = next((v for k, v in call.raw_headers if k.lower() == b"host"), b"")
            origin = "https://" + (host.decode("latin-1") or "localhost")
            document = oauth_metadata(origin)
        body = orjson.dumps(document)
        call.answer = Answer(200, body, json_headers(body))

    async def _documentation(self, call: Call, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's OpenAPI document and Swagger UI; journaled like every call, and held until
        its row is committed like every answer. Nothing leaves before the last message: a crash
        before it is answered by `_crashed` (status still unknown)."""
        held: list[Message] = []

        async def capture(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                call.status = int(held[0]["status"])
                await self._journal(call)
                for each in held:
                    await send(each)
                held.clear()

        await self.documentation(scope, receive, capture)

    # -- the steps -----------------------------------------------------------------------------

    def correlation_ids(self, call: Call) -> None:
        """`X-Correlation-ID` present once and a UUID (CONTRACT §2.1, §6.4). From the 2025-10
        contract on, `/etatSante` may come without one (its parameters are not `required`):
        the answer carries one made up, as the gateway's answers always carry one."""
        values = call.headers.all(CORRELATION_ID)
        if (
            not values
            and not self.sandbox.contract.health_requires_correlation_id
            and call.resource is not None
            and call.resource.name == HEALTH_RESOURCE
        ):
            call.correlation_id = new_request_id()
            return
        call.correlation_id = check_correlation_id(
            values[0] if len(values) == 1 else None,
            backend_path=call.path.lower().startswith(BACKEND_PREFIX.lower()),
        )

    def bearer_token(self, call: Call) -> None:
        """A bearer token, valid, of an active client, bound to this certificate (RFC 6750,
        RFC 8705 §3)."""
        call.auth = authenticate(
            self.sandbox.gateway, call.headers.all(AUTHORIZATION), call.query, call.peer
        )

    def ip_allow_list(self, call: Call) -> None:
        assert call.auth is not None
        check_ip(call.auth.record, call.peer)

    def route(self, call: Call) -> None:
        """A resource of the API, with its method (HEAD as GET). Checked after authentication:
        what the API serves is no business of an anonymous caller."""
        resource = call.resource
        if resource is None:
            raise FicobaError("HTTP404")
        method = "GET" if call.method == "HEAD" else call.method
        if method != resource.method:
            raise FicobaError("HTTP405", headers={"Allow": resource.method})

    def operation_scope(self, call: Call) -> None:
        """The gateway's operation scope of the resource, in the token (OpenAPI 2026-01). The
        versions before it have no operation scopes: their clients never ask for one, and the
        modality rights (step `rights`) still decide (docs/contract-versions.md)."""
        assert call.auth is not None and call.resource is not None
        if not self.sandbox.contract.operation_scopes:
            return
        check_operation_scope(call.auth, call.resource.name)

    async def quota(self, call: Call) -> None:
        """Calls per minute of the client (docs/quota.md); the answer carries the RateLimit
        fields whatever happens next."""
        assert call.auth is not None
        record = call.auth.record
        levels = self.sandbox.levels
        try:
            decision = await levels.quota.hit(record.client_id, levels.limit_of(record))
        except QuotaStorageError:
            # fail closed; logged by the quota once when its storage goes, once when it is back
            raise FicobaError("CAT001") from None
        call.quota = decision
        if not decision.allowed:
            raise throttled(decision.quota, decision.retry_after)

    def availability(self, call: Call) -> None:
        """Maintenance (the daily window, with the seconds to its end, or forced by the admin),
        and the journal: a call it cannot record is not served (fail closed, docs/journal.md)."""
        hours = self.sandbox.levels.service_hours
        if not hours.available(call.at):  # the call's one instant
            retry = hours.retry_after(call.at)
            raise FicobaError("CAT001", headers={"Retry-After": str(retry)} if retry else None)
        if not self.sandbox.journal.healthy:
            raise FicobaError("CAT001", headers={"Retry-After": str(JOURNAL_RETRY_AFTER)})

    async def drills(self, call: Call) -> None:
        """The recette drills armed for the client (qa/drills.py), on its searches."""
        assert call.auth is not None and call.resource is not None
        if call.resource.read is None:
            return
        record = call.auth.record
        quota = self.sandbox.levels.limit_of(record)
        effect = self.sandbox.drills.effect(record.client_id, call.auth.claims.jti, quota)
        if effect is None:
            return
        call.drill = effect.name
        if effect.delay:
            await asyncio.sleep(effect.delay)
        if effect.error is not None:
            raise effect.error

    async def faults(self, call: Call) -> None:
        """The client's QA faults (qa/faults.py): a delay, then maybe a forced code."""
        assert call.auth is not None and call.resource is not None
        delay, code = self.sandbox.faults.decide(call.auth.record.client_id, call.resource.name)
        if delay > 0:
            call.fault = True
            await asyncio.sleep(delay)
        if code is not None:
            call.fault = True
            raise FicobaError(code)

    async def latency(self, call: Call) -> None:
        """Emulated latency, never blocking the loop; above `--request-timeout`, the call waits
        the timeout and is answered 408 (docs/quota.md)."""
        levels = self.sandbox.levels
        if not levels.latency.enabled:
            return
        assert call.resource is not None
        delay = levels.latency.delay_for(call.resource.name)
        timeout = levels.request_timeout
        if timeout is not None and delay > timeout:
            await asyncio.sleep(timeout)
            raise FicobaError("HTTP408")
        if delay > 0:
            await asyncio.sleep(delay)

    def body(self, call: Call) -> None:
        """JSON in and out (protocol §1.4-1.5), the size cap, the JSON itself, the envelope."""
        resource = call.resource
        assert resource is not None
        if resource.read is None:
            return
        headers = call.headers
        if not accepts_json(headers.first(ACCEPT)) or not is_json_content(
            headers.first(CONTENT_TYPE)
        ):
            raise FicobaError("HTTP406")
        declared = headers.first(CONTENT_LENGTH)
        if declared is not None and not declared.isdigit():
            raise FicobaError("CAT002")
        if call.body_truncated or len(call.body) > self.max_body:
            raise FicobaError("HTTP413")
        if call.json_error or call.json() is None:
            raise FicobaError("CAT002")
        call.demande = resource.read(call.json())

    def magic(self, call: Call) -> None:
        """`X-Sandbox-Scenario`, `sandbox-scenario:<name>` in the justification, or a reserved
        value (qa/magic.py): the entry applies to the answer of `resource` if it is a 200."""
        resource = call.resource
        assert resource is not None
        check_provoked(call)
        name = (call.headers.first(SCENARIO) or "").strip() or magic.named_in_justification(
            call.json()
        )
        if name:
            call.scenario_name = name
            entry = magic.get(name)
            valid = magic.names_for(resource.name)
            if entry is None or entry.name not in valid:
                why = "inconnu" if entry is None else "non applicable à cette ressource"
                raise FicobaError(
                    "CAF002",
                    message=f"Format incorrect : {magic.HEADER} {name!r} {why}. "
                    f"Valeurs possibles : {', '.join(valid)}",
                )
            call.scenario = entry
        elif resource.read is not None:
            call.scenario = magic.by_trigger(resource.name, call.json())

    def search_type(self, call: Call) -> None:
        if call.demande is not None:
            call.search_type = self.sandbox.backend.search_type(call.demande)

    def rights(self, call: Call) -> None:
        if call.demande is not None:
            assert call.auth is not None and call.search_type is not None
            self.sandbox.backend.check_rights(call.auth.caller, call.demande, call.search_type)

    async def resource(self, call: Call) -> None:
        """The backend's rules, search and restitution (backend/searches.py,
        backend/restitution.py), rendered; then the magic entry, if any, shapes the 200."""
        if call.demande is None:  # the health check
            call.answer = Answer(200, HEALTHY, data_headers(HEALTHY))
        else:
            call.answer = self._search(call, call.json())
        if call.scenario is not None:
            await self._apply_scenario(call)
        answer = call.answer
        if self.sandbox.contract.renamed_fields and answer is not None and answer.status == 200:
            # an older contract's field names (2024-11): the answer re-read and renamed, on
            # that version only (docs/contract-versions.md)
            body = orjson.dumps(self.sandbox.contract.rename(orjson.loads(answer.body)))
            call.answer = dataclasses.replace(answer, body=body, headers=data_headers(body))

    # -- the resource's work -------------------------------------------------------------------

    def _search(self, call: Call, document: dict[str, Any]) -> Answer:
        assert call.auth is not None and call.resource is not None and call.demande is not None
        assert call.search_type is not None and call.resource.model is not None
        result: Resultat = self.sandbox.backend.run(
            call.auth.caller, call.demande, call.search_type, call.at
        )
        _, body = rendering.render(call.resource.model, result, document, self.memo, call.floats)
        info = result.message_informatif
        return Answer(
            200,
            body,
            data_headers(body),
            reference=result.reference_demande,
            info_code=info.code if info is not None else None,
        )

    async def _apply_scenario(self, call: Call) -> None:
        """A forced entry replaces the 200 (an error after its delay, or a "no result" code); a
        data entry named by the caller answers as if the request's `criteresRecherche` had been
        the entry's (the echo shows them), through every check again."""
        entry = call.scenario
        assert entry is not None and call.answer is not None and call.auth is not None
        if entry.kind == "data":
            document = call.json()
            if call.scenario_name is not None and isinstance(document, dict):
                swapped = {**document, "criteresRecherche": dict(entry.criteres)}
                assert call.resource is not None and call.resource.read is not None
                call.demande = call.resource.read(swapped)
                self.search_type(call)
                self.rights(call)
                call.answer = self._search(call, swapped)
        elif entry.effect == "error":
            if entry.delay_seconds:
                await asyncio.sleep(entry.delay_seconds)
            raise magic.forced_error(entry, self.sandbox.levels.limit_of(call.auth.record))
        else:  # a "no result" code in messageInformatif, nothing restituted
            code = entry.code or "CAF021"
            document = orjson.loads(call.answer.body)
            document["messageInformatif"] = {
                "code": code,
                "message": ALL_CODES[code].message,
                "horodatage": horodatage(call.at),
            }
            document["nombreReponses"] = "000"
            document.pop("reponses", None)
            body = rendering.encode(document)
            call.answer = Answer(
                200, body, data_headers(body), reference=call.answer.reference, info_code=code
            )
