"""The world every history size shares, so that two sizes differ only in how much history they
hold: organizations, products, assets, and the indicator values they report."""

from __future__ import annotations

import bisect
import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from awareness.ingest.indicators import normalize_indicator
from awareness.ingest.schemas import AssetIn
from awareness.scoring import ScoringConfig, may_form_campaign, product_key
from harness import BenchError

# The history ends here; new reports arrive after it. Fixed, so every run correlates the same
# reports at the same instants (nothing in the correlator reads the wall clock).
HISTORY_END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# weighted choices


@dataclass(frozen=True)
class Weighted:
    items: tuple[Any, ...]
    cum: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[Any, float]]) -> Weighted:
        items, cum, total = [], [], 0.0
        for item, weight in pairs:
            total += weight
            items.append(item)
            cum.append(total)
        return cls(tuple(items), tuple(cum))

    @classmethod
    def zipf(cls, items: Sequence[Any], exponent: float) -> Weighted:
        return cls.of((item, 1.0 / (rank + 1) ** exponent) for rank, item in enumerate(items))

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


CATEGORY = Weighted.of(
    [("phishing", 25), ("malware", 20), ("intrusion", 15), ("ddos", 8), ("ransomware", 6),
     ("data_breach", 5), ("insider", 3), ("supply_chain", 3), ("equipment_failure", 5),
     ("other", 10)]
)  # fmt: skip
FUNCTIONAL = Weighted.of(
    [("none", 10), ("no_impact_to_services", 25), ("minimal_non_critical", 25),
     ("minimal_critical", 12), ("significant_non_critical", 10), ("denial_non_critical", 8),
     ("significant_critical", 6), ("denial_critical", 4)]
)  # fmt: skip
INFORMATION = Weighted.of(
    [("none", 40), ("suspected", 25), ("privacy_breach", 8), ("proprietary_breach", 7),
     ("destruction_non_critical", 5), ("critical_data_breach", 5), ("credential_compromise", 8),
     ("destruction_critical", 2)]
)  # fmt: skip
RECOVERABILITY = Weighted.of(
    [("regular", 60), ("supplemented", 25), ("extended", 12), ("not_recoverable", 3)]
)
LOCATION = Weighted.of(
    [("business_network", 30), ("business_dmz", 15), ("unknown", 20),
     ("business_network_management", 10), ("critical_system_dmz", 8),
     ("critical_system_management", 7), ("critical_systems", 7), ("safety_systems", 3)]
)  # fmt: skip
TLP = Weighted.of([("clear", 10), ("green", 30), ("amber", 50), ("amber+strict", 7), ("red", 3)])
CRITICALITY = Weighted.of([("low", 20), ("medium", 40), ("high", 30), ("critical", 10)])
INDICATOR_COUNT = Weighted.of([(0, 12), (1, 25), (2, 25), (3, 18), (4, 10), (5, 6), (6, 4)])
ASSET_COUNT = Weighted.of([(0, 60), (1, 30), (2, 10)])
# Where each indicator of a report comes from (same mix for the history and the new reports):
# a value never seen before; one of the reporting organization's recurring ones; one of the
# campaign indicators its group of organizations shares; a CVE (usually of its own products);
# one that can never make a campaign (private address, public resolver, time server); or a
# value another organization reported in the past.
SOURCE = Weighted.of(
    [("fresh", 50), ("pool", 18), ("shared", 7), ("cve", 10), ("benign", 5), ("reuse", 10)]
)
ASSET_KINDS = ("plc", "rtu", "hmi", "scada_server", "historian", "engineering_workstation",
               "safety_controller", "network_device", "server", "workstation", "iot")  # fmt: skip
LOCATIONS = ("critical_systems", "critical_system_dmz", "business_network", "business_dmz")
VENDORS = (
    "Siemens", "Schneider Electric", "Rockwell Automation", "ABB", "Honeywell", "Emerson",
    "GE Vernova", "Mitsubishi Electric", "Yokogawa", "Omron", "Phoenix Contact", "Moxa",
    "Hirschmann", "Cisco", "Fortinet", "Palo Alto Networks", "Microsoft", "Ivanti", "Citrix",
    "VMware", "Wago", "Beckhoff", "Advantech", "Digi",
)  # fmt: skip
FAMILIES = ("Controller", "Gateway", "HMI Panel", "Historian", "Switch", "Firewall", "RTU",
            "Engineering Suite", "VPN Appliance", "Server OS")  # fmt: skip
WORDS = ("update", "check", "cdn", "telemetry", "sync", "portal", "vpn", "login", "secure",
         "mail", "files", "relay", "static", "api", "edge", "cloud", "auth", "docs")  # fmt: skip
