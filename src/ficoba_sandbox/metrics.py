"""The Prometheus metrics of one sandbox (docs/metrics.md), served by the admin plane's `/metrics`.

Each `Sandbox` has its own `CollectorRegistry` (never the library's global one: two sandboxes in
one process keep their own counts). One collector writes every family at scrape time:

- the calls, counted once per call where its journal row is built (`observe`, on the event loop:
  a few dictionary updates, no lock, no library call on the request path);
- the counters others already keep, read when Prometheus scrapes: the refused TLS handshakes
  (gateway/handshakes.py), the journal's queue (journal/writer.py), the security events by type
  (`counts()` of the sandbox's events log, events/log.py).

Label values stay bounded: a route is a path of the API's table or one of its fixed paths (else
`other`), a client id one the registry knows (else `unknown`), a code one of the contract's or of
RFC 6749's.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from ficoba_sandbox.gateway.handshakes import HandshakeRefusals
from ficoba_sandbox.journal import Journal

PREFIX = "ficoba_sandbox_"
#: seconds: from a fast refusal (well under a millisecond) to the latency a drill adds
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNKNOWN = "unknown"
OTHER_ROUTE = "other"
TOKEN_ROUTE = "/token"
QUOTA_CODE = "900804"


class EventCounts(Protocol):
    """What the metrics read of the security events (events/log.py `EventLog`)."""

    def counts(self) -> Mapping[str, int]: ...


class Metrics:
    """The registry of one sandbox and the counts its collector writes."""

    def __init__(
        self,
        *,
        handshakes: HandshakeRefusals,
        journal: Journal,
        known_client: Callable[[str], bool],
        events: EventCounts,
        enabled: bool = True,
    ) -> None:
        #: False (`--no-metrics`): the calls are not counted, the other families stay
        self.enabled = enabled
        self.handshakes = handshakes
        self.journal = journal
        self.known_client = known_client
        #: (route, status, code, client) -> calls
        self.calls: dict[tuple[str, str, str, str], int] = {}
        #: route -> calls per latency bucket (the last one: above every bound), and their sum
        self.latency: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = {}
        #: client -> 429 900804
        self.quota_rejections: dict[str, int] = {}
        #: (outcome, error, client) -> answers of /token
        self.tokens: dict[tuple[str, str, str], int] = {}
        #: the security events, counted by type by their log
        self.events = events
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector(self))

    def client_label(self, client_id: str | None, authenticated: bool) -> str:
        """A registered client id, else `unknown` (what a caller claims is not a label)."""
        if not client_id:
            return UNKNOWN
        if authenticated or self.known_client(client_id):
            return client_id
        return UNKNOWN

    def observe(
        self,
        route: str,
        status: int,
        code: str | None,
        client_id: str | None,
        authenticated: bool,
        seconds: float,
    ) -> None:
        """One answered (or abandoned) call; from the event loop, where its journal row is
        built."""
        client = self.client_label(client_id, authenticated)
        code_label = code or ""
        key = (route, str(status), code_label, client)
        calls = self.calls
        calls[key] = calls.get(key, 0) + 1
        counts = self.latency.get(route)
        if counts is None:
            counts = self.latency[route] = [0] * (len(LATENCY_BUCKETS) + 1)
            self.latency_sum[route] = 0.0
        counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum[route] += seconds
        if code == QUOTA_CODE:
            self.quota_rejections[client] = self.quota_rejections.get(client, 0) + 1
        if route == TOKEN_ROUTE:
            outcome = "issued" if status == 200 else "refused"
            token_key = (outcome, code_label, client)
            self.tokens[token_key] = self.tokens.get(token_key, 0) + 1

    def event_counts(self) -> Mapping[str, int]:
        """The security events by type (every type, 0 included)."""
        return self.events.counts()


class _Collector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        m = self.metrics
        # copies (list()): a scrape from another thread must not see a dict change size
        calls = CounterMetricFamily(
            PREFIX + "calls",
            "Calls answered by the API listener, by route, HTTP status, error code and client",
            labels=["route", "status", "code", "client_id"],
        )
        for call_labels, value in list(m.calls.items()):
            calls.add_metric(list(call_labels), value)
        yield calls

        latency = HistogramMetricFamily(
            PREFIX + "call_duration_seconds",
            "Time until the answer is ready to send, by route",
            labels=["route"],
        )
        for route, counts in list(m.latency.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), list(counts), strict=True):
                cumulative += count
                buckets.append((_bound(bound), cumulative))
            latency.add_metric([route], buckets, m.latency_sum.get(route, 0.0))
        yield latency

        quota = CounterMetricFamily(
            PREFIX + "quota_rejections",
            "Calls refused by the quota (429 900804), by client",
            labels=["client_id"],
        )
        for client, value in list(m.quota_rejections.items()):
            quota.add_metric([client], value)
        yield quota

        tokens = CounterMetricFamily(
            PREFIX + "tokens",
            "Answers of /token: tokens issued, requests refused (by OAuth error), by client",
            labels=["outcome", "error", "client_id"],
        )
        for token_labels, count in list(m.tokens.items()):
            tokens.add_metric(list(token_labels), count)
        yield tokens

        handshakes = CounterMetricFamily(
            PREFIX + "tls_handshakes_refused",
            "TLS handshakes the API listener refused, by reason",
            labels=["reason"],
        )
        for reason, value in sorted(m.handshakes.by_reason.items()):
            handshakes.add_metric([reason], value)
        yield handshakes

        journal = m.journal
        yield GaugeMetricFamily(
            PREFIX + "journal_queue_depth",
            "Journal rows queued and not yet written",
            value=journal.depth(),
        )
        yield GaugeMetricFamily(
            PREFIX + "journal_write_lag_seconds",
            "Age of the oldest journal row not yet written (0: none waits)",
            value=journal.write_lag(),
        )
        yield CounterMetricFamily(
            PREFIX + "journal_rows_written", "Journal rows written", value=journal.written
        )
        yield CounterMetricFamily(
            PREFIX + "journal_rows_lost",
            "Journal rows lost (the storage still failing at shutdown)",
            value=journal.lost,
        )
        yield CounterMetricFamily(
            PREFIX + "journal_write_failures",
            "Failed journal writes (the rows are kept and retried)",
            value=journal.write_failures,
        )
        yield GaugeMetricFamily(
            PREFIX + "journal_healthy",
            "1 while the journal writes, 0 while its storage fails",
            value=1 if journal.healthy else 0,
        )

        events = CounterMetricFamily(
            PREFIX + "security_events",
            "Security events detected, by type",
            labels=["type"],
        )
        for kind, value in sorted(m.event_counts().items()):
            events.add_metric([str(kind)], value)
        yield events


def _bound(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
