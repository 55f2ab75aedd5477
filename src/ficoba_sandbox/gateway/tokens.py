"""Access tokens: ES256-signed JWTs, RFC 9068 profile, bound to the client certificate (RFC 8705).

The signing key is `D/pki/token-signing.key`; any server started on the same `D` verifies the
tokens of the others (self-contained, no shared session state). Time comes from the injectable
clock so tests expire tokens without sleeping.

Claims: `iss`, `aud`, `sub` (= client_id), `client_id`, `iat`, `nbf`, `exp`, `jti`, `scope`
(space-separated granted `dgfip_ficoba_*` data scopes, then operation scopes) and `cnf: {"x5t#S256": ...}`. Header
`typ: at+jwt`, `alg: ES256`, `kid`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.gateway.pki import load_key

ISSUER = "urn:ficoba-sandbox:gateway"
AUDIENCE = "urn:ficoba-sandbox:ficoba-api-v2"
ALGORITHM = "ES256"
TYP = "at+jwt"
#: Clock skew tolerated on `iat`/`nbf` between two servers sharing a state directory.
LEEWAY_SECONDS = 30
#: Verified tokens kept (LRU) so that a client's repeated calls skip the ES256 verification.
VERIFIED_CACHE_SIZE = 4096


class InvalidToken(Exception):
    """The token cannot be accepted; `str(exc)` is an ASCII reason for `error_description`."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    client_id: str
    scopes: tuple[str, ...]
    x5t_s256: str
    expires_at: int
    jti: str
    raw: dict[str, Any]


class TokenService:
    def __init__(self, key_path: Path, clock: Clock, ttl: int) -> None:
        self._key = load_key(key_path)
        self._public = self._key.public_key()
        spki = self._public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(spki).digest()[:12]).decode().rstrip("=")
        self.clock = clock
        self.ttl = int(ttl)
        self._cache_lock = threading.Lock()
        self._verified: OrderedDict[str, tuple[TokenClaims, int, int]] = OrderedDict()

    def issue(self, client_id: str, scopes: Iterable[str], x5t_s256: str) -> tuple[str, int]:
        """A signed token and its lifetime in seconds."""
        now = int(self.clock.now().timestamp())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": client_id,
            "client_id": client_id,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "jti": secrets.token_urlsafe(18),
            "scope": " ".join(scopes),
            "cnf": {"x5t#S256": x5t_s256},
        }
        token = jwt.encode(
            claims, self._key, algorithm=ALGORITHM, headers={"typ": TYP, "kid": self.kid}
        )
        return token, self.ttl

    def jwks(self) -> dict[str, Any]:
        """The public key that verifies the tokens, as an RFC 7517 JWK Set (RFC 7518 §6.2 EC)."""
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self._public))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return {"keys": [jwk]}

    def verify(self, token: str) -> TokenClaims:
        """Signature, header, issuer, audience and times (against the injected clock).

        What depends only on the token's bytes (signature, header, issuer, audience, claim
        shapes) is checked once per token: a verified token is kept in a bounded LRU keyed by the
        exact token string. The times are checked against the clock on every call, cached or
        not; the callers check revocation, the certificate binding and the IP on every call.
        """
        with self._cache_lock:
            hit = self._verified.get(token)
            if hit is not None:
                self._verified.move_to_end(token)
        if hit is not None:
            claims, iat, nbf = hit
            try:
                self._check_times(claims.expires_at, iat, nbf)
            except InvalidToken:
                with self._cache_lock:
                    self._verified.pop(token, None)
                raise
            return claims
        claims, iat, nbf = self._verify_uncached(token)
        with self._cache_lock:
            self._verified[token] = (claims, iat, nbf)
            if len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return claims

    def _check_times(self, exp: int, iat: int, nbf: int) -> None:
        now = self.clock.now().timestamp()
        if now >= exp:
            raise InvalidToken("token expired")
        if nbf > now + LEEWAY_SECONDS or iat > now + LEEWAY_SECONDS:
            raise InvalidToken("token not yet valid")

    def _verify_uncached(self, token: str) -> tuple[TokenClaims, int, int]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        if header.get("alg") != ALGORITHM or str(header.get("typ", "")).lower() not in (
            TYP,
            "application/" + TYP,
        ):
            raise InvalidToken("unexpected token type or algorithm")
        try:
            claims = jwt.decode(
                token,
                self._public,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={
                    "verify_exp": False,  # checked below against the injectable clock
                    "verify_nbf": False,
                    "verify_iat": False,
                    "require": ["iss", "aud", "sub", "client_id", "iat", "exp", "jti", "cnf"],
                },
            )
        except jwt.PyJWTError:
            raise InvalidToken("invalid token") from None
        try:
            exp, iat = int(claims["exp"]), int(claims["iat"])
            nbf = int(claims.get("nbf", iat))
        except (TypeError, ValueError):
            raise InvalidToken("invalid token") from None
        self._check_times(exp, iat, nbf)
        cnf = claims.get("cnf")
        x5t = cnf.get("x5t#S256") if isinstance(cnf, dict) else None
        client_id = claims.get("client_id")
        if not isinstance(x5t, str) or not x5t or not isinstance(client_id, str):
            raise InvalidToken("invalid token")
        if claims.get("sub") != client_id:
            raise InvalidToken("invalid token")
        scope = claims.get("scope", "")
        verified = TokenClaims(
            client_id=client_id,
            scopes=tuple(str(scope).split()) if isinstance(scope, str) else (),
            x5t_s256=x5t,
            expires_at=exp,
            jti=str(claims["jti"]),
            raw=claims,
        )
        return verified, iat, nbf


def thumbprints_match(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
