"""`POST /token`: OAuth 2.0 client credentials (RFC 6749 §4.4) with mutual-TLS client identity.

Framework-free: `token_endpoint(...)` takes the raw request parts and the resolved `Peer`, and
returns status, JSON body and headers; the API's pipeline (`api/pipeline.py`) serves it.

Decisions (documented in the README and tested):
- POST only (other methods: 405 `invalid_request`, `Allow: POST`); any URL query → 400
  `invalid_request` (RFC 6749 §2.3.1, §3.2); `Content-Type` other than
  `application/x-www-form-urlencoded` → 400 `invalid_request`; repeated parameter → 400
  `invalid_request`; empty values count as omitted (§3.2).
- Client authentication: `client_secret_basic`, `client_secret_post` or `tls_client_auth`
  (RFC 8705 §2.1: `client_id` in the body, no secret; through a trusted proxy only with
  `--proxy-tls-client-auth`). More than one method → 400
  `invalid_request`. In every case the TLS client certificate must be the one registered for the
  client (exact `x5t#S256` match), else 401 `invalid_client`. Every 401 carries
  `WWW-Authenticate: Basic realm="ficoba-sandbox"` (RFC 6749 §5.2, RFC 9110 §15.5.2).
- `scope` (optional, space-separated): DataPass data scopes `dgfip_ficoba_*` and/or the
  gateway's operation scopes (`RechercheParSpi`..., OpenAPI 2026-01 gateway view). Every value
  must be one the client is registered for, else 400 `invalid_scope` (RFC 6749 §5.2; no silent
  narrowing). Each vocabulary absent from the request → all the client's scopes of it: a client
  written against the 2025-04 contract, which knew only data scopes, keeps every operation
  (docs/contract-choices.md). The response always carries the granted `scope`.
- No refresh token (§4.4.3). `Cache-Control: no-store`, `Pragma: no-cache` on every answer.
- Client authentication is the server's to afford (gateway/client_auth.py): the secret is
  hashed in a worker thread, never on the event loop; after repeated failures of a `client_id`
  or from a peer, 429 `slow_down` with `Retry-After`, before any secret is hashed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from ficoba_sandbox.domain.access import OPERATION_SCOPES, SCOPES
from ficoba_sandbox.gateway.peer import Peer
from ficoba_sandbox.gateway.pki import x5t_s256
from ficoba_sandbox.gateway.registry import GRANT_CLIENT_CREDENTIALS, ClientRecord
from ficoba_sandbox.gateway.state import REALM, Gateway
from ficoba_sandbox.gateway.tokens import InvalidToken, thumbprints_match

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class TokenResult:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class OAuthError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def result(self) -> TokenResult:
        headers = {**NO_STORE, **self.headers}
        if self.status == 401:
            headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
        return TokenResult(
            self.status, {"error": self.error, "error_description": self.description}, headers
        )


def _invalid_client() -> OAuthError:
    # One answer for unknown id, wrong secret, wrong/missing certificate, revoked client.
    return OAuthError("invalid_client", "Client authentication failed", 401)


def _backed_off(retry_after: int) -> OAuthError:
    """Too many failed authentications of this client id or from this peer (client_auth.py).

    RFC 6749 §5.2 has no code for it. `slow_down` is the OAuth error registered for "ask less
    often" at the token endpoint (RFC 8628 §3.5, IANA OAuth Extensions Error Registry), with 429
    (RFC 6585 §4) and `Retry-After` saying when. Not `invalid_client`: the credentials were not
    even checked, and a legitimate client whose secret is right must not be told it is wrong.
    The same answer for a known or an unknown client id: it tells nothing about which exist."""
    return OAuthError(
        "slow_down",
        f"Too many failed client authentications, retry after {retry_after} seconds",
        429,
        {"Retry-After": str(retry_after)},
    )


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in headers if k.lower() == name]


def _parse_form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "Malformed form-encoded body") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise OAuthError("invalid_request", f"Repeated parameter: {_ascii(name)}")
        params[name] = value
    return {k: v for k, v in params.items() if v != ""}


def _ascii(text: str) -> str:
    """Restrict to the RFC 6749 `error_description` character set."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')[:64]


