"""Known-benign indicators from MISP warninglists (public resolvers, cloud and CDN ranges, top
sites, empty-file hashes): built from lists already parsed, so scoring never reads a file."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from awareness.vocabulary import INDICATOR_TYPES

# The MISP attribute types through which a list speaks to each of our indicator types. A CVE is
# never on a warninglist: a vulnerability is not infrastructure that could be shared innocently.
ATTRIBUTES: dict[str, frozenset[str]] = {
    "ipv4": frozenset({"ip-src", "ip-dst"}),
    "ipv6": frozenset({"ip-src", "ip-dst"}),
    "domain": frozenset({"domain", "hostname"}),
    "url": frozenset({"url", "uri"}),
    "sha256": frozenset({"sha256"}),
    "sha1": frozenset({"sha1"}),
    "md5": frozenset({"md5"}),
    "email": frozenset({"email-src", "email-dst", "target-email"}),
    "cve": frozenset(),
}
_IP_TYPES = ("ipv4", "ipv6")
# A hash list mixes MD5, SHA-1 and SHA-256 entries; an entry can only ever equal a normalized
# value of its own length, so each is indexed once, under that type, rather than three times.
_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
# PCRE flags as MISP writes them (`/.../i`); `g` and `u` change nothing for a yes/no test on a
# Python str. A list using any other flag is not understood, so it is not applied at all.
_REGEX_FLAGS = {
    "i": re.IGNORECASE,
    "m": re.MULTILINE,
    "s": re.DOTALL,
    "x": re.VERBOSE,
    "g": 0,
    "u": 0,
}

# IP version -> prefix length -> masked network as an int -> index of the first list holding it.
_Networks = dict[int, dict[int, dict[int, int]]]


@dataclass(frozen=True, slots=True)
class ListCount:
    """What one list contributed, for the start-up log: a list that indexes nothing is a list
    someone believes protects them and does not. `skipped` entries did not parse or can never
    equal one of our indicators (a SHA-512, an ssdeep, a substring)."""

    slug: str
    name: str
    entries: int
    skipped: int


class KnownBenign:
    """Answers "is this indicator on a warninglist, and which one?" in a few dictionary lookups,
    so it can run on every indicator of every report."""

    __slots__ = ("_exact", "_lists", "_names", "_networks", "_patterns")

    def __init__(
        self,
        *,
        names: tuple[str, ...],
        exact: dict[str, dict[str, int]],
        networks: _Networks,
        patterns: dict[str, tuple[tuple[int, re.Pattern[str]], ...]],
        lists: tuple[ListCount, ...],
    ) -> None:
        self._names = names
        self._exact = exact
        # Per IP version, (netmask, masked network -> list index) for each prefix length present:
        # a lookup masks the address once per length instead of scanning every network.
        self._networks: dict[int, tuple[tuple[int, dict[int, int]], ...]] = {
            version: tuple(
                (_netmask(version, length), table) for length, table in sorted(by_length.items())
            )
            for version, by_length in networks.items()
        }
        self._patterns = patterns
        self._lists = lists

    @classmethod
    def build(cls, lists: Iterable[tuple[str, Mapping[str, Any]]]) -> KnownBenign:
        """Index `(slug, list.json)` pairs; when several lists hold a value, the first given wins,
        so the order is the caller's statement of which explanation is most telling."""
        names: list[str] = []
        exact: dict[str, dict[str, int]] = {}
        networks: _Networks = {}
        patterns: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        counts: list[ListCount] = []
        for index, (slug, document) in enumerate(lists):
            name = str(document.get("name") or slug)
            names.append(name)
            attributes = set(document.get("matching_attributes") or ())
            types = tuple(t for t in INDICATOR_TYPES if ATTRIBUTES[t] & attributes)
            kind = document.get("type")
            entries = [str(entry).strip() for entry in document.get("list") or ()]
            if kind == "cidr":
                indexed = _index_networks(networks, index, entries, types)
            elif kind in ("string", "hostname"):
                indexed = _index_strings(exact, networks, index, entries, types)
            elif kind == "regex":
                indexed = _index_patterns(patterns, index, entries, types)
            else:
                # Substring lists are never applied: an entry like ".de" or "mail" would make
                # whole countries or every mail host benign, hiding real indicators wholesale.
                indexed = 0
            counts.append(ListCount(slug, name, indexed, len(entries) - indexed))
        return cls(
            names=tuple(names),
            exact=exact,
            networks=networks,
            patterns={t: tuple(found) for t, found in patterns.items()},
            lists=tuple(counts),
        )

    @property
    def counts(self) -> tuple[int, int]:
        """(lists, entries indexed)."""
        return len(self._lists), sum(count.entries for count in self._lists)

    @property
    def lists(self) -> tuple[ListCount, ...]:
        return self._lists

    def match(self, indicator_type: str, value: str) -> str | None:
        """The name of the first list holding this normalized indicator, or None.

        Names match exactly, never by parent domain: free hosting and dynamic DNS put attackers'
        names under popular ones (`evil.github.io`). URLs match whole, never by host, for the
        same reason (malware on `drive.google.com`).
        """
        if indicator_type not in ATTRIBUTES:
            raise ValueError(f"unknown indicator type {indicator_type!r}")
        if indicator_type in _IP_TYPES:
            best = self._network_match(value)
        else:
            table = self._exact.get(indicator_type)
            best = table.get(value) if table is not None else None
        for index, pattern in self._patterns.get(indicator_type, ()):
            if best is not None and index >= best:
                break
            if pattern.search(value):
                best = index
                break
        return None if best is None else self._names[best]

    def _network_match(self, value: str) -> int | None:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return None
        # An IPv4-mapped IPv6 address reaches the same host as the IPv4 one.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        number = int(address)
        best: int | None = None
        for mask, table in self._networks.get(address.version, ()):
            index = table.get(number & mask)
            if index is not None and (best is None or index < best):
                best = index
        return best


