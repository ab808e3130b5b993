"""The MISP warninglists shipped inside the `pymispwarninglists` wheel: which are read by default
and why, and loading a selection into `scoring.benign.KnownBenign`. Package data, no network."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from awareness.scoring.benign import KnownBenign

# In the order a match is explained: the first list holding a value names it.
DEFAULT_LISTS: tuple[str, ...] = (
    # Addresses every network talks to or is touched by; reported, they are noise, not campaigns.
    "public-dns-v4",  # resolvers show up in every DNS log
    "public-dns-v6",
    "sinkholes",  # a sinkholed name resolving here means the threat is already neutralised
    "umbrella-blockpage-v4",  # where a blocked lookup lands: the defence, not the attacker
    "umbrella-blockpage-v6",
    "akamai",  # CDN edges front millions of unrelated sites
    "cloudflare",
    "fastly",
    "amazon-aws",  # cloud ranges: shared by every tenant, an address alone says little
    "google-gcp",
    "microsoft-azure",
    "microsoft-azure-china",
    "microsoft-azure-germany",
    "microsoft-azure-us-gov",
    "microsoft-office365-ip",  # every office mails and syncs through these
    "microsoft-office365-cn",
    "github",  # package and code downloads in every build pipeline
    "stackpath",  # CDN
    "zscaler",  # a security proxy: its egress is the customers' own traffic
    "apple",  # device updates and push
    "wikimedia",
    "googlebot",  # crawlers visit every public server
    "google-gmail-sending-ips",  # mail relays appear in the headers of every phishing report
    "smtp-sending-ips",
    "smtp-receiving-ips",
    # Internet-wide scanners and measurement projects touch every exposed host at once, so many
    # operators reporting them is their normal behaviour, not a coordinated attack.
    "alphastrike-research-nt-scanning",
    "alphastrike-scanning",
    "bufferover-nt-scanning",
    "censys-scanning",
    "check-host-net",  # reachability checks requested by anyone
    "coalition-signals-intelligence-nt-scanning",
    "cybergreen-nt-scanning",
    "cyberresilience-nt-scanning",
    "cypex-nt-scanning",
    "f6-nt-scanning",
    "internet-census-nt-scanning",
    "intrinsec-nt-scanning",
    "ipinfo-nt-scanning",
    "ipip-nt-scanning",
    "modat-nt-scanning",
    "modat-scanner",
    "netsecscan-nt-scanning",
    "netsecscan-scanning",
    "onyphe-nt-scanning",
    "onyphe-scanner",
    "openai-gptbot",  # a crawler, like googlebot
    "probethenet-nt-scanning",
    "rapid7-nt-scanning",
    "research-scanner-nt-scanning",
    "shadowforce-nt-scanning",
    "shadowforce-scanning",
    "shadowserver",  # scans to warn network owners; its reports are a source, not a threat
    "shadowserver-nt-scanning",
    "shodan-nt-scanning",
    "shodan-scanning",
    "skipa-nt-scanning",
    "tenable-cloud-ipv4",  # vulnerability scans the operators commissioned themselves
    "tenable-cloud-ipv6",
    # Names, matched exactly (never their subdomains).
    "public-dns-hostname",  # resolvers by name
    "umbrella-blockpage-hostname",
    "captive-portals",  # connectivity checks every device makes
    "whats-my-ip",  # looked up by malware and admins alike; says nothing of who
    "rfc6761",  # special-use names that never resolve on the internet
    "google",  # the vendors' own service names, contacted by every client
    "microsoft",
    "microsoft-office365",
    "microsoft-win10-connection-endpoints",  # Windows phones home to these on its own
    "alexa",  # top-site rankings: what everyone visits is what everyone's proxy logs hold
    "moz-top500",
    "tranco10k",
    "cisco_top20k",
    "majestic_million",  # its first 10,000 names only, despite the slug
    # Hashes.
    "empty-hashes",  # the empty file is in every collection of samples
    "eicar.com",  # the antivirus test file: a test, never an attack
    "common-ioc-false-positive",  # hashes of system files often pasted into IOC lists
    "ti-falsepositives",
    "nioc-filehash",  # known-good files
    "mozilla-CA",  # trusted CA certificates, not payloads
    "mozilla-IntermediateCA",
    # E-mail.
    "common-contact-emails",  # abuse@, security@, soc@: where reports go, not where they come from
)
# Deliberately not read by default:
# - vpn-ipv4, vpn-ipv6 and dynamic-dns: attackers use VPN exits and dynamic names themselves;
# - tranco and google-chrome-crux-1million: a million names, many of them abused platforms, at a
#   cost in memory the top-10k lists do not have;
# - disposable-email, automated-malware-analysis, microsoft-attack-simulator: substring lists,
#   which `KnownBenign` never applies;
# - url-shortener, parking-domain, parking-domain-ns: shorteners and parked names front attacks;
# - tlds, second-level-tlds, university_domains, bank-website: facts about names, not benign-ness.


def available() -> list[str]:
    """Every list slug the installed package ships, sorted."""
    return sorted(entry.name for entry in _lists_root().iterdir() if _list_file(entry).is_file())


@cache
def loaded(slugs: tuple[str, ...]) -> KnownBenign:
    """`load`, once per process and selection: every app and test of a process shares it."""
    return load(slugs)


def load(slugs: Sequence[str]) -> KnownBenign:
    """The selected lists, in the given order (the first list holding a value names it).

    All slugs are checked before any file is read, so a typo in the configuration fails at
    start-up with the full choice, rather than silently leaving a list out.
    """
    known = set(available())
    for slug in slugs:
        if slug not in known:
            choice = ", ".join(sorted(known))
            raise ValueError(f"unknown warninglist {slug!r}; available: {choice}")
    root = _lists_root()
    # A generator, so only one parsed list is held at a time while the index grows.
    return KnownBenign.build(
        (slug, json.loads(_list_file(root / slug).read_text(encoding="utf-8"))) for slug in slugs
    )


def _lists_root() -> Traversable:
    return files("pymispwarninglists") / "data" / "misp-warninglists" / "lists"


def _list_file(directory: Traversable) -> Traversable:
    return directory / "list.json"


def _describe() -> None:
    """`python -m awareness.warninglists`: every shipped list, marked when read by default."""
    root = _lists_root()
    for slug in available():
        data = json.loads(_list_file(root / slug).read_text(encoding="utf-8"))
        used = "*" if slug in DEFAULT_LISTS else " "
        print(f"{used} {slug:<44} {len(data['list']):>8}  {data['name']}")


if __name__ == "__main__":
    _describe()
