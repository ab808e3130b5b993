"""Indicator normalization: the same indicator from two operators has one spelling."""

from __future__ import annotations

import pytest

from awareness.ingest.indicators import NORMALIZERS, normalize_indicator
from awareness.vocabulary import INDICATOR_TYPES

SAME = [
    ("ipv4", "  192.0.2.1 ", "192.0.2.1"),
    ("ipv6", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ("ipv6", "::FFFF:192.0.2.1", "::ffff:c000:201"),
    ("domain", "Mail.Example.ORG.", "mail.example.org"),
    ("domain", "bücher.example", "xn--bcher-kva.example"),
    ("domain", "_dmarc.example.com", "_dmarc.example.com"),
    ("url", "HTTP://Example.COM:80", "http://example.com/"),
    ("url", "https://EXAMPLE.com:8443/a/B?x=1#frag", "https://example.com:8443/a/B?x=1"),
    ("url", "http://[2001:DB8::1]/x", "http://[2001:db8::1]/x"),
    ("url", "ftp://user@files.example.net/pub", "ftp://user@files.example.net/pub"),
    ("email", "Admin@Example.COM", "admin@example.com"),
    ("sha256", "AB" * 32, "ab" * 32),
    (
        "sha1",
        "0123456789ABCDEF0123456789abcdef01234567",
        "0123456789abcdef0123456789abcdef01234567",
    ),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    ("cve", "cve-2021-44228", "CVE-2021-44228"),
    ("cve", "CVE-2024-1234567", "CVE-2024-1234567"),
    ("cve", " CVE-2014-0160 ", "CVE-2014-0160"),  # leading zero kept
]


@pytest.mark.parametrize(("kind", "raw", "expected"), SAME)
def test_normalized(kind: str, raw: str, expected: str) -> None:
    assert normalize_indicator(kind, raw) == expected


REFUSED = [
    ("ipv4", "256.1.1.1", "IPv4"),
    ("ipv4", "010.0.0.1", "IPv4"),
    ("ipv4", "2001:db8::1", "IPv4"),
    ("ipv6", "192.0.2.1", "IPv6"),
    ("ipv6", "2001:db8::g", "IPv6"),
    ("domain", "localhost", "two labels"),
    ("domain", "-bad.example.com", "labels"),
    ("domain", "a..example.com", "labels"),
    ("domain", "example.123", "numeric"),
    ("domain", "x" * 64 + ".com", "labels"),
    ("url", "example.com/path", "absolute URL"),
    ("url", "http:///nohost", "absolute URL"),
    ("url", "http://exa mple.com/", "URL host"),
    ("url", "http://example.com:99999/", "URL"),
    ("url", "http://example.com/" + "a" * 2048, "at most 2048"),
    ("email", "no-at-sign", "e-mail"),
    ("email", "a@b", "e-mail domain"),
    ("email", ".dot@example.com", "e-mail"),
    ("sha256", "ab" * 31, "64 hexadecimal"),
    ("sha1", "z" * 40, "40 hexadecimal"),
    ("md5", "0" * 33, "32 hexadecimal"),
    ("cve", "CVE-21-1234", "CVE id"),
    ("cve", "CVE-2021-12", "CVE id"),
    ("cve", "2024-3400", "CVE id"),
    ("cve", "CVE-2024-3400x", "CVE id"),
    ("cve", "CVE-2024-12345678", "CVE id"),
]


@pytest.mark.parametrize(("kind", "raw", "reason"), REFUSED)
def test_refused_with_a_reason(kind: str, raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_indicator(kind, raw)


def test_every_indicator_type_of_the_contract_has_a_normalizer() -> None:
    assert tuple(NORMALIZERS) == INDICATOR_TYPES
