"""Indicator validation and normalization: one spelling per indicator, so the same address or
hash reported by two operators is recognised as the same."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from awareness.vocabulary import CVE_PATTERN

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_HEX = re.compile(r"^[0-9a-f]+$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")
_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
MAX_URL_LENGTH = 2048


def normalize_ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise ValueError("not an IPv4 address in dotted-quad form (e.g. 192.0.2.10)") from None


def normalize_ipv6(value: str) -> str:
    try:
        return ipaddress.IPv6Address(value.strip()).compressed
    except ValueError:
        raise ValueError("not an IPv6 address (e.g. 2001:db8::1)") from None


def normalize_domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("not a valid internationalized domain name") from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2:
        raise ValueError("not a domain name: needs at least two labels and at most 253 characters")
    if not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            "not a domain name: labels are 1-63 letters, digits, hyphens or underscores"
        )
    if labels[-1].isdigit():
        raise ValueError("not a domain name: the top-level label is numeric (an IP address?)")
    return name


def _normalize_host(host: str) -> str:
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return normalize_domain(host)


def normalize_url(value: str) -> str:
    raw = value.strip()
    if len(raw) > MAX_URL_LENGTH:
        raise ValueError(f"a URL is at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if not _SCHEME.match(scheme) or not parts.hostname:
        raise ValueError("not an absolute URL with a host (e.g. https://example.com/path)")
    try:
        host = _normalize_host(parts.hostname)
    except ValueError as exc:
        raise ValueError(f"URL host: {exc}") from None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    # The fragment never reaches a server, so two URLs differing only there are one indicator.
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def normalize_email(value: str) -> str:
    address = value.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or len(local) > 64 or not _LOCAL_PART.match(local):
        raise ValueError("not an e-mail address (e.g. name@example.com)")
    try:
        return f"{local}@{normalize_domain(domain)}"
    except ValueError as exc:
        raise ValueError(f"e-mail domain: {exc}") from None


def _hash_normalizer(name: str, length: int) -> Callable[[str], str]:
    def normalize(value: str) -> str:
        digest = value.strip().lower()
        if len(digest) != length or not _HEX.match(digest):
            raise ValueError(f"a {name} hash is {length} hexadecimal characters")
        return digest

    return normalize


def normalize_cve(value: str) -> str:
    cve = value.strip().upper()
    if not CVE_PATTERN.match(cve):
        raise ValueError("not a CVE id (e.g. CVE-2024-3400)")
    return cve


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "ipv4": normalize_ipv4,
    "ipv6": normalize_ipv6,
    "domain": normalize_domain,
    "url": normalize_url,
    "sha256": _hash_normalizer("SHA-256", 64),
    "sha1": _hash_normalizer("SHA-1", 40),
    "md5": _hash_normalizer("MD5", 32),
    "email": normalize_email,
    "cve": normalize_cve,
}


def normalize_indicator(kind: str, value: str) -> str:
    """The canonical spelling of `value` as an indicator of `kind`, or ValueError saying why not."""
    return NORMALIZERS[kind](value)
