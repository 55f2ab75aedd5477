"""`Sandbox`: the state of one running sandbox, built once from the settings.

`create_app(settings)` builds it (`Sandbox.open`) and hands it to the API pipeline and to the
admin plane; nothing else holds state (no globals). Each part is owned by its package: the dataset
(`data/`), the backend (`backend/`), the gateway and its service levels (`gateway/`), the journal
(`journal/`), the QA toolkit's faults, feedback and drills (`qa/`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from ficoba_sandbox.backend.searches import Backend
from ficoba_sandbox.data.build import CacheWriter, build_store
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain.clock import Clock, SystemClock
from ficoba_sandbox.domain.contract import ContractVersion, contract_version
from ficoba_sandbox.events import Detectors, EventLog, EventPolicy
from ficoba_sandbox.gateway.client_auth import BackoffPolicy
from ficoba_sandbox.gateway.service_levels import ServiceLevels
from ficoba_sandbox.gateway.state import Gateway
from ficoba_sandbox.journal import Journal
from ficoba_sandbox.metrics import Metrics
from ficoba_sandbox.qa.console_mark import new_key
from ficoba_sandbox.qa.drills import DrillRunner
from ficoba_sandbox.qa.faults import Faults
from ficoba_sandbox.qa.feedback import Feedback
from ficoba_sandbox.settings import Settings


def open_store(settings: Settings, writer: CacheWriter | None = None) -> Store:
    """The dataset of the settings (seed, size, the shipped personas and the user's), from the
    state directory's cache when it holds it, else built and cached there by `writer` (at once
    without one; docs/data.md)."""
    personas = [d for d in (default_personas_dir(), settings.personas_dir) if d is not None]
    return build_store(settings.seed, settings.size, personas, settings.state_dir / "cache", writer)


def event_policy(settings: Settings) -> EventPolicy:
    return EventPolicy(
        auth_burst=settings.events_auth_burst,
        auth_peer_burst=settings.events_auth_peer_burst,
        auth_window=settings.events_auth_window,
        enumeration_distinct=settings.events_enumeration_distinct,
        enumeration_no_result=settings.events_enumeration_no_result,
        enumeration_window=settings.events_enumeration_window,
        correlation_window=settings.events_correlation_window,
        retry_after_repeats=settings.events_retry_after_repeats,
    )


@dataclass(slots=True, eq=False)
class Sandbox:
    settings: Settings
    #: the one clock of the sandbox (the admin plane freezes and advances it)
    clock: Clock
    store: Store
    backend: Backend
    gateway: Gateway
    levels: ServiceLevels
    journal: Journal
    faults: Faults
    feedback: Feedback
    drills: DrillRunner
    #: writes the dataset cache after the start-up, when the dataset was built afresh
    cache_writer: CacheWriter
    #: the published contract followed where versions differ (docs/contract-versions.md)
    contract: ContractVersion
    #: the security events (events/, docs/security.md) and the pattern detectors feeding them
    events: EventLog
    detectors: Detectors
    #: its own Prometheus registry and counts (metrics.py, docs/metrics.md), built on the rest
    metrics: Metrics = field(init=False)
    #: signs the calls the QA console sends (qa/console_mark.py); in memory only, never written
    console_key: bytes = field(default_factory=new_key, repr=False)

    @classmethod
    def open(
        cls, settings: Settings, *, clock: Clock | None = None, store: Store | None = None
    ) -> Sandbox:
        """Open `settings.state_dir` (PKI, registry, journal, dataset cache; what is missing is
        created) and build every part on one clock."""
        clock = clock or SystemClock()
        # The gateway first: a refused setting (a trusted proxy range) says so before the dataset
        # is built.
        gateway = Gateway.open(
            settings.state_dir,
            clock,
            token_ttl=settings.token_ttl,
            trusted_proxies=settings.trusted_proxies,
            trust_loopback_proxy=settings.trust_loopback_proxy,
            proxy_tls_client_auth=settings.proxy_tls_client_auth,
            sans=settings.san,
            backoff=BackoffPolicy(
                window=settings.token_backoff_window,
                client_failures=settings.token_backoff_client_failures,
                peer_failures=settings.token_backoff_peer_failures,
            ),
        )
        events = EventLog(
            path=settings.events_file or Path(settings.state_dir) / "events.jsonl",
            stdout=settings.events_stdout,
            max_bytes=settings.events_max_bytes,
        )
        cache_writer = CacheWriter()
        store = store if store is not None else open_store(settings, cache_writer)
        sandbox = cls(
            settings=settings,
            clock=clock,
            store=store,
            backend=Backend(store, clock),
            gateway=gateway,
            levels=ServiceLevels.from_settings(settings, clock=clock, registry=gateway.registry),
            # the journal keeps wall-clock time (its `ts` and retention), not this clock: a moved
            # sandbox clock must not stamp rows in the future (docs/journal.md, "Time")
            journal=Journal.from_settings(settings),
            faults=Faults(settings.seed),
            feedback=Feedback(),
            drills=DrillRunner(Path(settings.state_dir), clock),
            cache_writer=cache_writer,
            contract=contract_version(settings.contract_version),
            events=events,
            detectors=Detectors(event_policy(settings)),
        )
        sandbox.levels.handshakes.observe(events, clock)
        registry = gateway.registry
        sandbox.metrics = Metrics(
            handshakes=sandbox.levels.handshakes,
            journal=sandbox.journal,
            known_client=lambda client_id: registry.get(client_id, recent=True) is not None,
            events=events,
            enabled=settings.metrics,
        )
        return sandbox

    async def aclose(self) -> None:
        """At shutdown: every journal row committed, the dataset cache written, the quota
        storage's connections closed."""
        await asyncio.to_thread(self.journal.close)
        await asyncio.to_thread(self.cache_writer.finish)
        await self.levels.aclose()
        await asyncio.to_thread(self.events.close)
