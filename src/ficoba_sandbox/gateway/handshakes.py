"""TLS handshakes the API listener refuses: one log line each (reason and peer), rate-limited, and
counted by reason for the admin plane (docs/security.md, "Refused TLS handshakes").

asyncio's `SSLProtocol` reports a failed handshake only in the loop's debug mode, and the
application protocol (uvicorn's) never sees the connection. So the listener does its TLS with
`ObservedTLSProtocol`, a subclass of asyncio's `SSLProtocol` that hands each failure to
`HandshakeRefusals` before asyncio closes the connection (gateway/connections.py installs it on
the sandbox's own TLS listener only).

The reasons are OpenSSL's (`ssl.SSLError.reason`; for a certificate the server could not verify,
`SSLCertVerificationError.verify_code`, the X.509 verify codes of OpenSSL's `x509_vfy.h`), mapped
to short stable codes. A `TLSV1_ALERT_*` or `SSLV3_ALERT_*` reason is an alert the *client* sent
(RFC 8446 §6.2): the client refused the server's certificate, not the reverse.
"""

from __future__ import annotations

import logging
import ssl
import time
from asyncio import sslproto
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.events import EventLog, EventType, SecurityEvent, Severity

log = logging.getLogger(__name__)

#: at most this many refused handshakes are logged one line each per `LOG_WINDOW` seconds; the
#: rest are counted and summed up in one line (a flood of handshakes cannot fill the disk)
LOG_BURST = 20
LOG_WINDOW = 60.0

NO_CERTIFICATE = "no_certificate"
UNKNOWN_CA = "unknown_ca"
CERTIFICATE_EXPIRED = "certificate_expired"
CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
CERTIFICATE_INVALID = "certificate_invalid"
PROTOCOL_VERSION = "protocol_version"
PLAIN_HTTP = "plain_http"
NOT_TLS = "not_tls"
SERVER_CERTIFICATE_REFUSED = "server_certificate_refused"
NO_SHARED_CIPHER = "no_shared_cipher"
CLIENT_CLOSED = "client_closed"
TIMEOUT = "timeout"
OTHER = "other"

#: the reasons that are about the client's certificate (a higher event severity)
CERTIFICATE_REASONS = frozenset(
    {
        NO_CERTIFICATE,
        UNKNOWN_CA,
        CERTIFICATE_EXPIRED,
        CERTIFICATE_NOT_YET_VALID,
        CERTIFICATE_INVALID,
    }
)

#: the reason codes and their sentence in the log line
SENTENCES = {
    NO_CERTIFICATE: "no client certificate",
    UNKNOWN_CA: "certificate from an unknown CA",
    CERTIFICATE_EXPIRED: "certificate expired",
    CERTIFICATE_NOT_YET_VALID: "certificate not yet valid",
    CERTIFICATE_INVALID: "certificate refused",
    PROTOCOL_VERSION: "wrong protocol version (TLS 1.2 or 1.3 required)",
    PLAIN_HTTP: "not TLS (plain HTTP on the TLS port)",
    NOT_TLS: "not TLS",
    SERVER_CERTIFICATE_REFUSED: "the client refused the server certificate (its CA file lacks the "
    "sandbox CA, or the host name is not in the certificate)",
    NO_SHARED_CIPHER: "no cipher suite in common",
    CLIENT_CLOSED: "the client closed the connection during the handshake",
    TIMEOUT: "no complete handshake in time",
    OTHER: "TLS error",
}

#: X.509 verify codes (OpenSSL x509_vfy.h) of a client certificate the server could not verify
_VERIFY_CODES = {
    2: UNKNOWN_CA,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
    18: UNKNOWN_CA,  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    19: UNKNOWN_CA,  # X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
    20: UNKNOWN_CA,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: UNKNOWN_CA,  # X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
    9: CERTIFICATE_NOT_YET_VALID,  # X509_V_ERR_CERT_NOT_YET_VALID
    10: CERTIFICATE_EXPIRED,  # X509_V_ERR_CERT_HAS_EXPIRED
}

#: OpenSSL reasons (`ssl.SSLError.reason`)
_REASONS = {
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": NO_CERTIFICATE,
    "UNSUPPORTED_PROTOCOL": PROTOCOL_VERSION,
    "NO_PROTOCOLS_AVAILABLE": PROTOCOL_VERSION,
    "TLSV1_ALERT_PROTOCOL_VERSION": PROTOCOL_VERSION,
    "VERSION_TOO_LOW": PROTOCOL_VERSION,
    "HTTP_REQUEST": PLAIN_HTTP,
    "HTTPS_PROXY_REQUEST": PLAIN_HTTP,
    "WRONG_VERSION_NUMBER": NOT_TLS,
    "UNKNOWN_PROTOCOL": NOT_TLS,
    "PACKET_LENGTH_TOO_LONG": NOT_TLS,
    "RECORD_LAYER_FAILURE": NOT_TLS,
    "TLSV1_ALERT_UNKNOWN_CA": SERVER_CERTIFICATE_REFUSED,
    "SSLV3_ALERT_BAD_CERTIFICATE": SERVER_CERTIFICATE_REFUSED,
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": SERVER_CERTIFICATE_REFUSED,
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": SERVER_CERTIFICATE_REFUSED,
    "NO_SHARED_CIPHER": NO_SHARED_CIPHER,
}


