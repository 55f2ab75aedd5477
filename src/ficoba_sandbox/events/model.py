"""What a security event is: its stable type, severity, who, from where, and masked evidence
(docs/security.md, "Security events").

The types are stable names a SIEM rule can match (`event.action` in the ECS line); their
category, ECS `event.kind` and severity are fixed per type below. The severity is ECS's
`event.severity`, a number (ECS 8 field reference, "event.severity": higher is worse); the
sandbox uses four levels, named for reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class EventType(StrEnum):
    """The security events the sandbox derives (docs/security.md lists when each is emitted)."""

    TLS_HANDSHAKE_REFUSED = "tls_handshake_refused"
    CLIENT_AUTH_FAILED = "client_auth_failed"
    CLIENT_AUTH_BURST = "client_auth_burst"
    TOKEN_BINDING_VIOLATION = "token_binding_violation"
    TOKEN_FORGED = "token_forged"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    IP_NOT_ALLOWED = "ip_not_allowed"
    REQUESTER_NOT_REGISTERED = "requester_not_registered"
    MOTIF_NOT_REGISTERED = "motif_not_registered"
    ACCESS_REFUSED = "access_refused"
    QUOTA_SATURATED = "quota_saturated"
    RETRY_AFTER_IGNORED = "retry_after_ignored"
    ENUMERATION = "enumeration"
    OUT_OF_HOURS = "out_of_hours"
    CORRELATION_ID_REUSED = "correlation_id_reused"


class Severity(IntEnum):
    """ECS `event.severity` (a number); `name.lower()` in the admin plane's filter."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


@dataclass(frozen=True, slots=True)
class Kind:
    """How a type is filed in ECS: `event.kind`, `event.category`, `event.type`, severity."""

    severity: Severity
    category: tuple[str, ...]
    ecs_type: tuple[str, ...]
    #: ECS `event.kind`: `alert` for what a SIEM should raise, `event` for a fact worth keeping
    alert: bool = True
    message: str = ""


#: ECS 8 categorization fields ("event.category", "event.type" allowed values)
KINDS: Mapping[EventType, Kind] = {
    EventType.TLS_HANDSHAKE_REFUSED: Kind(
        Severity.MEDIUM, ("network",), ("connection", "denied"), False, "TLS handshake refused"
    ),
    EventType.CLIENT_AUTH_FAILED: Kind(
        Severity.MEDIUM, ("authentication",), ("info",), False, "client authentication failed"
    ),
    EventType.CLIENT_AUTH_BURST: Kind(
        Severity.HIGH,
        ("authentication", "intrusion_detection"),
        ("info",),
        True,
        "burst of failed client authentications",
    ),
    EventType.TOKEN_BINDING_VIOLATION: Kind(
        Severity.CRITICAL,
        ("authentication", "intrusion_detection"),
        ("denied",),
        True,
        "token presented with another certificate than the one it is bound to",
    ),
    EventType.TOKEN_FORGED: Kind(
        Severity.CRITICAL,
        ("authentication", "intrusion_detection"),
        ("denied",),
        True,
        "token with an invalid signature or content",
    ),
    EventType.TOKEN_EXPIRED: Kind(
        Severity.LOW, ("authentication",), ("denied",), False, "expired token presented"
    ),
    EventType.TOKEN_REVOKED: Kind(
        Severity.HIGH, ("authentication",), ("denied",), True, "revoked token presented"
    ),
    EventType.IP_NOT_ALLOWED: Kind(
        Severity.HIGH,
        ("network", "iam"),
        ("denied",),
        True,
        "call from an address outside the client's allow-list",
    ),
    EventType.REQUESTER_NOT_REGISTERED: Kind(
        Severity.HIGH, ("iam",), ("denied",), True, "requester SIRET/SIREN not registered"
    ),
    EventType.MOTIF_NOT_REGISTERED: Kind(
        Severity.MEDIUM, ("iam",), ("denied",), True, "motif not registered for the client"
    ),
    EventType.ACCESS_REFUSED: Kind(
        Severity.MEDIUM, ("iam",), ("denied",), True, "modality, scope or motif right refused"
    ),
    EventType.QUOTA_SATURATED: Kind(
        Severity.LOW, ("network",), ("denied",), False, "quota saturated"
    ),
    EventType.RETRY_AFTER_IGNORED: Kind(
        Severity.MEDIUM, ("network",), ("denied",), True, "429s repeated before Retry-After"
    ),
    EventType.ENUMERATION: Kind(
        Severity.HIGH,
        ("intrusion_detection",),
        ("info",),
        True,
        "enumeration pattern: many distinct identifiers or no-result answers",
    ),
    EventType.OUT_OF_HOURS: Kind(
        Severity.MEDIUM, ("iam",), ("info",), True, "call outside the client's declared hours"
    ),
    EventType.CORRELATION_ID_REUSED: Kind(
        Severity.LOW,
        ("intrusion_detection",),
        ("info",),
        False,
        "X-Correlation-ID reused within the window",
    ),
}


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One security event. `evidence` is already masked by whoever builds it: never a secret,
    a token or a key; identifiers as the journal masks them (journal/masking.py)."""

    type: EventType
    at: datetime
    client_id: str | None = None
    peer_ip: str | None = None
    #: SHA-256 of the client certificate's DER, upper-case hex (ECS `tls.client.hash.sha256`)
    cert_sha256: str | None = None
    correlation_id: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    #: ECS `event.outcome`: `failure` (the call was refused) or `success` (it was served, the
    #: pattern is what is suspicious) or `unknown`
    outcome: str = "failure"
    #: `None`: the type's own severity (`KINDS`)
    severity: Severity | None = None

    @property
    def kind(self) -> Kind:
        return KINDS[self.type]

    @property
    def level(self) -> Severity:
        return self.severity if self.severity is not None else KINDS[self.type].severity

    def ecs(self) -> dict[str, Any]:
        """The ECS fields of the event, dotted names (what `ecs-logging` nests), `@timestamp` and
        `message` aside."""
        kind = self.kind
        fields: dict[str, Any] = {
            "event.kind": "alert" if kind.alert else "event",
            "event.category": list(kind.category),
            "event.type": list(kind.ecs_type),
            "event.action": str(self.type),
            "event.outcome": self.outcome,
            "event.severity": int(self.level),
            "event.dataset": "ficoba_sandbox.security",
        }
        if self.peer_ip:
            fields["source.ip"] = self.peer_ip
        if self.cert_sha256:
            fields["tls.client.hash.sha256"] = self.cert_sha256
        if self.client_id:
            fields["client.id"] = self.client_id
            fields["user.id"] = self.client_id
        if self.correlation_id:
            fields["trace.id"] = self.correlation_id
        if self.evidence:
            fields["ficoba"] = dict(self.evidence)
        return fields

    def document(self) -> dict[str, Any]:
        """The admin plane's JSON of the event (flat, our names)."""
        return {
            "type": str(self.type),
            "severity": self.level.name.lower(),
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "client_id": self.client_id,
            "peer_ip": self.peer_ip,
            "cert_sha256": self.cert_sha256,
            "correlation_id": self.correlation_id,
            "outcome": self.outcome,
            "evidence": dict(self.evidence),
            "message": self.kind.message,
        }
