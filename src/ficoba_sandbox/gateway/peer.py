"""Who is on the other end: the caller's IP and certificate, from the ASGI scope only.

By default both come from the connection: `scope["client"]` (uvicorn runs with
`proxy_headers=False`, so `X-Forwarded-For` never rewrites it) and the peer certificate our uvicorn
protocol class puts into `scope["extensions"]["tls"]["client_cert_chain"][0]` (ASGI TLS extension
shape). Only when the TCP peer is one of the configured trusted proxies (`--trusted-proxy CIDR`)
are the RFC 9440 `Client-Cert` header and `X-Forwarded-For` honoured; from anyone else they are
ignored.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ficoba_sandbox.gateway.networks import Network, ip_in, normalise_ip


@dataclass(frozen=True, slots=True)
class Peer:
    ip: str | None
    cert_der: bytes | None
    via_proxy: bool = False


@functools.lru_cache(maxsize=256)
def _pem_to_der(pem: str) -> bytes:
    """`ssl.PEM_cert_to_DER_cert`, cached (the same PEM comes with every call of a connection;
    a ValueError is not cached)."""
    return ssl.PEM_cert_to_DER_cert(pem)


def tls_client_cert(scope: Mapping[str, Any]) -> bytes | None:
    """DER of the verified client leaf certificate, from the ASGI TLS extension (or None)."""
    tls = (scope.get("extensions") or {}).get("tls")
    if not isinstance(tls, Mapping):
        return None
    chain = tls.get("client_cert_chain") or ()
    if not chain:
        return None
    leaf = chain[0]
    try:
        return _pem_to_der(leaf) if isinstance(leaf, str) else bytes(leaf)
    except ValueError:
        return None


def _header_values(scope: Mapping[str, Any], name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == name]


def _rfc9440_cert(values: list[str]) -> bytes | None:
    """`Client-Cert: :<base64 DER>:` (RFC 9440 §2.2, a Structured Field Byte Sequence)."""
    if len(values) != 1:
        return None  # absent, or repeated (the field is a singleton)
    value = values[0].strip()
    if len(value) < 3 or value[0] != ":" or value[-1] != ":":
        return None
    try:
        return base64.b64decode(value[1:-1], validate=True) or None
    except (binascii.Error, ValueError):
        return None


def _forwarded_for(values: list[str], trusted: Sequence[Network]) -> str | None:
    """The right-most `X-Forwarded-For` address that is not a trusted proxy."""
    hops = [h.strip() for v in values for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        addr = normalise_ip(hop.strip("[]"))
        if addr is None:
            return None
        if not any(addr in n for n in trusted):
            return str(addr)
    return None


def resolve_peer(scope: Mapping[str, Any], trusted_proxies: Sequence[Network] = ()) -> Peer:
    client = scope.get("client")
    tcp_ip = client[0] if client else None
    if trusted_proxies and ip_in(tcp_ip, trusted_proxies):
        cert = _rfc9440_cert(_header_values(scope, b"client-cert"))
        ip = _forwarded_for(_header_values(scope, b"x-forwarded-for"), trusted_proxies)
        return Peer(ip=ip or tcp_ip, cert_der=cert, via_proxy=True)
    return Peer(ip=tcp_ip, cert_der=tls_client_cert(scope))
