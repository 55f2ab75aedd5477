"""The gateway checks on every API call, in the order of CONTRACT §6.4 (docs/architecture.md).

1. `X-Correlation-ID` present and a UUID, else 400 `910000` (gateway path) or `CAT005`
   (backend path `/fcb-masrestit/api/v2`);
2. bearer token: none → 401 `900902` (`WWW-Authenticate: Bearer realm=...`, no error attribute,
   RFC 6750 §3); a malformed `Authorization` (empty or several tokens) or `access_token` in the
   query → 400 `900901` with `error="invalid_request"` (RFC 6750 §2.3, §3.1); invalid, expired,
   tampered, revoked client → 401 `900901` `error="invalid_token"`;
3. certificate binding: the token's `cnf.x5t#S256` must match the connection's certificate and the
   client's registered one → else 401 `900901` `error="invalid_token"` (RFC 8705 §3);
4. caller IP in the client's allow-list → else 403 `HTTP403`;
5. (once the resource is known) the operation scope of the resource (OpenAPI 2026-01 gateway
   view) among the token's, still held by the client → else 403 `900910` with
   `WWW-Authenticate: Bearer ..., error="insufficient_scope", scope="<the scope>"` (RFC 6750
   §3.1: a token asked with that scope would do).

The modality right (900910) and the requester/motif checks are the backend's: it needs the parsed
body to know the search type. It receives a `domain.access.Caller`.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ficoba_sandbox.domain.access import OPERATION_SCOPE_OF, Caller
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.identifiers import UUID_RE
from ficoba_sandbox.gateway.peer import Peer
from ficoba_sandbox.gateway.pki import x5t_s256
from ficoba_sandbox.gateway.registry import ClientRecord
from ficoba_sandbox.gateway.state import REALM, Gateway
from ficoba_sandbox.gateway.tokens import InvalidToken, TokenClaims, thumbprints_match

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
B64TOKEN_RE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")  # RFC 6750 §2.1 b64token


def new_request_id() -> str:
    """A random (version 4) UUID as text, for `X-Request-ID` when the client sent none.

    From `random.getrandbits` rather than `uuid.uuid4()` (os.urandom, a system call): a request
    id only tells calls apart, it guards nothing; this is 3x cheaper on every call."""
    n = random.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, slots=True)
class Authenticated:
    caller: Caller
    record: ClientRecord
    claims: TokenClaims
    thumbprint: str | None = None  # x5t#S256 of the certificate presented on the connection


@functools.lru_cache(maxsize=256)
def thumbprint_of(der: bytes) -> str:
    """`x5t_s256` of a DER certificate (a pure function: a client presents the same one on
    every call of a connection)."""
    return x5t_s256(der)


def _challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{description}"'
    return {"WWW-Authenticate": value}


def invalid_token(description: str) -> FicobaError:
    return FicobaError("900901", headers=_challenge("invalid_token", description))


def check_correlation_id(value: str | None, *, backend_path: bool) -> str:
    if value is None or not UUID_RE.fullmatch(value):
        raise FicobaError("CAT005" if backend_path else "910000")
    return value


def bearer_token(authorization: list[str], query_string: bytes) -> str:
    if query_string and any(
        name == "access_token"
        for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    ):
        raise FicobaError(
            "900901",
            http_status=400,
            headers=_challenge("invalid_request", "access_token in the URL query is not accepted"),
        )
    if not authorization:
        raise FicobaError("900902", headers=_challenge())
    if len(authorization) > 1:
        raise FicobaError(
            "900901",
            http_status=400,
            headers=_challenge("invalid_request", "several Authorization headers"),
        )
    scheme, _, rest = authorization[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        # Another scheme (Basic ...): no bearer credentials were presented.
        raise FicobaError("900902", headers=_challenge())
    token = rest.strip()
    if not token or not B64TOKEN_RE.fullmatch(token):
        raise FicobaError(
            "900901",
            http_status=400,
            headers=_challenge("invalid_request", "malformed Bearer credentials"),
        )
    return token


def authenticate(
    gw: Gateway, authorization: list[str], query_string: bytes, peer: Peer
) -> Authenticated:
    """Steps 2-3 above: the bearer token, valid and bound to the connection's certificate.
    `authorization`: every `Authorization` header of the request."""
    token = bearer_token(authorization, query_string)
    try:
        claims = gw.tokens.verify(token)
    except InvalidToken as exc:
        raise invalid_token(str(exc)) from None
    if gw.revocations.is_revoked(claims.jti):
        raise invalid_token("token revoked")
    if peer.cert_refused is not None:
        # A certificate forwarded by a trusted proxy that does not chain to a trusted CA at the
        # sandbox's clock: the token cannot be bound to it (RFC 8705 §3, gateway/trust.py).
        raise invalid_token(peer.cert_refused)
    presented = thumbprint_of(peer.cert_der) if peer.cert_der else None
    # The registry as read a moment ago will do to let a call in (domain/watch.py); before
    # refusing one, the file as it is now (a client re-enrolled with a new certificate a
    # moment ago is not refused).
    record = gw.registry.active(claims.client_id, recent=True)
    if record is None or not _bound(claims, presented, record):
        record = gw.registry.active(claims.client_id)
    if record is None:
        raise invalid_token("client unknown or revoked")
    if not _bound(claims, presented, record):
        raise invalid_token("token bound to another certificate")
    return Authenticated(record.caller(claims.scopes), record, claims, presented)


def _bound(claims: TokenClaims, presented: str | None, record: ClientRecord) -> bool:
    """The token is bound to the certificate presented, and it is the client's (RFC 8705 §3)."""
    return thumbprints_match(claims.x5t_s256, presented) and thumbprints_match(
        claims.x5t_s256, record.cert_x5t_s256
    )


def check_ip(record: ClientRecord, peer: Peer) -> None:
    """Step 4: the caller's IP in the client's allow-list, else 403 `HTTP403`."""
    if not record.ip_allowed(peer.ip):
        raise FicobaError("HTTP403")


def check_operation_scope(auth: Authenticated, resource: str) -> None:
    """Step 5: the token carries the operation scope of `resource` (`numCpte`, ...), and the
    client still holds it, else 403 `900910` naming the scope needed. `etatSante` needs none."""
    needed = OPERATION_SCOPE_OF.get(resource)
    if needed is None or needed in auth.record.operation_scopes_of(auth.claims.scopes):
        return
    raise FicobaError(
        "900910",
        headers={
            "WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", '
            f'scope="{needed}"'
        },
    )