TLDS = ("com", "net", "org", "info", "xyz", "top", "ru", "cn", "io", "biz")
# First octets of public, globally routed IPv4 space (no special-purpose block inside).
FRESH_V4 = (23, 31, 37, 45, 46, 62, 77, 78, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 93, 94,
            95, 185, 212)  # fmt: skip
BENIGN = (
    ("ipv4", "10.0.0.5"), ("ipv4", "192.168.1.20"), ("ipv4", "172.16.4.2"), ("ipv4", "8.8.8.8"),
    ("ipv4", "1.1.1.1"), ("domain", "pool.ntp.org"), ("domain", "time.windows.com"),
)  # fmt: skip
REUSE_RECENT = 2000  # `reuse` mostly draws among the latest this many fresh values
NEW_FRESH_BASE = 300_000_000  # new reports' never-seen values: far from the history's numbers


def fresh_indicator(n: int) -> tuple[str, str]:
    """The n-th never-seen indicator, already in its normalized form (distinct for every n)."""
    bucket = n % 20
    domain = f"{WORDS[n % len(WORDS)]}-{n:x}.{TLDS[(n // 7) % len(TLDS)]}"
    if bucket < 7:
        b = ((n // len(FRESH_V4)) * 0x9E3779 + 0x5BD1E9) & 0xFFFFFF  # bijective on 24 bits
        return "ipv4", f"{FRESH_V4[n % len(FRESH_V4)]}.{b >> 16}.{(b >> 8) & 255}.{b & 255}"
    if bucket < 12:
        return "domain", domain
    if bucket < 16:
        return "sha256", hashlib.sha256(b"u%d" % n).hexdigest()
    if bucket < 18:
        return "url", f"https://{domain}/{WORDS[(n // 3) % len(WORDS)]}/{n % 9973}.php"
    if bucket < 19:
        return "md5", hashlib.md5(b"u%d" % n).hexdigest()  # an indicator value, not security
    return "email", f"{WORDS[(n // 5) % len(WORDS)]}.{n:x}@{domain}"


def pool_indicator(org: int, k: int) -> tuple[str, str]:
    """An organization's recurring indicator: the scanner or sender that keeps coming back."""
    n = org * 32 + k
    kind = ("ipv4", "domain", "sha256", "ipv4", "url", "domain", "email", "ipv4")[k % 8]
    host = f"ops{org}-{k}.{TLDS[org % len(TLDS)]}"
    return {
        "ipv4": ("ipv4", f"{52 + ((n >> 16) & 1)}.{(n >> 8) & 255}.{n & 255}.17"),
        "domain": ("domain", host),
        "sha256": ("sha256", hashlib.sha256(b"p%d" % n).hexdigest()),
        "url": ("url", f"http://{host}/in/{k}"),
        "email": ("email", f"billing{k}@{host}"),
    }[kind]


def shared_indicator(s: int) -> tuple[str, str]:
    """A campaign indicator, reported by a fixed group of organizations."""
    kind = ("ipv4", "domain", "sha256", "url")[s % 4]
    host = f"cmp{s}-{WORDS[s % len(WORDS)]}.top"
    return {
        "ipv4": ("ipv4", f"194.{(s >> 8) & 255}.{s & 255}.9"),
        "domain": ("domain", host),
        "sha256": ("sha256", hashlib.sha256(b"s%d" % s).hexdigest()),
        "url": ("url", f"https://{host}/dl/payload.bin"),
    }[kind]


# ---------------------------------------------------------------------------------------------
# the world: organizations, products and assets (the same for every history size)


@dataclass(frozen=True)
class Org:
    index: int
    id: str
    sector: str
    key_id: int


@dataclass(frozen=True)
class Product:
    vendor: str
    name: str
    key: str
    cves: tuple[str, ...]


@dataclass
class Asset:
    pk: int
    org: int
    asset_id: str
    kind: str
    product: Product | None
    version: str
    criticality: str
    internet_exposed: bool
    cves: list[str]
    location: str

    def model(self) -> AssetIn:
        return AssetIn.model_validate(
            {
                "asset_id": self.asset_id,
                "name": f"{self.kind.replace('_', ' ')} {self.asset_id}",
                "kind": self.kind,
                "vendor": self.product.vendor if self.product else None,
                "product": self.product.name if self.product else None,
                "version": self.version,
                "criticality": self.criticality,
                "internet_exposed": self.internet_exposed,
                "cves": self.cves,
                "location": self.location,
            }
        )


@dataclass
class World:
    orgs: list[Org]
    org_pick: Weighted
    products: list[Product]
    product_pick: Weighted
    cve_pick: Weighted
    assets: list[Asset]
    org_assets: list[list[Asset]]
    org_cves: list[list[str]]
    org_shared: list[list[int]]
    shared_groups: list[list[int]]
    pool_size: int
    created_at: datetime

    def holders(self) -> dict[str, set[int]]:
        """match key -> organizations whose inventory holds the product or CVE."""
        found: dict[str, set[int]] = defaultdict(set)
        for asset in self.assets:
            if asset.product is not None:
                found[f"product:{asset.product.key}"].add(asset.org)
            for cve in asset.cves:
                found[f"cve:{cve}"].add(asset.org)
        return found


def build_world(
    seed: int, *, orgs: int, assets_per_org: int, sectors: Sequence[str], start: datetime
) -> World:
    rng = random.Random(seed * 7919 + 1)
    org_list = [
        Org(i, f"org-{i:04d}", sectors[i % len(sectors)], i + 1) for i in range(orgs)
    ]  # fmt: skip
    activity = list(range(orgs))
    rng.shuffle(activity)
    org_pick = Weighted.of((org, 1.0 / (rank + 1) ** 0.5) for rank, org in enumerate(activity))
    products: list[Product] = []
    cve_number = 10_000
    for i in range(150):
        vendor = VENDORS[i % len(VENDORS)]
        name = f"{FAMILIES[(i // len(VENDORS)) % len(FAMILIES)]} {100 + i}"
        cves = []
        for _ in range(rng.choice((0, 1, 2, 2, 3, 4, 5))):
            cve_number += rng.randint(1, 400)
            cves.append(f"CVE-{2018 + rng.randrange(8)}-{cve_number}")
        products.append(Product(vendor, name, product_key(vendor, name) or "", tuple(cves)))
    rng.shuffle(products)
    product_pick = Weighted.zipf(products, 0.9)
    catalog = [cve for p in products for cve in p.cves]
    cve_pick = Weighted.zipf(catalog, 1.0)
    assets: list[Asset] = []
    org_assets: list[list[Asset]] = [[] for _ in range(orgs)]
    for org in range(orgs):
        for j in range(assets_per_org):
            kind = rng.choice(ASSET_KINDS)
            product = None if rng.random() < 0.1 else product_pick.pick(rng)
            cves = sorted(c for c in (product.cves if product else ()) if rng.random() < 0.7)
            asset = Asset(
                len(assets) + 1, org, f"{kind.replace('_', '-')}-{j:02d}", kind, product,
                f"{rng.randint(1, 9)}.{rng.randint(0, 20)}", CRITICALITY.pick(rng),
                rng.random() < 0.1, cves, rng.choice(LOCATIONS),
            )  # fmt: skip
            assets.append(asset)
            org_assets[org].append(asset)
    org_cves = [sorted({c for a in own for c in a.cves}) for own in org_assets]
    shared_groups = []
    org_shared: list[list[int]] = [[] for _ in range(orgs)]
    for s in range(max(30, orgs * 3 // 4)):
        group = rng.sample(range(orgs), min(orgs, rng.randint(3, 12)))
        shared_groups.append(group)
        for org in group:
            org_shared[org].append(s)
    return World(
        org_list, org_pick, products, product_pick, cve_pick, assets, org_assets, org_cves,
        org_shared, shared_groups, 15, start,
    )  # fmt: skip


def check_normalized(world: World) -> None:
    """Seeded values must be what ingest would have stored: normalize a sample and compare."""
    eligible = [fresh_indicator(n) for n in range(0, 4000, 7)]
    eligible += [fresh_indicator(NEW_FRESH_BASE + n) for n in range(0, 4000, 7)]
    eligible += [pool_indicator(o, k) for o in range(3) for k in range(world.pool_size)]
    eligible += [shared_indicator(s) for s in range(8)]
    eligible += [("cve", c) for p in world.products[:20] for c in p.cves]
    for kind, value in [*eligible, *BENIGN]:
        if normalize_indicator(kind, value) != value:
            raise BenchError(f"generator bug: {kind} {value!r} is not normalized")
    cfg = ScoringConfig()
    for kind, value in eligible:
        if not may_form_campaign(kind, value, cfg=cfg):
            raise BenchError(f"generator bug: {kind} {value!r} could never make a campaign")
    for kind, value in BENIGN:
        if may_form_campaign(kind, value, cfg=cfg):
            raise BenchError(f"generator bug: {kind} {value!r} is meant to be benign")
