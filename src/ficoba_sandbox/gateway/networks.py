"""IP addresses and networks, as the gateway compares them: a client's allow-list, the trusted
proxies. One rule everywhere (the recette judges with it too): an address is allowed when it is
in one of the networks; an empty list allows no one."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (a bare address is a /32 or /128; comma-separated lists accepted). Raises
    ValueError on anything else."""
    nets: list[Network] = []
    for value in values:
        for part in str(value).split(","):
            if part.strip():
                nets.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(nets)


@functools.lru_cache(maxsize=4096)
def normalise_ip(ip: str) -> Address | None:
    """The address of `ip` (IPv4-mapped IPv6 as IPv4), None if it is not one. Cached: a client
    calls from the same few addresses, and the result is immutable."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def ip_in(ip: str | None, networks: Sequence[Network]) -> bool:
    addr = normalise_ip(ip) if ip else None
    return addr is not None and any(addr in net for net in networks)


#: loopback, with its IPv4-mapped IPv6 form (`normalise_ip` maps it back to IPv4)
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
    ipaddress.ip_network("::ffff:127.0.0.0/104"),
)


def loopback_overlaps(networks: Iterable[Network]) -> list[Network]:
    """The networks that hold a loopback address (`0.0.0.0/0` and `127.0.0.1/32` alike)."""
    return [
        net
        for net in networks
        if any(net.version == lo.version and net.overlaps(lo) for lo in LOOPBACK)
    ]
