"""The journal row of a call, built from the `Call` once it is answered (docs/journal.md).

One place for every call the API listener receives: resources, the token endpoint, refusals of
the gateway and of the backend, crashes, the documentation. What the row says:

- who: the authenticated client (`client_id_source` "gateway"); else, for a call refused before
  authentication, what it claimed: the form's `client_id`, the HTTP Basic user name, or the
  `client_id` claim of its bearer token, read *without* verification (only to attribute the call);
- where from: the peer's IP and certificate thumbprint (the pipeline's one resolver);
- what: method, path, search type, motif, whether a justification was given (never its text, which
  the journal masks with the rest of the body), correlation and request ids;
- the answer: status, `referenceDemande`, `erreur.code` (or the OAuth `error` on /token),
  `messageInformatif.code`, latency until the answer is ready to send;
- rights: the scopes of the token the gateway verified (on /token, of the token issued), and the
  DataPass modality the request's search type requires (what 900910 checks), whatever the answer;
- details: a fingerprint of the token used and its expiry, the token issued (on /token), the
  pipeline step that refused the call, the drill, fault or scenario that shaped the answer,
  `Retry-After`, the query's keys, the User-Agent, the body's size, and the sandbox clock's
  instant (`sandbox_time`) when it is not the wall clock's.

Time: `ts` is the wall-clock time of arrival, whatever the admin plane or a pack did to the
sandbox clock, so rows stay in arrival order and a report's window means what the tester lived
(docs/journal.md, "Time").

Secrets never reach the row: the Authorization header keeps only its scheme, a token only a
fingerprint of its id; the journal's writer masks the body (journal/masking).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from ficoba_sandbox.api.call import (
    AUTHORIZATION,
    CONSOLE_MARK,
    CONTENT_TYPE,
    CORRELATION_ID,
    JWT_ASSERTION,
    REQUEST_ID,
    USER_AGENT,
    Call,
)
from ficoba_sandbox.domain.access import MODALITY_OF, OPERATION_SCOPE_OF, search_type_of
from ficoba_sandbox.journal import CallRecord, format_ts
from ficoba_sandbox.qa import console_mark

FORM = "application/x-www-form-urlencoded"
#: below this gap the sandbox clock is the wall clock (its two reads are a few µs apart)
SANDBOX_TIME_TOLERANCE_S = 1.0
_FINGERPRINT = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


@functools.lru_cache(maxsize=1024)
def token_ref(jti: str) -> str:
    """A short, letters-only fingerprint of a token id (never the token): tells reuse apart."""
    return hashlib.sha256(jti.encode("utf-8")).hexdigest()[:12].translate(_FINGERPRINT)


def _unverified_payload(token: str) -> dict[str, Any]:
    """The claims of a JWT, NOT verified: only to attribute and describe a call in the journal."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return payload if isinstance(payload, dict) else {}


@functools.lru_cache(maxsize=1024)
def bearer_facts(token: str) -> tuple[str | None, str | None, str | None]:
    """(`client_id`, `jti`, `exp` as ISO text) of a token, unverified; cached per token (a client
    sends the same one on every call, and this is a pure function of it)."""
    claims = _unverified_payload(token)

    def text(name: str) -> str | None:
        value = claims.get(name)
        return value if isinstance(value, str) and len(value) <= 200 else None

    exp = claims.get("exp")
    expiry = _iso(exp) if isinstance(exp, int) and not isinstance(exp, bool) else None
    return text("client_id"), text("jti"), expiry


