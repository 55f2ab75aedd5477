"""Who is on the other end: the caller's IP and certificate, from the ASGI scope only.

By default both come from the connection: `scope["client"]` (uvicorn runs with
`proxy_headers=False`, so `X-Forwarded-For` never rewrites it) and the peer certificate our uvicorn
protocol class puts into `scope["extensions"]["tls"]["client_cert_chain"][0]` (ASGI TLS extension
shape). Only when the TCP peer is one of the configured trusted proxies (`--trusted-proxy CIDR`)
are the RFC 9440 `Client-Cert` (and `Client-Cert-Chain`) headers and `X-Forwarded-For` honoured;
from anyone else they are ignored.

A forwarded certificate is a claim of the proxy, not a proof: its public PEM is readable by
anyone, and no handshake checked it. So it counts only once it chains to a trusted CA at the
sandbox's clock (`gateway/trust.py`); else the peer has no certificate, and `cert_refused` says
why (the gateway refuses the call with that reason). Whether the certificate alone may
authenticate a client at `/token` (`tls_client_auth`) is the token endpoint's decision.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ficoba_sandbox.gateway.networks import Network, ip_in, normalise_ip
from ficoba_sandbox.gateway.trust import ChainVerifier


@dataclass(frozen=True, slots=True)
class Peer:
    ip: str | None
    cert_der: bytes | None
    via_proxy: bool = False
    #: why a forwarded certificate was not accepted (then `cert_der` is None)
    cert_refused: str | None = None


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


def _byte_sequence(value: str) -> bytes | None:
    """`:<base64>:`, a Structured Field Byte Sequence (RFC 8941 §3.3.5)."""
    value = value.strip()
    if len(value) < 3 or value[0] != ":" or value[-1] != ":":
        return None
    try:
        return base64.b64decode(value[1:-1], validate=True) or None
    except (binascii.Error, ValueError):
        return None


def _rfc9440_cert(values: list[str]) -> bytes | None:
    """`Client-Cert: :<base64 DER>:` (RFC 9440 §2.2)."""
    if len(values) != 1:
        return None  # absent, or repeated (the field is a singleton)
    return _byte_sequence(values[0])


def _rfc9440_chain(values: list[str]) -> tuple[bytes, ...] | None:
    """`Client-Cert-Chain: :<DER>:, :<DER>:` (RFC 9440 §2.3, a List of Byte Sequences; the field
    may be split over several lines). None when one member is not a byte sequence."""
    chain = []
    for member in (m for v in values for m in v.split(",") if m.strip()):
        der = _byte_sequence(member)
        if der is None:
            return None
        chain.append(der)
    return tuple(chain)


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


def resolve_peer(
    scope: Mapping[str, Any],
    trusted_proxies: Sequence[Network] = (),
    verifier: ChainVerifier | None = None,
    at: datetime | None = None,
) -> Peer:
    """The caller. From a trusted proxy, the forwarded certificate counts only when `verifier`
    accepts it at `at` (no verifier: none counts)."""
    client = scope.get("client")
    tcp_ip = client[0] if client else None
    if trusted_proxies and ip_in(tcp_ip, trusted_proxies):
        ip = _forwarded_for(_header_values(scope, b"x-forwarded-for"), trusted_proxies)
        cert = _rfc9440_cert(_header_values(scope, b"client-cert"))
        if cert is None:
            return Peer(ip=ip or tcp_ip, cert_der=None, via_proxy=True)
        chain = _rfc9440_chain(_header_values(scope, b"client-cert-chain"))
        if chain is None:
            refused: str | None = "malformed Client-Cert-Chain"
        elif verifier is None or at is None:
            refused = "no trust store for forwarded certificates"
        else:
            refused = verifier.refusal(cert, chain, at)
        return Peer(
            ip=ip or tcp_ip,
            cert_der=None if refused else cert,
            via_proxy=True,
            cert_refused=refused,
        )
    return Peer(ip=tcp_ip, cert_der=tls_client_cert(scope))
