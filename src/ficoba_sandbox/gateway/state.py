"""`Gateway`: what a sandbox opens of its state directory, once: the client registry, the token
service, the clock, the trusted proxies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.gateway.networks import Network, parse_networks
from ficoba_sandbox.gateway.pki import PkiPaths, ensure_pki
from ficoba_sandbox.gateway.registry import Registry
from ficoba_sandbox.gateway.tokens import TokenService

REALM = "ficoba-sandbox"


@dataclass
class Gateway:
    state_dir: Path
    registry: Registry
    tokens: TokenService
    clock: Clock
    trusted_proxies: tuple[Network, ...] = ()

    @classmethod
    def open(
        cls,
        state_dir: Path,
        clock: Clock,
        *,
        token_ttl: int = 3600,
        trusted_proxies: Iterable[str] = (),
        sans: Iterable[str] = (),
    ) -> Gateway:
        """Open (creating what is missing of the PKI: CA, server certificate, token key) `D`."""
        paths, _ = ensure_pki(Path(state_dir), sans)
        return cls(
            state_dir=paths.root,
            registry=Registry(paths.root),
            tokens=TokenService(paths.token_key, clock, token_ttl),
            clock=clock,
            trusted_proxies=parse_networks(trusted_proxies),
        )

    @property
    def paths(self) -> PkiPaths:
        return PkiPaths(self.state_dir)