@functools.lru_cache(maxsize=1024)
def _iso(epoch: int) -> str:
    """An expiry as ISO text (cached: a client sends the same token on every call)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_authorization(value: str | None) -> tuple[str | None, str | None, str | None]:
    """(scheme kept in the row, Basic user name, bearer token) of an Authorization header."""
    if value is None:
        return None, None, None
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() == "bearer":
        return "Bearer", None, credentials.strip()
    if scheme.lower() != "basic":
        return "other", None, None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return "Basic", None, None
    user, colon, _ = decoded.partition(":")
    if not colon:  # no "id:secret" pair: the whole value may be a secret pasted alone
        return "Basic", None, None
    # RFC 6749 §2.3.1: form-urlencoded before the Basic encoding
    return "Basic", urllib.parse.unquote_plus(user) or None, None


def form_client_id(body: bytes) -> str | None:
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return (form.get("client_id") or [""])[0] or None


def _selectors(criteres: Any) -> tuple[str, str, str] | None:
    """The three selectors of verifIban / multiDet as sent (any spelling of their names)."""
    if not isinstance(criteres, dict):
        return None
    flags = {str(k).lower(): v for k, v in criteres.items()}

    def text(name: str) -> str:
        value = flags.get(name)
        return value if isinstance(value, str) else ""

    return text("recherchepp"), text("recherchepm"), text("recherchesirensiret")


def call_record(call: Call, status: int, console_key: bytes | None = None) -> CallRecord:
    """The journal row of `call`, answered with `status` (499: the client went away);
    `console_key`: the sandbox's, to recognise a call the QA console sent (qa/console_mark.py)."""
    headers = call.headers
    content_type = headers.first(CONTENT_TYPE)
    form = content_type is not None and content_type.split(";")[0].strip().lower() == FORM
    details: dict[str, Any] = {"body_bytes": len(call.body)}

    document = None if form or not call.body else call.json()
    motif = justification = None
    if isinstance(document, dict):
        if document.get("motif") is not None:
            motif = str(document["motif"])
        if "justification" not in document:
            justification = "absent"
        else:
            value = document["justification"]
            justification = "empty" if value is None or not str(value).strip() else "present"

    scheme, basic_user, bearer = parse_authorization(headers.first(AUTHORIZATION))
    auth = call.auth
    client_id: str | None
    if auth is not None:  # who: the gateway's verdict
        client_id, source = auth.record.client_id, "gateway"
        details["token_ref"] = token_ref(auth.claims.jti)
        details["token_exp"] = _iso(auth.claims.expires_at)
    else:  # else what the caller claimed
        claimed, jti, expiry = bearer_facts(bearer) if bearer else (None, None, None)
        if jti:
            details["token_ref"] = token_ref(jti)
            if expiry is not None:
                details["token_exp"] = expiry
        form_client = form_client_id(call.body) if form and call.body else None
        client_id, source = next(
            ((c, s) for c, s in ((form_client, "form"), (basic_user, "basic"),
                                 (claimed, "token_claim")) if c),
            (None, ""),
        )  # fmt: skip

    search_type = call.search_type
    if search_type is None and call.resource is not None and isinstance(document, dict):
        search_type = search_type_of(
            call.resource.name, _selectors(document.get("criteresRecherche"))
        )

    granted = " ".join(auth.claims.scopes) if auth is not None else None
    issued = call.token_facts.get("access_token")
    if isinstance(issued, str):  # /token: which token, never the token itself
        scope = call.token_facts.get("scope")
        granted = scope if isinstance(scope, str) else None
        _, issued_jti, issued_exp = bearer_facts(issued)
        if issued_jti:
            details["issued_token"] = token_ref(issued_jti)
        if issued_exp is not None:
            details["token_exp"] = issued_exp
    answer = call.answer
    if answer is not None and answer.error_code is not None:
        for name, value in answer.headers:
            if name == b"retry-after":
                details["retry_after"] = value.decode("latin-1")[:16]
    if call.refused_by:
        details["refused_by"] = call.refused_by
    if call.drill:
        details["drill"] = call.drill
    if call.fault:
        details["fault"] = True
    if call.scenario is not None:
        details["scenario"] = call.scenario.name
    if call.crash is not None:
        details["exception"] = type(call.crash).__name__
    if call.body_truncated:
        details["body_truncated"] = True
    if call.query:
        details["query_keys"] = sorted(
            {p.split(b"=")[0].decode("latin-1")[:40] for p in call.query.split(b"&") if p}
        )
    assertion = headers.first(JWT_ASSERTION)
    if assertion:  # a credential: its fingerprint only, as the token's (docs/journal.md)
        details["jwt_assertion_ref"] = token_ref(assertion)
    user_agent = headers.first(USER_AGENT)
    if user_agent:
        details["user_agent"] = user_agent[:200]

    if console_key is not None and console_mark.verify(
        console_key, headers.first(CONSOLE_MARK), headers.first(CORRELATION_ID)
    ):
        details["sent_from"] = console_mark.SENT_FROM

    if abs((call.at - call.received).total_seconds()) > SANDBOX_TIME_TOLERANCE_S:
        details["sandbox_time"] = format_ts(call.at)

    end = call.finished if call.finished is not None else call.started
    return CallRecord(
        ts=call.received,
        method=call.method,
        path=call.path,
        status=status,
        latency_ms=(end - call.started) * 1000,
        client_id=client_id,
        client_id_source=source if client_id else None,
        thumbprint=auth.thumbprint if auth is not None else call.thumbprint,
        peer_ip=call.peer.ip,
        search_type=search_type.value if search_type is not None else None,
        motif=motif,
        correlation_id=headers.first(CORRELATION_ID),
        request_id=call.request_id or headers.first(REQUEST_ID),
        reference_demande=answer.reference if answer else None,
        error_code=answer.error_code if answer else None,
        info_code=answer.info_code if answer else None,
        auth_scheme=scheme,
        justification=justification,
        request_body=call.body or None,
        content_type=content_type,
        details=details,
        granted_scopes=granted,
        required_modality=MODALITY_OF[search_type] if search_type is not None else None,
        required_operation_scope=(
            OPERATION_SCOPE_OF.get(call.resource.name) if call.resource is not None else None
        ),
    )