def _basic_credentials(value: str) -> tuple[str, str]:
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise _invalid_client()
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise _invalid_client() from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _invalid_client()
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def granted_scopes(record: ClientRecord, requested: str | None) -> list[str]:
    """The scopes of the token: data scopes then operation scopes, in their canonical order.

    Per vocabulary: the values asked for, or every one the client holds if the request names
    none of that vocabulary. A value the client does not hold (unknown, or not registered) is
    refused with `invalid_scope` (RFC 6749 §5.2), not left out."""
    held_data = [s for s in SCOPES if s in record.scopes]
    held_operations = [s for s in OPERATION_SCOPES if s in record.operation_scopes]
    if requested is None:
        return held_data + held_operations
    values = requested.split(" ")
    if any(v == "" for v in values) or len(set(values)) != len(values):
        raise OAuthError("invalid_scope", "Malformed scope")
    refused = [v for v in values if v not in held_data and v not in held_operations]
    if refused:
        raise OAuthError("invalid_scope", f"Scope not granted to this client: {_ascii(refused[0])}")
    data = [s for s in held_data if s in values] or held_data
    operations = [s for s in held_operations if s in values] or held_operations
    return data + operations


async def _authenticate_client(
    gw: Gateway, headers: list[tuple[bytes, bytes]], params: dict[str, str], peer: Peer
) -> ClientRecord:
    """The client's authentication, the same at `/token`, `/revoke` and `/introspect`
    (RFC 7009 §2.1, RFC 7662 §2.1): secret or certificate, the certificate registered, the
    back-off after repeated failures."""
    authorization = _header(headers, b"authorization")
    if len(authorization) > 1:
        raise OAuthError("invalid_request", "Repeated Authorization header")
    if authorization and "client_secret" in params:
        raise OAuthError("invalid_request", "More than one client authentication method")
    secret: str | None
    if authorization:
        client_id, secret = _basic_credentials(authorization[0])
        if "client_id" in params and params["client_id"] != client_id:
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
    else:
        client_id = params.get("client_id", "")
        secret = params.get("client_secret")
        if not client_id:
            raise _invalid_client()
    if peer.cert_refused is not None:
        raise OAuthError("invalid_client", _ascii(peer.cert_refused), 401)
    if secret is None and peer.via_proxy and not gw.proxy_tls_client_auth:
        # A forwarded certificate is the proxy's word, and a public document: alone, it proves
        # nothing about the caller (docs/security.md). A secret must come with it, unless the
        # operator said the proxy is to be believed.
        raise OAuthError(
            "invalid_client",
            "tls_client_auth through a proxy is not enabled (--proxy-tls-client-auth)",
            401,
        )

    attempt = gw.client_auth.begin(client_id, peer.ip)
    if attempt.retry_after:
        await gw.client_auth.hold_refusal()
        raise _backed_off(attempt.retry_after)
    record = gw.registry.active(client_id)
    if secret is not None:
        ok = await gw.client_auth.verify_secret(secret, record.secret_hash if record else None)
    else:
        ok = record is not None  # tls_client_auth: the certificate is the credential
    cert_ok = (
        record is not None
        and peer.cert_der is not None
        and thumbprints_match(x5t_s256(peer.cert_der), record.cert_x5t_s256)
    )
    if record is None or not ok or not cert_ok:
        raise _invalid_client()
    gw.client_auth.succeeded(attempt)
    return record


