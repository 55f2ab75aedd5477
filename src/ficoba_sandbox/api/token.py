"""`POST /token` at the server root, as on DGFiP's gateway, in the OpenAPI document.

The pipeline answers it (api/pipeline.py, logic in gateway/oauth.py); this route only documents
it and is never routed to.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["OAuth2"])

_DESCRIPTION = """OAuth 2.0 client credentials (RFC 6749 §4.4), form-encoded.

Client authentication: `client_secret_basic`, `client_secret_post` or `tls_client_auth`
(RFC 8705 §2.1). The TLS client certificate must be the one registered for the client.
The access token is a JWT bound to that certificate (`cnf.x5t#S256`, RFC 8705 §3.1).
`scope` (optional, space-separated): `dgfip_ficoba_*` data scopes and/or the gateway's
operation scopes (`RechercheParSpi`...); a kind not named gives every scope of it the client
holds; one the client does not hold gives `invalid_scope`.
After repeated failed authentications of a `client_id` or from an address: 429 `slow_down`
with `Retry-After`, the credentials not checked."""

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
        429: {"description": "slow_down (repeated failed authentications)", **_OAUTH_ERROR},
    },
)
async def oauth_token() -> None:  # pragma: no cover - never routed to
    raise RuntimeError("the token endpoint is answered by api/pipeline.py")
