"""One API call, as the pipeline knows it: what the request said (read once), what each step
established, how it ended. Every step reads and writes this object; nothing travels in the ASGI
scope (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ficoba_sandbox.backend.demandes import Demande
from ficoba_sandbox.domain.access import Caller, SearchType
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.jsondoc import read_json
from ficoba_sandbox.gateway.checks import Authenticated, thumbprint_of
from ficoba_sandbox.gateway.peer import Peer
from ficoba_sandbox.gateway.quota import QuotaDecision
from ficoba_sandbox.qa.magic import Entry

#: the request headers any step reads; only these are decoded (docs/architecture.md)
AUTHORIZATION = b"authorization"
CORRELATION_ID = b"x-correlation-id"
REQUEST_ID = b"x-request-id"
CONTENT_TYPE = b"content-type"
CONTENT_LENGTH = b"content-length"
ACCEPT = b"accept"
USER_AGENT = b"user-agent"
SCENARIO = b"x-sandbox-scenario"
#: a security event to emit for this call, on demand (api/security.py, docs/qa.md)
SECURITY_EVENT = b"x-sandbox-security-event"
CLIENT_CERT = b"client-cert"
FORWARDED_FOR = b"x-forwarded-for"
#: optional on every operation since the 2025-10 OpenAPI (and in 2024-11): journalled as a
#: fingerprint, never required, never stored (api/record.py)
JWT_ASSERTION = b"x-jwt-assertion"
#: the QA console's mark on the calls it sends (qa/console_mark.py): journalled, never acted on
CONSOLE_MARK = b"x-sandbox-console"
_READ = frozenset(
    {
        CONSOLE_MARK,
        AUTHORIZATION,
        CORRELATION_ID,
        REQUEST_ID,
        CONTENT_TYPE,
        CONTENT_LENGTH,
        ACCEPT,
        USER_AGENT,
        SCENARIO,
        SECURITY_EVENT,
        CLIENT_CERT,
        FORWARDED_FOR,
        JWT_ASSERTION,
    }
)


class RequestHeaders:
    """The headers the steps read, every occurrence kept in order (a check that refuses a
    repeated `Authorization` or `X-Correlation-ID` must see it), decoded as latin-1."""

    __slots__ = ("_values",)

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        values: dict[bytes, list[str]] = {}
        for name, value in raw:
            # ASGI servers send lower-case names; anything else is lower-cased here
            if name in _READ or (name := name.lower()) in _READ:
                values.setdefault(name, []).append(value.decode("latin-1"))
        self._values = values

    def all(self, name: bytes) -> list[str]:
        return self._values.get(name, [])

    def first(self, name: bytes) -> str | None:
        found = self._values.get(name)
        return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource of the API (`numCpte`, ..., `etatSante`), under one prefix."""

    name: str
    method: str
    #: POST resources: the body's reader (CAF001/CAF002), and the answer's wire model
    read: Callable[[Any], Demande] | None = None
    model: type[BaseModel] | None = None
    #: the backend prefix answers CAT005 where the gateway answers 910000 (CONTRACT §6.4)
    backend_prefix: bool = False


@dataclass(slots=True)
class Answer:
    """What goes back: status, body, the answer's own headers (the pipeline adds the call's ids and
    the quota fields), and what the journal reads of it."""

    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]
    reference: str | None = None
    info_code: str | None = None
    error_code: str | None = None
    #: set when a refusal: its message (for `explain`)
    error_message: str | None = None


_UNREAD: Any = object()


@dataclass(slots=True, eq=False)
class Call:
    method: str
    path: str
    query: bytes
    raw_headers: list[tuple[bytes, bytes]]
    headers: RequestHeaders
    peer: Peer
    #: the sandbox clock's time at arrival (the call's one instant: `horodatage`, `dateDemande`,
    #: tokens, quota), the wall-clock time at arrival (the journal's `ts`: docs/journal.md, "Time")
    #: and the monotonic start
    at: datetime
    received: datetime
    started: float
    #: the resource the path names (None: a path the API does not serve)
    resource: Resource | None = None
    #: the request body, read once, up to the cap plus one byte
    body: bytes = b""
    #: more than the cap was sent (the rest was not read)
    body_truncated: bool = False
    #: the client went away before the end of its body
    disconnected: bool = False

    # -- what the steps established ------------------------------------------------------------
    correlation_id: str | None = None
    request_id: str = ""
    auth: Authenticated | None = None
    quota: QuotaDecision | None = None
    drill: str | None = None
    fault: bool = False
    #: the magic entry that shapes the answer: named by the caller (then `scenario_name` is
    #: its name) or triggered by a reserved value of the body
    scenario: Entry | None = None
    scenario_name: str | None = None
    demande: Demande | None = None
    search_type: SearchType | None = None

    # -- how it ended ---------------------------------------------------------------------------
    answer: Answer | None = None
    refusal: FicobaError | None = None
    #: the step that refused the call (its name in the pipeline's list)
    refused_by: str | None = None
    #: the status sent (None: nothing was sent, the client went away first)
    status: int | None = None
    crash: BaseException | None = None
    #: monotonic time the answer was ready to send (its row then committed, then it is sent)
    finished: float | None = None
    #: its row handed to the journal with its answer (else `_after` records it)
    journaled: bool = False
    #: facts of the token endpoint's answer (who asked, which token was issued)
    token_facts: dict[str, Any] = field(default_factory=dict)

    _json: Any = _UNREAD
    _floats: bool = False
    _json_error: bool = False
    _thumbprint: str | None = None

    @property
    def caller(self) -> Caller | None:
        return self.auth.caller if self.auth is not None else None

    @property
    def client_id(self) -> str | None:
        return self.auth.record.client_id if self.auth is not None else None

    @property
    def thumbprint(self) -> str | None:
        """x5t#S256 of the certificate the client presented (computed once)."""
        if self._thumbprint is None and self.peer.cert_der is not None:
            self._thumbprint = thumbprint_of(self.peer.cert_der)
        return self._thumbprint

    def json(self) -> Any:
        """The body's JSON, parsed once (None when it is not JSON; see `json_error`)."""
        if self._json is _UNREAD:
            self._json = None
            if self.body.strip():
                try:
                    self._json, self._floats = read_json(self.body)
                except (ValueError, RecursionError, UnicodeDecodeError):
                    self._json_error = True
        return self._json

    @property
    def json_error(self) -> bool:
        """The body is not JSON the resources accept (syntax, encoding, NaN...): CAT002."""
        self.json()
        return self._json_error

    @property
    def floats(self) -> bool:
        """The body held a number with a fraction or an exponent: the echo must then be encoded
        by Python's json, which spells floats its way (api/rendering.py)."""
        self.json()
        return self._floats
