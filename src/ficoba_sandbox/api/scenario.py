"""The QA hook at the API edge: magic values, `X-Sandbox-Scenario`, per-client faults, feedback.

A pure-ASGI middleware installed *inside* the gateway and the service levels (it needs the
authenticated `request.state.caller`; quota and maintenance apply before it). For a call to a
resource (`/comptes/<resource>` or `/etatSante`, both prefixes) of an authenticated client:

1. **faults** of that client (`app.state.faults`, driven by the admin plane or by Python): added
   latency, then, with the configured probability, the forced error code;
2. the scenario **name**, from `X-Sandbox-Scenario` or from `sandbox-scenario:<name>` in
   `justification`; unknown (or not for this resource) -> 400 in the error format, listing the
   valid names;
3. else a **forced magic value** carried by the body (backend/magic.py triggers);
4. the request is processed for real; only an HTTP 200 answer is replaced by the entry's outcome
   (validation and every other refusal win: a magic value never turns a bad request into a
   success). A data entry named by header answers as if the request's `criteresRecherche` had
   been the entry's.

Every refusal this middleware sees (status >= 400) is kept per client, with its full message, in
`app.state.feedback` for `GET /__sandbox/explain/{client_id}`.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from ficoba_sandbox.api.schemas import CORPS_LU, lire_corps
from ficoba_sandbox.backend import magic
from ficoba_sandbox.domain.clock import SystemClock, horodatage
from ficoba_sandbox.domain.errors import ALL_CODES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SCENARIO_HEADER = magic.HEADER.lower().encode()
#: the error code of an unknown or misplaced scenario name (format error on a request header)
UNKNOWN_SCENARIO_CODE = "CAF002"


# --------------------------------------------------------------------------------------------
# Per-client faults
# --------------------------------------------------------------------------------------------


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
        unknown = set(self.resources) - {*magic.RESOURCES, "etatSante"}
        if unknown:
            raise ValueError(f"unknown resources: {sorted(unknown)}")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["resources"] = list(self.resources)
        out["error_status"] = ALL_CODES[self.error_code].http_status
        return out


class Faults:
    """Per-client fault table (thread-safe). On `app.state.faults`; the admin plane's
    `/__sandbox/faults/{client_id}` and the recette drills (issue 8) drive it.

    >>> faults.set("demo-client", latency_ms=300, error_rate=0.5, error_code="CAT001")
    >>> faults.set("demo-client", error_rate=1.0, error_code="HTTP509", remaining=3)
    >>> faults.clear("demo-client")
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._rng = random.Random(seed)
        #: calls each fault touched (delay or error), per client, since it was set
        self.applied: dict[str, int] = {}

    def set(self, client_id: str, fault: Fault | None = None, **kw: Any) -> Fault:
        f = replace(fault, **kw) if fault is not None else Fault(**kw)
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


# --------------------------------------------------------------------------------------------
# Feedback (last refusals, for explain)
# --------------------------------------------------------------------------------------------


