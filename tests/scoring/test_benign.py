"""Known-benign matching on hand-made warninglists: networks, exact names, hashes, patterns, and
the first list winning when several hold a value."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awareness.scoring.benign import KnownBenign, ListCount

IP = ["ip-src", "ip-dst", "domain|ip"]
NAMES = ["hostname", "domain", "url", "domain|ip"]
HASHES = ["md5", "sha1", "sha256", "filename|md5"]


def warninglist(name: str, kind: str, entries: list[str], attributes: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"{name} for a test",
        "type": kind,
        "list": entries,
        "matching_attributes": attributes,
    }


def test_an_address_inside_a_listed_network_is_benign() -> None:
    known = KnownBenign.build(
        [("dns", warninglist("Resolvers", "cidr", ["8.8.8.0/24", "9.9.9.9"], IP))]
    )
    assert known.match("ipv4", "8.8.8.8") == "Resolvers"
    assert known.match("ipv4", "8.8.8.255") == "Resolvers"
    assert known.match("ipv4", "8.8.9.0") is None
    # a single address without a prefix is that address only
    assert known.match("ipv4", "9.9.9.9") == "Resolvers"
    assert known.match("ipv4", "9.9.9.10") is None


def test_ipv6_networks_single_addresses_and_host_bits() -> None:
    known = KnownBenign.build(
        [
            (
                "v6",
                warninglist(
                    "Resolvers v6",
                    "cidr",
                    ["2001:4860:4860::8888", "2606:4700::/32", "2001:4DE0:0110::1/64"],
                    IP,
                ),
            )
        ]
    )
    assert known.match("ipv6", "2001:4860:4860::8888") == "Resolvers v6"
    assert known.match("ipv6", "2001:4860:4860::8844") is None
    assert known.match("ipv6", "2606:4700:10::6816:1") == "Resolvers v6"
    assert known.match("ipv6", "2606:4701::1") is None
    # written with host bits set and in capitals, still the /64 it means
    assert known.match("ipv6", "2001:4de0:110::ffff") == "Resolvers v6"
    # the IPv6 lists say nothing of IPv4
    assert known.match("ipv4", "8.8.8.8") is None


def test_an_ipv4_mapped_ipv6_address_is_judged_as_ipv4() -> None:
    known = KnownBenign.build([("dns", warninglist("Resolvers", "cidr", ["8.8.8.8"], IP))])
    assert known.match("ipv6", "::ffff:808:808") == "Resolvers"


def test_overlapping_networks_answer_with_the_first_list_given() -> None:
    broad = ("cloud", warninglist("Cloud", "cidr", ["52.0.0.0/8"], IP))
    narrow = ("cdn", warninglist("CDN", "cidr", ["52.84.0.0/15", "52.84.1.1"], IP))
    assert KnownBenign.build([broad, narrow]).match("ipv4", "52.84.1.1") == "Cloud"
    assert KnownBenign.build([narrow, broad]).match("ipv4", "52.84.1.1") == "CDN"
    assert KnownBenign.build([narrow, broad]).match("ipv4", "52.1.1.1") == "Cloud"


def test_unparsable_network_entries_are_skipped_and_counted() -> None:
    known = KnownBenign.build(
        [("odd", warninglist("Odd", "cidr", ["10.0.0.0/33", "not an address", "8.8.4.4"], IP))]
    )
    assert known.match("ipv4", "8.8.4.4") == "Odd"
    assert known.counts == (1, 1)
    assert known.lists == (ListCount("odd", "Odd", entries=1, skipped=2),)


def test_a_network_list_applies_only_through_its_matching_attributes() -> None:
    known = KnownBenign.build([("x", warninglist("Names only", "cidr", ["8.8.8.8"], ["domain"]))])
    assert known.match("ipv4", "8.8.8.8") is None


def test_a_string_list_of_addresses_compares_addresses_not_spellings() -> None:
    known = KnownBenign.build(
        [("ips", warninglist("Relays", "string", ["2001:DB8:0:0::25", "192.0.2.25"], IP))]
    )
    assert known.match("ipv6", "2001:db8::25") == "Relays"
    assert known.match("ipv4", "192.0.2.25") == "Relays"
    assert known.match("ipv4", "192.0.2.26") is None


@given(
    lists=st.lists(
        st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)), max_size=6),
        min_size=1,
        max_size=4,
    ),
    address=st.integers(0, 2**32 - 1),
)
def test_the_network_index_agrees_with_scanning_every_network(
    lists: list[list[tuple[int, int]]], address: int
) -> None:
    networks = [
        [ipaddress.ip_network((base, length), strict=False) for base, length in entries]
        for entries in lists
    ]
    known = KnownBenign.build(
        (f"l{i}", warninglist(f"List {i}", "cidr", [str(n) for n in nets], IP))
        for i, nets in enumerate(networks)
    )
    value = str(ipaddress.IPv4Address(address))
    # a network containing nearby addresses, so matches are common, not a rare coincidence
    probes = [value] + [str(n.network_address) for nets in networks for n in nets]
    for probe in probes:
        expected = next(
            (
                f"List {i}"
                for i, nets in enumerate(networks)
                if any(ipaddress.IPv4Address(probe) in n for n in nets)
            ),
            None,
        )
        assert known.match("ipv4", probe) == expected


def test_a_listed_name_is_benign_but_not_its_subdomains() -> None:
    known = KnownBenign.build(
        [
            ("top", warninglist("Top sites", "hostname", ["GitHub.io.", "google.com"], NAMES)),
            ("hosts", warninglist("Free hosts", "string", ["000webhostapp.com"], NAMES)),
        ]
    )
    # entries are indexed lower-case and without the trailing dot, as values arrive
    assert known.match("domain", "github.io") == "Top sites"
    assert known.match("domain", "google.com") == "Top sites"
    assert known.match("domain", "000webhostapp.com") == "Free hosts"
    # free hosting puts attackers' names under popular ones
    assert known.match("domain", "evil.github.io") is None
    assert known.match("domain", "login-bank.000webhostapp.com") is None
    assert known.match("domain", "notgoogle.com") is None


def test_hashes_match_exactly_whatever_the_case_of_the_list() -> None:
    empty_md5 = "d41d8cd98f00b204e9800998ecf8427e"
    empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    known = KnownBenign.build(
        [("empty", warninglist("Empty", "string", [empty_md5.upper(), empty_sha256], HASHES))]
    )
    assert known.match("md5", empty_md5) == "Empty"
    assert known.match("sha256", empty_sha256) == "Empty"
    assert known.match("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709") is None
    assert known.match("md5", "0" * 32) is None


def test_a_hash_list_applies_only_to_the_hash_types_it_names() -> None:
    md5 = "44d88612fea8a8f36de82e1278abb02f"
    known = KnownBenign.build([("x", warninglist("SHA-256 only", "string", [md5], ["sha256"]))])
    assert known.match("md5", md5) is None


def test_a_regex_list_matches_contact_addresses_ignoring_case() -> None:
    contacts = warninglist(
        "Contacts",
        "regex",
        [r"/^(security|noc|soc|abuse)\@.*\..*$/i"],
        ["email-dst", "email-src", "target-email"],
    )
    known = KnownBenign.build([("contacts", contacts)])
    assert known.match("email", "abuse@example.org") == "Contacts"
    assert known.match("email", "SOC@example.org") == "Contacts"
    assert known.match("email", "alice@example.org") is None
    # the pattern speaks of e-mail attributes only
    assert known.match("domain", "abuse.example.org") is None


def test_a_regex_applies_only_to_the_types_its_attributes_name() -> None:
    known = KnownBenign.build([("x", warninglist("Phones", "regex", ["/^abuse/"], ["phone"]))])
    assert known.match("email", "abuse@example.org") is None


def test_a_regex_with_a_flag_python_lacks_is_skipped() -> None:
    known = KnownBenign.build(
        [("x", warninglist("Odd", "regex", ["/^abuse/A", "/^noc@/"], ["email-src"]))]
    )
    assert known.match("email", "abuse@example.org") is None
    assert known.match("email", "noc@example.org") == "Odd"
    assert known.lists[0].skipped == 1


def test_regex_and_exact_lists_keep_the_given_order() -> None:
    pattern = ("p", warninglist("Pattern", "regex", ["/^abuse@/"], ["email-src"]))
    exact = ("e", warninglist("Exact", "string", ["abuse@example.org"], ["email-src"]))
    assert KnownBenign.build([pattern, exact]).match("email", "abuse@example.org") == "Pattern"
    assert KnownBenign.build([exact, pattern]).match("email", "abuse@example.org") == "Exact"


def test_a_url_is_benign_only_when_the_whole_url_is_listed() -> None:
    listed = "https://www.google.com/generate_204"
    known = KnownBenign.build(
        [("urls", warninglist("Checks", "string", [listed, "drive.google.com"], NAMES))]
    )
    assert known.match("url", listed) == "Checks"
    # malware on a shared host is a real indicator
    assert known.match("url", "https://drive.google.com/uc?id=abc") is None
    assert known.match("url", "https://www.google.com/other") is None
    assert known.match("domain", "drive.google.com") == "Checks"


def test_a_cve_is_never_benign() -> None:
    known = KnownBenign.build(
        [("cves", warninglist("CVEs", "string", ["CVE-2024-3400"], ["vulnerability", "domain"]))]
    )
    assert known.match("cve", "CVE-2024-3400") is None


def test_an_unknown_indicator_type_is_refused() -> None:
    known = KnownBenign.build([])
    with pytest.raises(ValueError, match="hostname"):
        known.match("hostname", "example.com")


def test_substring_lists_are_never_applied() -> None:
    known = KnownBenign.build(
        [("sub", warninglist("Country", "substring", [".de", "example.org"], NAMES))]
    )
    assert known.match("domain", "example.de") is None
    assert known.match("domain", "example.org") is None
    assert known.lists == (ListCount("sub", "Country", entries=0, skipped=2),)


def test_counts_add_up_over_lists() -> None:
    known = KnownBenign.build(
        [
            ("a", warninglist("A", "cidr", ["8.8.8.8", "1.1.1.0/24"], IP)),
            ("b", warninglist("B", "string", ["example.com"], NAMES)),
        ]
    )
    assert known.counts == (2, 3)
    assert [count.entries for count in known.lists] == [2, 1]
