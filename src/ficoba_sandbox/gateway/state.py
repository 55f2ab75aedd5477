"""`Gateway`: what a sandbox opens of its state directory, once: the client registry, the token
service, the clock, the trusted proxies and the trust store of the certificates they forward;
and the token endpoint's client authentication (its failure back-off lives as long as the
server)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.gateway.client_auth import BackoffPolicy, ClientAuthentication
from ficoba_sandbox.gateway.networks import Network, loopback_overlaps, parse_networks
from ficoba_sandbox.gateway.pki import PkiPaths, ensure_pki
from ficoba_sandbox.gateway.registry import Registry
from ficoba_sandbox.gateway.revocation import RevocationList
from ficoba_sandbox.gateway.tokens import TokenService
from ficoba_sandbox.gateway.trust import ChainVerifier

REALM = "ficoba-sandbox"


class ProxyConfigError(ValueError):
    """`--trusted-proxy` that cannot be served as asked (one line, said at start)."""


def trusted_proxy_networks(
    values: Iterable[str], *, trust_loopback: bool = False
) -> tuple[Network, ...]:
    """The trusted proxies' networks. A range holding loopback is refused unless
    `trust_loopback`: every local user of the machine (a shared CI host) would then be a
    trusted proxy, free to say which address it calls from (docs/security.md)."""
    try:
        networks = parse_networks(values)
    except ValueError as exc:
        raise ProxyConfigError(f"invalid --trusted-proxy: {exc}") from None
    loopback = loopback_overlaps(networks)
    if loopback and not trust_loopback:
        raise ProxyConfigError(
            f"--trusted-proxy {', '.join(map(str, loopback))} includes loopback: any local user "
            "could then forward a client certificate; pass --trust-loopback-proxy if the proxy "
            "really runs on this machine"
        )
    return networks


@dataclass
class Gateway:
    state_dir: Path
    registry: Registry
    tokens: TokenService
    clock: Clock
    client_auth: ClientAuthentication
    #: tokens revoked at `/revoke` (RFC 7009), shared through the state directory
    revocations: RevocationList
    trusted_proxies: tuple[Network, ...] = ()
    #: checks the certificates the trusted proxies forward (None: no trusted proxy)
    forwarded_certs: ChainVerifier | None = None
    #: whether a forwarded certificate alone authenticates a client at /token (tls_client_auth)
    proxy_tls_client_auth: bool = False

    @classmethod
    def open(
        cls,
        state_dir: Path,
        clock: Clock,
        *,
        token_ttl: int = 3600,
        trusted_proxies: Iterable[str] = (),
        trust_loopback_proxy: bool = False,
        proxy_tls_client_auth: bool = False,
        sans: Iterable[str] = (),
        backoff: BackoffPolicy | None = None,
    ) -> Gateway:
        """Open (creating what is missing of the PKI: CA, server certificate, token key) `D`.
        Raises `ProxyConfigError` for a trusted-proxy range it refuses."""
        proxies = trusted_proxy_networks(trusted_proxies, trust_loopback=trust_loopback_proxy)
        paths, _ = ensure_pki(Path(state_dir), sans)
        return cls(
            state_dir=paths.root,
            registry=Registry(paths.root),
            tokens=TokenService(paths.token_key, clock, token_ttl),
            clock=clock,
            trusted_proxies=proxies,
            forwarded_certs=ChainVerifier.of(paths) if proxies else None,
            proxy_tls_client_auth=proxy_tls_client_auth,
            client_auth=ClientAuthentication(clock, backoff),
            revocations=RevocationList(paths.root, clock),
        )

    @property
    def paths(self) -> PkiPaths:
        return PkiPaths(self.state_dir)