def _netmask(version: int, length: int) -> int:
    bits = 32 if version == 4 else 128
    return ((1 << length) - 1) << (bits - length)


def _add_network(
    networks: _Networks, index: int, network: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> None:
    table = networks.setdefault(network.version, {}).setdefault(network.prefixlen, {})
    table.setdefault(int(network.network_address), index)


def _index_networks(
    networks: _Networks, index: int, entries: list[str], types: tuple[str, ...]
) -> int:
    if not any(t in _IP_TYPES for t in types):
        return 0
    indexed = 0
    for entry in entries:
        try:
            # Not strict: lists write some networks with host bits set (2001:4de0:0110::/64).
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        _add_network(networks, index, network)
        indexed += 1
    return indexed


def _index_strings(
    exact: dict[str, dict[str, int]],
    networks: _Networks,
    index: int,
    entries: list[str],
    types: tuple[str, ...],
) -> int:
    """Index each entry under every type it could ever equal a normalized value of; an entry
    that fits none (a bare name in a URL list, a hash of another length) costs no memory."""
    indexed = 0
    for entry in entries:
        used = False
        for indicator_type in types:
            key = _string_key(indicator_type, entry)
            if key is None:
                continue
            if indicator_type in _IP_TYPES:
                # A string list of addresses is the same as single-address networks, and the
                # network index compares addresses, not spellings.
                _add_network(networks, index, ipaddress.ip_network(key))
            else:
                exact.setdefault(indicator_type, {}).setdefault(key, index)
            used = True
        indexed += used
    return indexed


def _string_key(indicator_type: str, entry: str) -> str | None:
    """The entry as our normalizer would spell it, or None when no such value can exist."""
    if indicator_type in _IP_TYPES:
        try:
            address = ipaddress.ip_address(entry)
        except ValueError:
            return None
        return address.compressed if indicator_type == f"ipv{address.version}" else None
    if indicator_type in _HASH_LENGTHS:
        digest = entry.lower()
        return digest if len(digest) == _HASH_LENGTHS[indicator_type] else None
    if indicator_type == "domain":
        name = entry.lower().rstrip(".")
        if not name.isascii():
            try:
                name = name.encode("idna").decode("ascii")
            except UnicodeError:
                return None
        return name or None
    if indicator_type == "url":
        # A normalized URL always has a scheme; entries without one (bare names in lists that
        # also match URLs) could never be equal to one. Kept as written: a path is case-sensitive.
        return entry if "://" in entry else None
    if indicator_type == "email":
        return entry.lower() or None
    return None


def _index_patterns(
    patterns: dict[str, list[tuple[int, re.Pattern[str]]]],
    index: int,
    entries: list[str],
    types: tuple[str, ...],
) -> int:
    if not types:
        return 0
    indexed = 0
    for entry in entries:
        pattern = _compile(entry)
        if pattern is None:
            continue
        for indicator_type in types:
            patterns.setdefault(indicator_type, []).append((index, pattern))
        indexed += 1
    return indexed


def _compile(entry: str) -> re.Pattern[str] | None:
    """A MISP regex entry, `/body/flags` or a bare body, as a Python pattern; None when it uses
    what Python's `re` does not share with PCRE."""
    body, flags = entry, 0
    if entry.startswith("/"):
        inner, slash, letters = entry[1:].rpartition("/")
        if slash:
            if any(letter not in _REGEX_FLAGS for letter in letters):
                return None
            body = inner
            for letter in letters:
                flags |= _REGEX_FLAGS[letter]
    try:
        return re.compile(body, flags)
    except re.error:
        return None
