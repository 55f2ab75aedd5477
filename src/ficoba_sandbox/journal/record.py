"""One call as the journal records it, one admin event, and the journal's time format."""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from ficoba_sandbox.domain.durations import parse_duration

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_ts(at: datetime) -> str:
    """Fixed-width UTC text, so string order is time order."""
    if at.tzinfo is UTC and at.year >= 1000:  # the clock's (domain.clock): same text, 3x cheaper
        # (strftime does not pad a year below 1000 on glibc; isoformat does)
        return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime(_TS_FORMAT)


def parse_since(value: str | datetime, now: datetime | None = None) -> datetime:
    """An ISO 8601 instant (naive means UTC) or an age (domain/durations.py): `90s`, `2h`, `7d`."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strip()
    with contextlib.suppress(ValueError):
        return (now or datetime.now(UTC)) - timedelta(seconds=parse_duration(text))
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(slots=True)
class CallRecord:
    """One call as seen on the wire, before masking. The journal's writer (its thread, or the
    child process) masks it."""

    ts: datetime
    method: str
    path: str
    status: int
    latency_ms: float
    client_id: str | None = None
    client_id_source: str | None = None  # gateway | form | basic | token_claim | certificate
    thumbprint: str | None = None  # x5t#S256 of the client certificate
    peer_ip: str | None = None
    search_type: str | None = None
    motif: str | None = None
    correlation_id: str | None = None
    request_id: str | None = None
    reference_demande: str | None = None
    error_code: str | None = None  # erreur.code, or the OAuth `error` on /token
    info_code: str | None = None  # messageInformatif.code (HTTP 200 "no result")
    auth_scheme: str | None = None  # "Bearer", "Basic", "other"; never the credentials
    justification: str | None = None  # "absent" | "empty" | "present"
    request_body: bytes | None = None  # raw; masked before storage
    content_type: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: the scopes of the token the gateway verified (or issued, on /token), space-separated
    granted_scopes: str | None = None
    #: the DataPass modality the request's search type requires (the right 900910 checks)
    required_modality: str | None = None
    #: the gateway's operation scope the resource requires (OpenAPI 2026-01, the right a 403
    #: `900910` with `scope="..."` found missing in the token)
    required_operation_scope: str | None = None


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CallRecord))
#: a record's fields as a tuple, in one C call (the journal-writer thread converts whole
#: batches for the writer process: it holds the GIL meanwhile)
fields_of: Callable[[CallRecord], tuple[Any, ...]] = operator.attrgetter(*FIELDS)


@dataclass(slots=True)
class AdminEvent:
    """A destructive or time-reversing admin action (docs/security.md, "The admin plane"): what,
    by whom (the peer address and the kind of credential, never its value) and when (the wall
    clock: the sandbox clock is what some of these actions move)."""

    action: str  # journal.purge, clock.back, reset, quota.reset, client.revoke, client.replace
    peer_ip: str
    credential: str  # "admin token", "open mode", "command line (user NAME)"
    details: dict[str, Any] = field(default_factory=dict)
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))
