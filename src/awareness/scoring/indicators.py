"""Which indicator values may ever make a campaign (docs/scoring.md section 4): non-global
addresses, special-use names and allow-listed values never do, however often reported."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from awareness.scoring.config import ScoringConfig
from awareness.vocabulary import INDICATOR_TYPES

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# IANA special-purpose registries, listed so the answer does not depend on the Python patch
# release (its is_private/is_global changed in 3.11.10); the stdlib flags are checked too.
NON_GLOBAL_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
# RFC 2606, 6761, 6762, 8375 and ICANN's .internal: names that never resolve on the internet.
SPECIAL_USE_NAMES = (
    "localhost",
    "local",
    "test",
    "invalid",
    "example",
    "example.com",
    "example.net",
    "example.org",
    "home.arpa",
    "arpa",
    "internal",
)


def exclusion_reason(indicator_type: str, value: str, *, cfg: ScoringConfig) -> str | None:
    """Why this indicator can never make a campaign, or None when it can."""
    return _exclusion(indicator_type, value, cfg.campaign.allow_list)


# The correlator asks once per indicator per report: a flood repeats the same few values.
@lru_cache(maxsize=65_536)
def _exclusion(indicator_type: str, value: str, allow_list: tuple[str, ...]) -> str | None:
    if indicator_type not in INDICATOR_TYPES:
        raise ValueError(f"unknown indicator type {indicator_type!r}")
    value = value.strip().casefold()
    exact, networks, names = _compile_allow_list(allow_list)
    if value in exact:
        return "allow-listed"
    if indicator_type in ("ipv4", "ipv6"):
        return _address_reason(value, networks)
    if indicator_type == "domain":
        return _host_reason(value, networks, names)
    if indicator_type == "url":
        parts = urlsplit(value if "://" in value else "//" + value)
        return _host_reason(parts.hostname or "", networks, names)
    if indicator_type == "email":
        return _host_reason(value.rpartition("@")[2].strip("[]"), networks, names)
    return None


def may_form_campaign(indicator_type: str, value: str, *, cfg: ScoringConfig) -> bool:
    return exclusion_reason(indicator_type, value, cfg=cfg) is None


def is_non_global(address: IPAddress) -> bool:
    """Private, loopback, link-local, multicast, reserved, unspecified, shared (CGNAT),
    documentation or benchmarking; IPv4 carried in IPv6 is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_non_global(embedded)
    return (
        any(
            address in network
            for network in NON_GLOBAL_NETWORKS
            if network.version == address.version
        )
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _address_reason(value: str, networks: tuple[Network, ...]) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "not an IP address"
    if is_non_global(address):
        return "non-global address"
    if any(address in network for network in networks if network.version == address.version):
        return "allow-listed"
    return None


def _host_reason(host: str, networks: tuple[Network, ...], names: frozenset[str]) -> str | None:
    host = host.strip().rstrip(".")
    if not host:
        return "no host"
    if ":" in host or host[-1].isdigit():  # a name's last label is never all digits
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return _address_reason(host, networks)
    if "." not in host:
        return "single-label name"
    if _under_any(host, _SPECIAL_USE):
        return "special-use name"
    if _under_any(host, names):
        return "allow-listed"
    return None


_SPECIAL_USE = frozenset(SPECIAL_USE_NAMES)


def _under_any(host: str, names: frozenset[str]) -> bool:
    """The host is one of the names or under one: each of its suffixes looked up once."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in names for i in range(len(labels)))


@lru_cache(maxsize=16)
def _compile_allow_list(
    entries: tuple[str, ...],
) -> tuple[frozenset[str], tuple[Network, ...], frozenset[str]]:
    """Split entries into exact values, address ranges and names (a name covers subdomains)."""
    networks = []
    names = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.append(entry)
    return frozenset(entries), tuple(networks), frozenset(names)
