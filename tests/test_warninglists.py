"""The default warninglists, read from the installed package data, recognise the infrastructure
every operator sees and nothing an attacker can register."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from awareness.api.app import create_app
from awareness.scoring.benign import KnownBenign
from awareness.warninglists import DEFAULT_LISTS, available, load
from tests.conftest import make_settings

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture(scope="module")
def known() -> KnownBenign:
    return load(DEFAULT_LISTS)


@pytest.mark.parametrize(
    ("indicator_type", "value", "list_name"),
    [
        ("ipv4", "8.8.8.8", "List of known IPv4 public DNS resolvers"),
        ("ipv4", "1.1.1.1", "List of known IPv4 public DNS resolvers"),
        ("ipv6", "2001:4860:4860::8888", "List of known IPv6 public DNS resolvers"),
        ("domain", "google.com", "List of known google domains"),
        ("sha256", EMPTY_SHA256, "List of known hashes for empty files"),
        ("md5", EMPTY_MD5, "List of known hashes for empty files"),
    ],
)
def test_shared_infrastructure_is_known_benign(
    known: KnownBenign, indicator_type: str, value: str, list_name: str
) -> None:
    assert known.match(indicator_type, value) == list_name


@pytest.mark.parametrize(
    ("indicator_type", "value"),
    [
        ("ipv4", "185.220.101.47"),  # a Tor exit: not infrastructure every operator shares
        ("domain", "evil.github.io"),  # under a listed name, but anyone can register it
        ("domain", "kq3v9x2m7tz.com"),
        ("cve", "CVE-2024-3400"),
    ],
)
def test_what_an_attacker_controls_is_not_benign(
    known: KnownBenign, indicator_type: str, value: str
) -> None:
    assert known.match(indicator_type, value) is None


def test_every_default_list_is_shipped_and_indexes_entries(known: KnownBenign) -> None:
    assert set(DEFAULT_LISTS) <= set(available())
    assert [count.slug for count in known.lists] == list(DEFAULT_LISTS)
    assert all(count.entries > 0 for count in known.lists)
    assert known.counts[0] == len(DEFAULT_LISTS)


def test_lists_are_read_in_the_order_given() -> None:
    assert load(["tranco10k", "google"]).match("domain", "google.com") == (
        "Top 10K most-used sites from Tranco"
    )
    assert load(["google", "tranco10k"]).match("domain", "google.com") == (
        "List of known google domains"
    )


def test_an_unknown_slug_is_refused_with_the_choice() -> None:
    with pytest.raises(ValueError, match="no-such-list") as caught:
        load(["public-dns-v4", "no-such-list"])
    assert "public-dns-v4" in str(caught.value)
    assert "empty-hashes" in str(caught.value)


async def test_the_lists_in_use_are_reported_at_start_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'start.db'}")
    app = create_app(settings)
    with caplog.at_level(logging.INFO, logger="awareness.api.app"):
        async with LifespanManager(app):
            pass
    (record,) = [r for r in caplog.records if r.getMessage() == "known-benign indicators"]
    assert record.warninglists == len(DEFAULT_LISTS)
    assert record.warninglist_entries > 300_000
    assert record.allow_list_entries == len(settings.scoring.campaign.allow_list)
