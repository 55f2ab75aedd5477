"""`POST /token` at the server root, as on DGFiP's gateway. Logic in `gateway/oauth.py`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ficoba_sandbox.gateway.oauth import OAuthError, TokenResult, token_endpoint
from ficoba_sandbox.gateway.peer import resolve_peer
from ficoba_sandbox.gateway.service import Gateway

MAX_TOKEN_BODY = 8 * 1024

router = APIRouter(tags=["OAuth2"])

_DESCRIPTION = """OAuth 2.0 client credentials (RFC 6749 §4.4), form-encoded.

Client authentication: `client_secret_basic`, `client_secret_post` or `tls_client_auth`
(RFC 8705 §2.1). The TLS client certificate must be the one registered for the client.
The access token is a JWT bound to that certificate (`cnf.x5t#S256`, RFC 8705 §3.1)."""

_OAUTH_ERROR = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "error_description": {"type": "string"},
                },
            }
        }
    }
}


@router.api_route(
    "/token",
    methods=["POST", "GET", "PUT", "DELETE", "PATCH"],
    include_in_schema=False,
)
async def oauth_token_any_method(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_TOKEN_BODY:
            return _json(OAuthError("invalid_request", "Request body too large").result())
    result = token_endpoint(
        gw,
        method=request.method,
        query_string=request.scope.get("query_string", b""),
        headers=list(request.scope.get("headers", ())),
        body=body,
        peer=resolve_peer(request.scope, gw.trusted_proxies),
    )
    return _json(result)


def _json(result: TokenResult) -> Response:
    return JSONResponse(result.body, status_code=result.status, headers=result.headers)


# Documented in OpenAPI (the route above is hidden so GET/PUT/... are not advertised).
@router.post(
    "/token",
    summary="Obtenir un jeton d'accès (client credentials)",
    description=_DESCRIPTION,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "scope": {"type": "string"},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
    responses={
        200: {
            "description": "Jeton émis",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["access_token", "token_type", "expires_in", "scope"],
                        "properties": {
                            "access_token": {"type": "string"},
                            "token_type": {"type": "string", "enum": ["Bearer"]},
                            "expires_in": {"type": "integer"},
                            "scope": {"type": "string"},
                        },
                    }
                }
            },
        },
        400: {
            "description": "invalid_request, unsupported_grant_type, invalid_scope, unauthorized_client",
            **_OAUTH_ERROR,
        },
        401: {"description": "invalid_client", **_OAUTH_ERROR},
        405: {"description": "invalid_request (method)", **_OAUTH_ERROR},
    },
)
async def oauth_token(
    request: Request,
) -> Response:  # pragma: no cover - shadowed by the route above
    return await oauth_token_any_method(request)
