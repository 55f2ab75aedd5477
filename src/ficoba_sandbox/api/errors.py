"""The one error writer: every refusal of the API, gateway or backend, in the API's own format.

`{"erreur": {"code", "message", "horodatage"}}` (OpenAPI `ResultatErreurApiSante`, CONTRACT
§6.1), compact UTF-8 JSON, with the same headers whoever refused:

- `Content-Type: application/json` and `Content-Length`;
- `Cache-Control: no-store` (RFC 9111 §5.2.2.5): a refusal tells about a client's credentials,
  rights or quota at one instant, as the token endpoint's errors do, which RFC 6749 §5.2 keeps
  out of caches; the gateway's refusals always carried it;
- `WWW-Authenticate` on every 401 (RFC 9110 §11.6.1; RFC 6750 §3 for its bearer parameters),
  and on the 403 `900910` with `error="insufficient_scope"` (RFC 6750 §3.1: the token is valid
  but does not carry the right the request needs). The backend's refusal has no `scope`
  attribute: the right missing is a DataPass modality of the client's authorisation, which no
  token request can add; the gateway's names the operation scope a token needs
  (gateway/checks.py);
- `Retry-After` on every 429 and 503 (RFC 9110 §10.2.3; RFC 6585 §4): the refusal's own value
  (the quota's reset, the end of a maintenance window or drill), else `RETRY_AFTER_DEFAULT`;
- the call's `X-Correlation-ID` and `X-Request-ID` are added by the pipeline to every answer.

Never FastAPI's 422 with a `detail` array, never a stack trace: the exception handlers installed on
the documentation routes render through the same writer.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ficoba_sandbox.domain.clock import Clock, horodatage
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.gateway.state import REALM

#: seconds a client should wait when the refusal knows no better (a forced maintenance has no
#: scheduled end; a refused quota storage has no window)
RETRY_AFTER_DEFAULT = 60
CHALLENGE_DEFAULT = f'Bearer realm="{REALM}"'
#: the refusal of a valid token that lacks the right of the request (RFC 6750 §3.1)
INSUFFICIENT_SCOPE = "900910"
CHALLENGE_INSUFFICIENT_SCOPE = f'Bearer realm="{REALM}", error="insufficient_scope"'
JSON = b"application/json"
NO_STORE = b"no-store"

#: Starlette's HTTP errors (the documentation routes) -> the sandbox's stable codes
_HTTP_CODES = {404: "HTTP404", 405: "HTTP405", 406: "HTTP406", 408: "HTTP408", 413: "HTTP413"}


def error_body(error: FicobaError, at: datetime) -> bytes:
    return orjson.dumps(
        {"erreur": {"code": error.code, "message": error.message, "horodatage": horodatage(at)}}
    )


def json_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    """What every JSON answer of the API carries, refusal or not: its type and length."""
    return [(b"content-type", JSON), (b"content-length", str(len(body)).encode())]


def data_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    """A resource's answer, data or refusal: JSON, kept out of every cache (RFC 9111
    §5.2.2.5): it tells about bank accounts, or about one client's rights at one instant, and
    no cache between the caller and the API may keep a copy for anyone else."""
    return [*json_headers(body), (b"cache-control", NO_STORE)]


def error_headers(error: FicobaError, body: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of a refusal (without the call's ids, which the pipeline adds)."""
    headers = data_headers(body)
    given = {name.lower() for name in error.headers}
    for name, value in error.headers.items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    status = error.http_status
    if status == 401 and "www-authenticate" not in given:
        headers.append((b"www-authenticate", CHALLENGE_DEFAULT.encode()))
    if error.code == INSUFFICIENT_SCOPE and "www-authenticate" not in given:
        headers.append((b"www-authenticate", CHALLENGE_INSUFFICIENT_SCOPE.encode()))
    if status in (429, 503) and "retry-after" not in given:
        headers.append((b"retry-after", str(RETRY_AFTER_DEFAULT).encode()))
    return headers


def error_response(error: FicobaError, clock: Clock) -> Response:
    """The same bytes and headers as a Starlette response (for FastAPI's exception handlers)."""
    body = error_body(error, clock.now())
    response = Response(body, status_code=error.http_status)
    response.raw_headers = error_headers(error, body)
    return response


def install_error_handlers(app: FastAPI, clock: Clock) -> None:
    """FastAPI's own errors (a wrong method on `/docs`, a validation error) in the API format."""

    async def ficoba(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FicobaError)
        return error_response(exc, clock)

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code) or (
            "CAT002" if exc.status_code == 400 else "CAT004"
        )
        return error_response(FicobaError(code, headers=dict(exc.headers or {})), clock)

    async def validation(request: Request, exc: Exception) -> Response:
        return error_response(FicobaError("CAT002"), clock)

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Starlette raises the exception again after this answer: the pipeline logs it once and
        # keeps the connection (api/pipeline.py, Pipeline._crashed)
        return error_response(FicobaError("CAT004"), clock)

    app.add_exception_handler(FicobaError, ficoba)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(Exception, unexpected)