def _form_request(
    method: str, query_string: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> dict[str, str]:
    """POST, no query, a form body: the request shape of RFC 6749 §3.2, RFC 7009 §2.1 and
    RFC 7662 §2.1."""
    if method.upper() != "POST":
        raise OAuthError("invalid_request", "Unsupported request method, use POST", 405)
    if query_string:
        raise OAuthError("invalid_request", "URL query parameters are not allowed")
    content_types = _header(headers, b"content-type")
    mime = content_types[0].split(";", 1)[0].strip().lower() if len(content_types) == 1 else ""
    if mime != FORM:
        raise OAuthError("invalid_request", f"Content-Type must be {FORM}")
    return _parse_form(body)


async def _about_a_token(
    gw: Gateway,
    method: str,
    query_string: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    peer: Peer,
) -> tuple[ClientRecord, str]:
    """The authenticated client and the `token` parameter of a revocation or introspection
    request (RFC 7009 §2.1, RFC 7662 §2.1)."""
    params = _form_request(method, query_string, headers, body)
    token = params.get("token")
    if token is None:
        raise OAuthError("invalid_request", "Missing parameter: token")
    return await _authenticate_client(gw, headers, params, peer), token


async def revocation_endpoint(
    gw: Gateway,
    *,
    method: str,
    query_string: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    peer: Peer,
) -> TokenResult:
    """`POST /revoke` (RFC 7009): the client revokes one of its access tokens, refused with
    401 `900901` from then on, by every server on the state directory (gateway/revocation.py).
    An invalid or expired token is answered 200 (§2.2: nothing to revoke); another client's
    token is refused with `unauthorized_client` (§2.1) and stays valid."""
    try:
        record, token = await _about_a_token(gw, method, query_string, headers, body, peer)
        try:
            claims = gw.tokens.verify(token)
        except InvalidToken:
            return TokenResult(200, dict[str, Any](), dict(NO_STORE))
        if claims.client_id != record.client_id:
            raise OAuthError("unauthorized_client", "The token was not issued to this client")
        await asyncio.to_thread(gw.revocations.revoke, claims.jti, claims.expires_at)
        return TokenResult(200, dict[str, Any](), dict(NO_STORE))
    except OAuthError as exc:
        return _refused(exc)


async def introspection_endpoint(
    gw: Gateway,
    *,
    method: str,
    query_string: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    peer: Peer,
) -> TokenResult:
    """`POST /introspect` (RFC 7662): the state of one of the client's own tokens. A token that
    is invalid, expired, revoked or another client's is `{"active": false}` and nothing else
    (§2.2: no hint to a prober)."""
    try:
        record, token = await _about_a_token(gw, method, query_string, headers, body, peer)
        inactive = TokenResult(200, {"active": False}, dict(NO_STORE))
        try:
            claims = gw.tokens.verify(token)
        except InvalidToken:
            return inactive
        if claims.client_id != record.client_id or gw.revocations.is_revoked(claims.jti):
            return inactive
        raw = claims.raw
        answer: dict[str, Any] = {
            "active": True,
            "scope": " ".join(claims.scopes),
            "client_id": claims.client_id,
            "token_type": "Bearer",
            **{
                k: raw[k]
                for k in ("exp", "iat", "nbf", "sub", "aud", "iss", "jti", "cnf")
                if k in raw
            },
        }
        return TokenResult(200, answer, dict(NO_STORE))
    except OAuthError as exc:
        return _refused(exc)


def _refused(exc: OAuthError) -> TokenResult:
    result = exc.result()
    if exc.status == 405:
        result.headers["Allow"] = "POST"
    return result


async def token_endpoint(
    gw: Gateway,
    *,
    method: str,
    query_string: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    peer: Peer,
) -> TokenResult:
    try:
        return await _token(gw, method, query_string, headers, body, peer)
    except OAuthError as exc:
        return _refused(exc)


async def _token(
    gw: Gateway,
    method: str,
    query_string: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    peer: Peer,
) -> TokenResult:
    params = _form_request(method, query_string, headers, body)
    grant_type = params.get("grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "Missing parameter: grant_type")
    if grant_type != GRANT_CLIENT_CREDENTIALS:
        raise OAuthError("unsupported_grant_type", "Only client_credentials is supported")

    record = await _authenticate_client(gw, headers, params, peer)

    if GRANT_CLIENT_CREDENTIALS not in record.grant_types:
        raise OAuthError(
            "unauthorized_client", "The client may not use the client_credentials grant"
        )

    # -- scope
    granted = granted_scopes(record, params.get("scope"))

    token, expires_in = gw.tokens.issue(record.client_id, granted, record.cert_x5t_s256)
    return TokenResult(
        200,
        {
            "access_token": token,
            "scope": " ".join(granted),
            "token_type": "Bearer",
            "expires_in": expires_in,
        },
        dict(NO_STORE),
    )


def metadata(origin: str) -> dict[str, Any]:
    """RFC 8414 §2 authorization-server metadata; `origin`: `https://host:port` as the client
    reached the server (its endpoints are there)."""
    return {
        "issuer": origin,
        "token_endpoint": f"{origin}/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "tls_client_auth",
        ],
        "grant_types_supported": [GRANT_CLIENT_CREDENTIALS],
        "response_types_supported": [],
        "scopes_supported": [*SCOPES, *OPERATION_SCOPES],
        "jwks_uri": f"{origin}/jwks",
        "revocation_endpoint": f"{origin}/revoke",
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "tls_client_auth",
        ],
        "introspection_endpoint": f"{origin}/introspect",
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "tls_client_auth",
        ],
        # RFC 8705 §3.3
        "tls_client_certificate_bound_access_tokens": True,
    }