class Feedback:
    """The last refusals seen at the API edge, per client (bounded)."""

    def __init__(self, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._by_client: dict[str, list[dict[str, Any]]] = {}
        self.keep = keep

    def record(self, client_id: str, item: dict[str, Any]) -> None:
        with self._lock:
            items = self._by_client.setdefault(client_id, [])
            items.append(item)
            del items[: -self.keep]

    def last(self, client_id: str) -> dict[str, Any] | None:
        with self._lock:
            items = self._by_client.get(client_id)
            return dict(items[-1]) if items else None

    def find(self, client_id: str, request_id: str | None) -> dict[str, Any] | None:
        with self._lock:
            for item in reversed(self._by_client.get(client_id, [])):
                if request_id and item.get("request_id") == request_id:
                    return dict(item)
        return None


# --------------------------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------------------------


def _json_response(
    status: int, body: dict[str, Any], extra: dict[str, str] | None = None
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
    ]
    for k, v in (extra or {}).items():
        headers.append((k.lower().encode("latin-1"), v.encode("latin-1")))
    return status, headers, raw


class ScenarioMiddleware:
    def __init__(self, app: ASGIApp, owner: Any) -> None:
        self.app = app
        self.owner = owner  # the FastAPI app: its state holds clock, faults, feedback

    # -- helpers ---------------------------------------------------------------------------
    @property
    def state(self) -> Any:
        return self.owner.state

    def now(self) -> Any:
        clock = getattr(self.state, "clock", None) or SystemClock()
        return clock.now()

    def error(
        self, code: str, message: str | None = None, extra: dict[str, str] | None = None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        entry = ALL_CODES[code]
        body = {
            "erreur": {
                "code": code,
                "message": message or entry.message,
                "horodatage": horodatage(self.now()),
            }
        }
        return _json_response(entry.http_status, body, extra)

    async def _send(
        self, send: Send, response: tuple[int, list[tuple[bytes, bytes]], bytes]
    ) -> None:
        status, headers, body = response
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _run(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Run the inner app on `body`; capture its whole response."""
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # pragma: no cover - nobody waits for a disconnect
            return {"type": "http.disconnect"}

        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, headers, b"".join(chunks)

    def _relay(self, scope: Scope, client_id: str, resource: str, send: Send) -> Send:
        """A send that passes an answer below 400 through untouched, and holds a refusal until
        its whole body is there: its feedback is recorded, then it goes out as one start and
        one body message (what `_run` + `_send` did for every answer)."""
        held: list[Any] = []  # [status, headers, chunks] once a refusal started
        passing = False

        async def relay(message: Message) -> None:
            nonlocal passing
            if passing:
                await send(message)
                return
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
                if status < 400:
                    passing = True
                    await send(message)
                    return
                held[:] = [status, list(message.get("headers") or []), []]
            elif kind == "http.response.body" and held:
                held[2].append(message.get("body", b""))
                if not message.get("more_body", False):
                    raw = b"".join(held[2])
                    self._feedback(scope, client_id, resource, held[0], raw)
                    await self._send(send, (held[0], held[1], raw))
            else:  # pragma: no cover - nothing else before the start
                await send(message)

        return relay

    def _feedback(
        self, scope: Scope, client_id: str, resource: str, status: int, raw: bytes, **kw: Any
    ) -> None:
        if status < 400:
            return
        feedback: Feedback | None = getattr(self.state, "feedback", None)
        if feedback is None:
            return
        code = message = None
        try:
            err = json.loads(raw).get("erreur") or {}
            code, message = err.get("code"), err.get("message")
        except (ValueError, AttributeError):
            pass
        st = scope.get("state") or {}
        feedback.record(
            client_id,
            {
                "ts": horodatage(self.now()),
                "method": scope.get("method"),
                "path": scope.get("path"),
                "resource": resource,
                "status": status,
                "code": code,
                "message": message,
                "request_id": st.get("request_id"),
                "correlation_id": st.get("correlation_id"),
                **kw,
            },
        )

    # -- the call --------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        resource = magic.resource_of_path(scope.get("path", ""))
        state = scope.get("state")
        st: dict[str, Any] = state if isinstance(state, dict) else {}
        caller = st.get("caller")
        client_id = getattr(caller, "client_id", None)
        if resource is None or not client_id:
            await self.app(scope, receive, send)
            return

        # 1. faults
        faults: Faults | None = getattr(self.state, "faults", None)
        if faults is not None:
            delay, code = faults.decide(client_id, resource)
            if delay > 0:
                await asyncio.sleep(delay)
            if code is not None:
                resp = self.error(code)
                self._feedback(scope, client_id, resource, resp[0], resp[2], fault=True)
                await self._send(send, resp)
                return

        # 2. read the body, up to the app's own limit: above it, the app answers 413 itself
        settings = getattr(self.state, "settings", None)
        limit = int(getattr(settings, "max_body_bytes", 64 * 1024) or 64 * 1024)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = bool(message.get("more_body", False))
            if size > limit:
                await self.app(scope, _replay(chunks, more, receive), send)
                return
        body = b"".join(chunks)
        parsed: Any = None
        if body.strip():
            try:  # as the resource reads it, which then need not parse it again
                parsed, floats = lire_corps(body)
                st[CORPS_LU] = (body, parsed, floats)
            except (ValueError, RecursionError, UnicodeDecodeError):
                try:  # NaN and the like: the resource refuses them; magic values still apply
                    parsed = json.loads(body)
                except (ValueError, RecursionError, UnicodeDecodeError):
                    parsed = None
            st["request_json"] = (body, parsed)  # the journal need not parse it again

        # 3. which entry
        header = None
        for k, v in scope.get("headers", ()):
            if k == SCENARIO_HEADER:
                header = v.decode("latin-1").strip()
        name = header or magic.named_in_justification(parsed)
        entry: magic.Entry | None = None
        named = False
        if name:
            entry = magic.get(name)
            valid = (
                magic.names_for(resource)
                if resource != "etatSante"
                else sorted(e.name for e in magic.ENTRIES if e.any_resource)
            )
            if entry is None or entry.name not in valid:
                why = "inconnu" if entry is None else "non applicable à cette ressource"
                resp = self.error(
                    UNKNOWN_SCENARIO_CODE,
                    f"Format incorrect : {magic.HEADER} {name!r} {why}. "
                    f"Valeurs possibles : {', '.join(valid)}",
                )
                self._feedback(scope, client_id, resource, resp[0], resp[2], scenario=name)
                await self._send(send, resp)
                return
            named = True
        elif resource != "etatSante":
            entry = magic.by_trigger(resource, parsed)

        if entry is None:
            # the common case: the answer goes out as the app sends it; only a refusal is
            # held back (start and body) until its feedback is recorded, as before
            await self.app(scope, _once(body), self._relay(scope, client_id, resource, send))
            return

        # 4. real processing first; only a 200 is replaced
        resp = await self._run(scope, body)
        if resp[0] != 200:
            self._feedback(scope, client_id, resource, resp[0], resp[2], scenario=entry.name)
            await self._send(send, resp)
            return
        st["sandbox_scenario"] = entry.name
        if entry.kind == "data":
            if named and isinstance(parsed, dict):
                swapped = {**parsed, "criteresRecherche": dict(entry.criteres)}
                resp = await self._run(scope, json.dumps(swapped).encode("utf-8"))
        elif entry.effect == "error":
            if entry.delay_seconds:
                await asyncio.sleep(entry.delay_seconds)
            quota = 200
            levels = getattr(self.state, "service_levels", None)
            if levels is not None:
                try:
                    quota = levels.quota_for(client_id)
                except Exception:  # pragma: no cover - only a header value
                    quota = 200
            # outer layers add X-Correlation-ID, X-Request-ID and the quota fields
            resp = self.error(entry.code or "CAT004", extra=magic.forced_headers(entry, quota))
        else:  # info: a 200 with messageInformatif
            try:
                doc = json.loads(resp[2])
            except ValueError:  # pragma: no cover - the backend always answers JSON
                doc = {}
            code = entry.code or "CAF021"
            doc["messageInformatif"] = {
                "code": code,
                "message": ALL_CODES[code].message,
                "horodatage": horodatage(self.now()),
            }
            doc["nombreReponses"] = "000"
            doc.pop("reponses", None)
            raw = json.dumps(doc, ensure_ascii=False).encode("utf-8")
            hdrs = [(k, v) for k, v in resp[1] if k.lower() != b"content-length"]
            resp = (200, [*hdrs, (b"content-length", str(len(raw)).encode())], raw)
        self._feedback(scope, client_id, resource, resp[0], resp[2], scenario=entry.name)
        await self._send(send, resp)


def _once(body: bytes) -> Receive:
    """A receive that gives `body` once (what `_run` gives the app)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # pragma: no cover - nobody waits for a disconnect
        return {"type": "http.disconnect"}

    return receive


def _replay(chunks: list[bytes], more: bool, receive: Receive) -> Receive:
    """A receive that gives back what was read, then the rest of the original stream."""
    pending = list(chunks)

    async def replay() -> Message:
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending) or more}
        return await receive()

    return replay


def install_scenarios(app: Any, *, seed: int = 0) -> None:
    """Add the QA hook to `app` and create `app.state.faults` / `app.state.feedback`.

    Call it *before* `install_service_levels` and `install_gateway` (Starlette runs the last
    added middleware first), so that it runs after authentication, quota and maintenance.
    """
    if not hasattr(app.state, "faults"):
        app.state.faults = Faults(seed)
    if not hasattr(app.state, "feedback"):
        app.state.feedback = Feedback()
    app.add_middleware(ScenarioMiddleware, owner=app)