def classify(exc: BaseException | type[BaseException]) -> tuple[str, str]:
    """(reason code, sentence) of a handshake failure."""
    if isinstance(exc, type):  # asyncio passes the class on an EOF during the handshake
        exc = exc()
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = _VERIFY_CODES.get(exc.verify_code, CERTIFICATE_INVALID)
        sentence = SENTENCES[code]
        if code == CERTIFICATE_INVALID:
            sentence = f"{sentence}: {exc.verify_message}"
        return code, sentence
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None)  # set by the ssl module, not by a bare SSLError()
        code = _REASONS.get(str(reason), OTHER)
        sentence = SENTENCES[code]
        if code == OTHER:
            sentence = f"{sentence}: {str(reason or 'unknown').lower()}"
        return code, sentence
    if isinstance(exc, (ConnectionError, EOFError)):
        return CLIENT_CLOSED, SENTENCES[CLIENT_CLOSED]
    return OTHER, f"{SENTENCES[OTHER]}: {type(exc).__name__}"


def peer_text(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return "an unknown peer"


class HandshakeRefusals:
    """The refused handshakes of one listener: counted by reason, logged one line each up to
    `LOG_BURST` lines per `LOG_WINDOW` seconds, then counted until the window ends and summed up
    in one line before the next one logged."""

    def __init__(self, *, burst: int = LOG_BURST, window: float = LOG_WINDOW) -> None:
        self.burst = burst
        self.window = window
        self.by_reason: Counter[str] = Counter()
        self._window_start = -window
        self._logged = 0
        self._unlogged = 0
        self._events: EventLog | None = None
        self._clock: Clock | None = None

    def observe(self, events: EventLog, clock: Clock) -> None:
        """Each refused handshake also becomes one security event (docs/security.md)."""
        self._events, self._clock = events, clock

    def note(self, exc: BaseException | type[BaseException], peer: Any) -> str:
        code, sentence = classify(exc)
        self.record(code, sentence, peer)
        return code

    def record(self, code: str, sentence: str, peer: Any) -> None:
        self.by_reason[code] += 1
        if self._events is not None:
            self._event(self._events, code, sentence, peer)
        now = time.monotonic()
        if now - self._window_start >= self.window:
            if self._unlogged:
                log.warning(
                    "%d more refused TLS handshake(s) not logged in the last %.0f s",
                    self._unlogged,
                    self.window,
                )
            self._window_start, self._logged, self._unlogged = now, 0, 0
        if self._logged >= self.burst:
            self._unlogged += 1
            return
        self._logged += 1
        log.warning("TLS handshake refused from %s: %s", peer_text(peer), sentence)

    def _event(self, events: EventLog, code: str, sentence: str, peer: Any) -> None:
        at = self._clock.now() if self._clock is not None else datetime.now(UTC)
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else None
        events.emit(
            SecurityEvent(
                EventType.TLS_HANDSHAKE_REFUSED,
                at,
                peer_ip=ip,
                evidence={"reason": code, "detail": sentence},
                # a certificate problem is the client's to fix, or an intruder's; the rest is noise
                severity=Severity.MEDIUM if code in CERTIFICATE_REASONS else Severity.LOW,
            )
        )

    def describe(self) -> dict[str, Any]:
        """Admin plane: the counts since the start, by reason code."""
        return {"total": sum(self.by_reason.values()), "by_reason": dict(self.by_reason)}


class ObservedTLSProtocol(sslproto.SSLProtocol):
    """asyncio's server-side TLS protocol, which tells `refusals` of each failed handshake (its
    reason and the peer's address) before asyncio closes the connection."""

    def __init__(self, *args: Any, refusals: HandshakeRefusals, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusals = refusals
        #: a client gone before its first byte (a port probe) did not try a handshake
        self._received = False

    def buffer_updated(self, nbytes: int) -> None:
        self._received = self._received or nbytes > 0
        super().buffer_updated(nbytes)

    def _peer(self) -> Any:
        transport = self._transport
        return transport.get_extra_info("peername") if transport is not None else None

    def _on_handshake_complete(self, handshake_exc: Any) -> None:
        if handshake_exc is not None and self._received:
            self._refusals.note(handshake_exc, self._peer())
        super()._on_handshake_complete(handshake_exc)

    def _check_handshake_timeout(self) -> None:
        # `_state` is asyncio's (Python 3.11 sslproto), not in the type stubs
        if getattr(self, "_state", None) == sslproto.SSLProtocolState.DO_HANDSHAKE:
            self._refusals.record(TIMEOUT, SENTENCES[TIMEOUT], self._peer())
        super()._check_handshake_timeout()
