"""The thresholds of the pattern events (settings `events_*`, docs/security.md) and the
detectors that apply them, one set per running sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from ficoba_sandbox.events.patterns import Burst, Distinct, Recent


@dataclass(frozen=True, slots=True)
class EventPolicy:
    #: failed client authentications from one client id within the window (0: not checked)
    auth_burst: int = 5
    #: failed client authentications from one peer address within the window (0: not checked)
    auth_peer_burst: int = 20
    auth_window: float = 60.0
    #: distinct search criteria of one client within the window
    enumeration_distinct: int = 50
    #: "no result" answers of one client within the window
    enumeration_no_result: int = 20
    enumeration_window: float = 300.0
    #: seconds within which one client's X-Correlation-ID must not come back (0: not checked)
    correlation_window: float = 600.0
    #: 429s a client gets before its Retry-After is over, within a quota window (60 s)
    retry_after_repeats: int = 3
    #: the quota's window: one saturation event per client per window
    quota_window: float = 60.0


@dataclass(slots=True)
class Detectors:
    policy: EventPolicy
    auth_client: Burst[str] = field(init=False)
    auth_peer: Burst[str] = field(init=False)
    enumeration: Distinct[str] = field(init=False)
    no_result: Burst[str] = field(init=False)
    #: one enumeration event per client and window, whichever pattern showed it
    enumeration_reported: Burst[str] = field(init=False)
    correlation: Recent[str] = field(init=False)
    saturation: Burst[str] = field(init=False)
    early_retries: Burst[str] = field(init=False)
    #: client id -> the instant its last 429 told it to wait until
    retry_at: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        p = self.policy
        self.auth_client = Burst(p.auth_burst, p.auth_window)
        self.auth_peer = Burst(p.auth_peer_burst, p.auth_window)
        self.enumeration = Distinct(p.enumeration_distinct, p.enumeration_window)
        self.no_result = Burst(p.enumeration_no_result, p.enumeration_window)
        self.enumeration_reported = Burst(1, p.enumeration_window)
        self.correlation = Recent(p.correlation_window)
        self.saturation = Burst(1, p.quota_window)
        self.early_retries = Burst(p.retry_after_repeats, p.quota_window)
