"""Correlator benchmark: does the cost of correlating one report grow with the history behind it?

For each history size (default 10,000 and 1,000,000 stored reports) it creates a fresh
PostgreSQL database, migrates it with the real Alembic chain, and seeds the history in bulk
(COPY): organizations across the 16 sectors with their assets and the replayed inventory,
reports, incidents, indicators, incident scores, the correlator's derived state that history
would have left (indicator_orgs, campaigns, exposure sources and notices, sector states) and
the cursor placed after it, so the history counts as already correlated. Then, for every size
in turn and in alternating order, it ingests the same new reports through the real ingest code
(`append_incidents` / `upsert_assets`) and times `run_batch` until all are correlated. A first,
untimed round per size (warm-up) records the plan of every statement the correlator runs, with
`auto_explain`, and the run fails if any of them reads a big table sequentially.

Run with the project's interpreter:  .venv/bin/python bench/correlator/run.py [--quick]
"""

from __future__ import annotations

import argparse
import array
import asyncio
import bisect
import hashlib
import json
import math
import os
import platform
import random
import re
import signal
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa

from awareness.auth.principal import Principal, Role
from awareness.correlator.batch import run_batch
from awareness.correlator.sightings import as_sightings, keep_strongest
from awareness.db import tables
from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from awareness.ingest.indicators import normalize_indicator
from awareness.ingest.schemas import AssetIn, IncidentIn
from awareness.ingest.store import append_incidents, upsert_assets
from awareness.scoring import (
    LevelState,
    RecentWindow,
    ScoringConfig,
    SectorScore,
    campaign_level,
    check_milestones,
    incident_level,
    incident_severity,
    is_campaign,
    may_form_campaign,
    product_key,
    summarize_sightings,
)
from awareness.settings import Settings, load_settings
from awareness.vocabulary import CRITICALITY_ORDER

# The drivers' shared pieces live beside them in bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import BenchError, git_state, log, versions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = ROOT / "bench" / "results"

TARGET_RATIO = 1.2
# The history ends here; new reports arrive after it. Fixed, so every run correlates the same
# reports at the same instants (nothing in the correlator reads the wall clock).
HISTORY_END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# `now` passed to run_batch (it only dates the cursor row's updated_at).
FIXED_NOW = HISTORY_END + timedelta(days=30)
CHUNK = 20_000  # incidents generated and copied at a time
INDEXED_TABLES = ("reports", "incidents", "indicators")  # secondary indexes built after COPY


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


# ---------------------------------------------------------------------------------------------
# one incident, drawn the same way for the history and for the new reports


@dataclass
class IncidentSpec:
    org: int
    received_at: datetime
    detected_at: datetime
    occurred_at: datetime | None
    category: str
    functional_impact: str
    information_impact: str
    recoverability: str
    location: str
    assets: list[Asset]
    indicators: list[tuple[str, str, str, int]]  # type, value, source, fresh number (or -1)
    tlp: str


class Draw:
    """Indicator draws. `fresh` numbers count up from `fresh_base`; `reuse` picks a value
    another organization reported in the history (numbers below `reuse_limit`, or below the
    fresh numbers drawn so far while generating the history itself)."""

    def __init__(self, world: World, *, fresh_base: int, reuse_limit: int | None) -> None:
        self.world = world
        self.next_fresh = fresh_base
        self.reuse_limit = reuse_limit
        # History only: who reported each fresh value first (an organization repeating its own
        # value goes through its recurring pool, so `reuse` always means another organization).
        self.owner: array.array[int] | None = array.array("H") if reuse_limit is None else None

    def incident(self, rng: random.Random, org: int, received_at: datetime) -> IncidentSpec:
        world = self.world
        detected = received_at - timedelta(seconds=60 + rng.random() * 4 * 3600)
        occurred = detected - timedelta(seconds=rng.random() * 7200) if rng.random() < 0.6 else None
        own_assets = world.org_assets[org]
        assets = rng.sample(own_assets, min(len(own_assets), ASSET_COUNT.pick(rng)))
        seen: set[tuple[str, str]] = set()
        indicators: list[tuple[str, str, str, int]] = []
        for _ in range(INDICATOR_COUNT.pick(rng)):
            source = SOURCE.pick(rng)
            number = -1
            if source == "pool":
                kind, value = pool_indicator(org, rng.randrange(world.pool_size))
            elif source == "shared" and world.org_shared[org]:
                kind, value = shared_indicator(rng.choice(world.org_shared[org]))
            elif source == "cve":
                own = world.org_cves[org]
                cve = rng.choice(own) if own and rng.random() < 0.5 else world.cve_pick.pick(rng)
                kind, value = "cve", cve
            elif source == "benign":
                kind, value = rng.choice(BENIGN)
            else:
                kind, value, source, number = self._fresh_or_reuse(rng, org, source)
            if (kind, value) not in seen:
                seen.add((kind, value))
                indicators.append((kind, value, source, number))
        return IncidentSpec(
            org, received_at, detected, occurred, CATEGORY.pick(rng), FUNCTIONAL.pick(rng),
            INFORMATION.pick(rng), RECOVERABILITY.pick(rng), LOCATION.pick(rng), assets,
            indicators, TLP.pick(rng),
        )  # fmt: skip

    def _fresh_or_reuse(
        self, rng: random.Random, org: int, source: str
    ) -> tuple[str, str, str, int]:
        if source == "reuse":
            # Mostly one of the latest values (what another organization reported in the last
            # days), sometimes any value of the history. Drawn the same way for every size, so
            # a small history does not see more coincidences (and campaigns) than a big one.
            limit = self.reuse_limit if self.reuse_limit is not None else self.next_fresh
            recent, anywhere = rng.random(), rng.random()
            if rng.random() < 0.8:
                number = limit - 1 - int(recent * min(limit, REUSE_RECENT))
            else:
                number = int(anywhere * limit)
            if limit and (self.owner is None or self.owner[number] != org):
                return (*fresh_indicator(number), "reuse", number)
        number = self.next_fresh
        self.next_fresh += 1
        if self.owner is not None:
            self.owner.append(org)
        return (*fresh_indicator(number), "fresh", number)


def summary_of(spec: IncidentSpec) -> str:
    return (
        f"{spec.category.replace('_', ' ').capitalize()} activity seen in the "
        f"{spec.location.replace('_', ' ')}; {len(spec.indicators)} indicators attached, "
        f"{len(spec.assets)} assets affected. Containment under way."
    )


# ---------------------------------------------------------------------------------------------
# seeding one history in bulk


@dataclass
class Seeded:
    size: int
    assets: int
    incidents: int
    fresh_values: int  # distinct never-repeated indicator values drawn
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    database_bytes: int = 0
    last_xact: int = 0


class Seeder:
    def __init__(
        self,
        conn: asyncpg.Connection,
        world: World,
        settings: Settings,
        *,
        size: int,
        recent: int,
        days: float,
        seed: int,
    ) -> None:
        self.conn = conn
        self.world = world
        self.cfg = settings.scoring
        self.sectors_cfg = settings.sectors
        self.size = size
        self.recent = recent
        self.days = days
        self.rng = random.Random(seed)
        self.window = timedelta(hours=self.cfg.campaign.window_hours)
        self.severity_memo: dict[tuple[Any, ...], tuple[float, str]] = {}
        self.agg: dict[tuple[str, str, int], tuple[datetime, datetime, list[Any], str]] = {}
        self.sources: dict[str, tuple[int, int, float, datetime, datetime]] = {}
        self.recent_scores: list[tuple[int, int, float, datetime]] = []
        self.warning_id = 0
        self.copied: dict[str, int] = defaultdict(int)
        self.checked: set[str] = set()
        self.indicator_id = 0

    def xact(self, report_id: int) -> int:
        # Small increasing transaction ids, all below any real one: the cursor goes past them.
        return 1 + report_id * 100 // self.size

    async def copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if table not in self.checked:
            self.checked.add(table)
            check_columns(table, columns)
        if rows:
            await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))
            self.copied[table] += len(rows)

    def severity(
        self, spec: IncidentSpec, criticality: str | None, sector: str
    ) -> tuple[float, str]:
        key = (spec.functional_impact, spec.location, spec.information_impact,
               spec.recoverability, criticality, sector)  # fmt: skip
        found = self.severity_memo.get(key)
        if found is None:
            value = incident_severity(
                functional_impact=spec.functional_impact, location=spec.location,
                information_impact=spec.information_impact, recoverability=spec.recoverability,
                asset_criticalities=[criticality] if criticality else [], sector=sector,
                sectors=self.sectors_cfg, cfg=self.cfg,
            )  # fmt: skip
            found = (value, incident_level(value, cfg=self.cfg).label)
            self.severity_memo[key] = found
        return found

    async def run(self) -> Seeded:
        started = time.perf_counter()
        world = self.world
        await self.conn.execute(
            "SET session_replication_role = replica; SET synchronous_commit = off;"
            " SET maintenance_work_mem = '512MB'"
        )
        dropped = await self._drop_indexes()
        history_start = HISTORY_END - timedelta(days=self.days)
        await self.copy(
            "organizations", ("id", "name", "sector", "region", "created_at"),
            [(o.id, f"Operator {o.index:04d}", o.sector, "region-" + str(o.index % 9),
              world.created_at) for o in world.orgs],
        )  # fmt: skip
        await self.copy(
            "api_keys", ("id", "prefix", "key_hash", "role", "org_id", "sectors", "name",
                         "created_at"),
            [(o.key_id, "aw_bench", hashlib.sha256(b"bench-%d" % o.index).hexdigest(),
              "operator", o.id, None, f"operator key {o.id}", world.created_at)
             for o in world.orgs],
        )  # fmt: skip
        await self._seed_assets(history_start - timedelta(days=1))
        n_assets = len(world.assets)
        incidents = self.size - n_assets
        recent = self.recent
        if recent > incidents // 2:
            raise BenchError(f"{recent} recent reports do not fit in {incidents} incidents")
        draw = Draw(world, fresh_base=0, reuse_limit=None)
        old_start = history_start
        old_span = (HISTORY_END - self.window - history_start).total_seconds()
        recent_start = HISTORY_END - self.window
        buffers: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        last_log = time.perf_counter()
        for i in range(incidents):
            report_id = n_assets + 1 + i
            if i < incidents - recent:
                offset = old_span * (i + self.rng.random()) / (incidents - recent)
                received = old_start + timedelta(seconds=offset)
            else:
                j = i - (incidents - recent)
                offset = self.window.total_seconds() * (j + self.rng.random()) / recent
                received = recent_start + timedelta(seconds=offset)
            org = world.org_pick.pick(self.rng)
            spec = draw.incident(self.rng, org, received)
            self._incident_rows(report_id, spec, buffers)
            if len(buffers["incidents"]) >= CHUNK:
                await self._flush(buffers)
                if time.perf_counter() - last_log > 15:
                    last_log = time.perf_counter()
                    rate = (i + 1) / (last_log - started)
                    log(f"  seeded {i + 1:,}/{incidents:,} incidents ({rate:,.0f}/s)")
        await self._flush(buffers)
        log(f"  {incidents:,} incidents copied ({time.perf_counter() - started:.0f} s); "
            "derived state...")  # fmt: skip
        await self._seed_derived(n_assets + incidents)
        await self._set_sequences()
        log(f"  building {len(dropped)} secondary indexes...")
        for definition in dropped:
            await self.conn.execute(definition)
        await self.conn.execute("RESET session_replication_role")
        log("  VACUUM ANALYZE...")
        await self.conn.execute("VACUUM (ANALYZE)")
        seeded = Seeded(
            self.size, n_assets, incidents, draw.next_fresh, time.perf_counter() - started,
            last_xact=self.xact(self.size),
        )  # fmt: skip
        for table in sorted(self.copied):
            seeded.rows[table] = await self.conn.fetchval(f'SELECT count(*) FROM "{table}"')
        seeded.database_bytes = await self.conn.fetchval(
            "SELECT pg_database_size(current_database())"
        )
        return seeded

    async def _drop_indexes(self) -> list[str]:
        """Plain secondary indexes of the big tables, dropped for the COPY and rebuilt after it
        from their own definitions (what the migrations created, unchanged)."""
        rows = await self.conn.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public'"
            " AND i.tablename = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            "  WHERE c.conname = i.indexname)",
            list(INDEXED_TABLES),
        )
        for row in rows:
            await self.conn.execute(f'DROP INDEX "{row["indexname"]}"')
        return [row["indexdef"] for row in rows]

    async def _seed_assets(self, at: datetime) -> None:
        world = self.world
        reports, assets, asset_reports, inventory, inventory_cves = [], [], [], [], []
        for asset in world.assets:
            org = world.orgs[asset.org]
            received = at + timedelta(seconds=asset.pk)
            model = asset.model()
            key = product_key(model.vendor, model.product)
            reports.append((asset.pk, self.xact(asset.pk), "asset", org.id, org.key_id, received,
                            f"seed-asset-{asset.pk}"))  # fmt: skip
            assets.append((
                asset.pk, org.id, asset.asset_id, org.sector, model.name, model.kind, model.vendor,
                model.product, model.version, model.criticality, model.internet_exposed,
                json.dumps(model.cves), model.location, key, asset.pk, received, received,
            ))  # fmt: skip
            asset_reports.append(
                (asset.pk, asset.pk, org.id, key, json.dumps(model.model_dump(mode="json")))
            )
            inventory.append((org.id, asset.asset_id, org.sector, model.vendor, model.product, key,
                              json.dumps(model.cves)))  # fmt: skip
            inventory_cves.extend((cve, org.id, asset.asset_id) for cve in model.cves)
        await self.copy("reports", REPORT_COLUMNS, reports)
        await self.copy(
            "assets",
            ("id", "org_id", "asset_id", "sector", "name", "kind", "vendor", "product", "version",
             "criticality", "internet_exposed", "cves", "location", "product_key", "report_id",
             "created_at", "updated_at"),
            assets,
        )  # fmt: skip
        await self.copy(
            "asset_reports", ("id", "asset_pk", "org_id", "product_key", "data"), asset_reports
        )
        await self.copy(
            "inventory",
            ("org_id", "asset_id", "sector", "vendor", "product", "product_key", "cves"),
            inventory,
        )
        await self.copy("inventory_cves", ("cve", "org_id", "asset_id"), inventory_cves)

    def _incident_rows(
        self, report_id: int, spec: IncidentSpec, out: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        org = self.world.orgs[spec.org]
        criticality = max(
            (a.criticality for a in spec.assets), key=CRITICALITY_ORDER.__getitem__, default=None
        )
        severity, level = self.severity(spec, criticality, org.sector)
        received, detected = spec.received_at, spec.detected_at
        out["reports"].append(
            (report_id, self.xact(report_id), "incident", org.id, org.key_id, received, None)
        )
        out["incidents"].append((
            report_id, org.id, org.sector, received, detected, spec.occurred_at, spec.category,
            spec.functional_impact, spec.information_impact, spec.recoverability, spec.location,
            criticality, summary_of(spec), spec.tlp, f"INC-{report_id}",
        ))  # fmt: skip
        out["incident_scores"].append((report_id, severity, level))
        since = received - self.window
        for kind, value, source, _number in spec.indicators:
            self.indicator_id += 1
            out["indicators"].append(
                (self.indicator_id, report_id, org.id, org.sector, kind, value, detected)
            )
            if source == "benign" and not may_form_campaign(kind, value, cfg=self.cfg):
                continue
            if source == "fresh":
                strongest = json.dumps([[detected.isoformat(), severity]])
                out["indicator_orgs"].append(
                    (kind, value, org.id, org.sector, detected, detected, strongest)
                )
                continue
            key = (kind, value, spec.org)
            own = self.agg.get(key)
            if own is not None and own[1] > since:
                first, last = min(own[0], detected), max(own[1], detected)
            else:
                first = last = detected
            previous = own[2] if own is not None else []
            kept = keep_strongest([*previous, (detected, severity)], since=since)
            self.agg[key] = (first, last, kept, org.sector)
        keys = {f"product:{a.product.key}" for a in spec.assets if a.product is not None}
        keys |= {f"cve:{value}" for kind, value, _, _ in spec.indicators if kind == "cve"}
        for match_key in keys:
            self.sources[match_key] = (report_id, spec.org, severity, detected, received)
        for asset in spec.assets:
            key = asset.product.key if asset.product is not None else None
            out["incident_assets"].append((report_id, asset.pk, key))
        if received > HISTORY_END - self.window:
            self.recent_scores.append((report_id, spec.org, severity, detected))
        if report_id % WARNING_EVERY == 0:
            self._warning_rows(spec, org, level, received, out)

    def _warning_rows(
        self, spec: IncidentSpec, org: Org, level: str, at: datetime, out: dict[str, list[Any]]
    ) -> None:
        """The event log the history left: a warning (and its event) every WARNING_EVERY
        reports, so the tables the correlator appends to are not empty either."""
        self.warning_id += 1
        seq = self.warning_id
        kind = ("exposure", "campaign", "sector_level")[seq % 3]
        targets = [org.id] if kind == "exposure" else None
        title = f"{kind.replace('_', ' ').capitalize()} warning {seq} in {org.sector}"
        data = {"id": seq, "kind": kind, "sector": org.sector, "level": level, "title": title}
        out["warnings"].append((
            seq, seq, kind, org.sector, json.dumps([org.sector]), level, title,
            json.dumps({"incident": spec.category}), json.dumps(targets) if targets else None,
            None, at, None, None,
        ))  # fmt: skip
        event = {
            "seq": seq, "type": "warning", "kind": kind, "sector": org.sector, "warning_id": seq,
            "data": json.dumps(data), "created_at": at,
            "audience": json.dumps({"sectors": [org.sector], "targets": targets or []}),
        }  # fmt: skip
        out["events"].append(tuple(event[name] for name in EVENT_COLUMNS))
        out["event_sectors"].append((org.sector, seq))
        if targets:
            out["event_targets"].append((org.id, seq))

    async def _flush(self, buffers: dict[str, list[tuple[Any, ...]]]) -> None:
        for table, columns in INCIDENT_TABLES.items():
            await self.copy(table, columns, buffers.pop(table, []))

    async def _seed_derived(self, last_report: int) -> None:
        world, cfg = self.world, self.cfg
        # indicator_orgs for every value seen more than once (fresh ones went in already).
        rows = []
        by_value: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for (kind, value, org), (first, last, kept, sector) in self.agg.items():
            strongest = [[t.isoformat(), s] for t, s in kept]
            org_id = world.orgs[org].id
            rows.append((kind, value, org_id, sector, first, last, json.dumps(strongest)))
            by_value[(kind, value)].append({
                "org_id": org_id, "sector": sector, "first_seen": first, "last_seen": last,
                "strongest": strongest,
            })  # fmt: skip
        await self.copy("indicator_orgs", INDICATOR_ORG_COLUMNS, rows)
        # Campaigns the history made: active where the window at the end of the history
        # still shows one, with what the correlator would have announced; over otherwise.
        since = HISTORY_END - self.window
        campaigns = []
        for (kind, value), found in sorted(by_value.items()):
            if len(found) < cfg.campaign.min_orgs or not may_form_campaign(kind, value, cfg=cfg):
                continue
            facts = summarize_sightings(
                kind, value, as_sightings(found, since=since), HISTORY_END, cfg=cfg
            )
            first = min(f["first_seen"] for f in found)
            last = max(f["last_seen"] for f in found)
            if facts is not None and is_campaign(facts, cfg=cfg):
                announced = check_milestones(None, facts, cfg=cfg).announced
                assert announced is not None
                campaigns.append((
                    len(campaigns) + 1, kind, value, json.dumps(announced.to_json()), True,
                    facts.org_count, json.dumps(list(facts.sectors)), facts.max_severity,
                    campaign_level(facts, cfg=cfg).label, facts.first_seen, facts.last_seen,
                    HISTORY_END,
                ))  # fmt: skip
            else:
                sectors = sorted({f["sector"] for f in found})
                top = max((s for f in found for _, s in f["strongest"]), default=0.0)
                campaigns.append((
                    len(campaigns) + 1, kind, value, None, False, len(found), json.dumps(sectors),
                    top, "yellow", first, last, last,
                ))  # fmt: skip
        await self.copy(
            "campaigns",
            ("id", "indicator_type", "indicator_value", "announced", "active", "org_count",
             "sectors", "max_severity", "level", "first_seen", "last_seen", "updated_at"),
            campaigns,
        )  # fmt: skip
        # Exposure: the latest incident per product and CVE, and the holders warned about it.
        holders = world.holders()
        sources, notices = [], []
        for match_key, (incident_id, org, severity, detected, received) in sorted(
            self.sources.items()
        ):
            source_org = world.orgs[org]
            sources.append((match_key, incident_id, source_org.id, source_org.sector, severity,
                            detected))  # fmt: skip
            notices.extend(
                (world.orgs[h].id, match_key, received)
                for h in sorted(holders.get(match_key, ()))
                if h != org
            )
        await self.copy(
            "exposure_sources",
            ("match_key", "incident_id", "org_id", "sector", "severity", "detected_at"),
            sources,
        )
        await self.copy("exposure_notices", ("org_id", "match_key", "warned_at"), notices)
        # Sector states: the incremental score and recent window of the last hours.
        states = []
        for sector in self.sectors_cfg.sectors:
            score, window = SectorScore(cfg=cfg), RecentWindow(cfg=cfg)
            for incident_id, org, severity, detected in self.recent_scores:
                if world.orgs[org].sector == sector:
                    score.add(incident_id, world.orgs[org].id, severity, detected)
                    window.add(incident_id, world.orgs[org].id, severity, detected)
            window.prune(HISTORY_END)
            states.append((
                sector, json.dumps(score.to_json()), json.dumps(window.to_json()),
                json.dumps(LevelState.initial(HISTORY_END).to_json()), "none", "none",
                score.score(HISTORY_END), json.dumps({}), HISTORY_END,
            ))  # fmt: skip
        await self.copy(
            "sector_states",
            ("sector", "score_state", "window_state", "level_state", "level", "own_level",
             "score", "evidence", "evaluated_at"),
            states,
        )  # fmt: skip
        tick = datetime.fromtimestamp(math.floor(HISTORY_END.timestamp() / 60) * 60, UTC)
        await self.copy(
            "correlator_state",
            ("id", "xact", "report_id", "tick_at", "updated_at"),
            [(1, self.xact(last_report), last_report, tick, HISTORY_END)],
        )

    async def _set_sequences(self) -> None:
        for table, column in (("reports", "id"), ("indicators", "id"), ("assets", "id"),
                              ("campaigns", "id"), ("api_keys", "id"), ("warnings", "id"),
                              ("events", "seq")):  # fmt: skip
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            )


def check_columns(table: str, columns: Sequence[str]) -> None:
    """The schema moves while this benchmark does not: refuse to seed a table whose required
    columns it does not fill, naming them, rather than fail inside COPY."""
    definition = tables.metadata.tables[table]
    unknown = [name for name in columns if name not in definition.c]
    missing = [
        column.name
        for column in definition.c
        if not column.nullable
        and column.name not in columns
        and column.server_default is None
        and not (column.primary_key and column.autoincrement is True)
    ]
    if unknown or missing:
        raise BenchError(
            f"bench/correlator/run.py seeds {table} with columns that no longer match "
            f"awareness.db.tables: unknown {unknown}, required but not filled {missing}"
        )


# `audience` (who an event concerns, read by the broadcaster) is newer than some databases.
EVENT_COLUMNS = tuple(
    name
    for name in ("seq", "type", "kind", "sector", "warning_id", "data", "audience", "created_at")
    if name in tables.events.c
)
REPORT_COLUMNS = ("id", "xact", "kind", "org_id", "key_id", "received_at", "request_id")
INDICATOR_ORG_COLUMNS = ("indicator_type", "indicator_value", "org_id", "sector", "first_seen",
                         "last_seen", "strongest")  # fmt: skip
INCIDENT_TABLES: dict[str, tuple[str, ...]] = {
    "reports": REPORT_COLUMNS,
    "incidents": ("id", "org_id", "sector", "received_at", "detected_at", "occurred_at",
                  "category", "functional_impact", "information_impact", "recoverability",
                  "location", "asset_criticality", "summary", "tlp", "reference"),
    "indicators": ("id", "incident_id", "org_id", "sector", "type", "value", "detected_at"),
    "incident_assets": ("incident_id", "asset_pk", "product_key"),
    "incident_scores": ("incident_id", "severity", "level"),
    "indicator_orgs": INDICATOR_ORG_COLUMNS,
    "warnings": ("id", "seq", "kind", "sector", "sectors", "level", "title", "evidence",
                 "target_orgs", "campaign_id", "created_at", "acknowledged_at",
                 "acknowledged_by"),
    "events": EVENT_COLUMNS,
    "event_sectors": ("sector", "seq"),
    "event_targets": ("org_id", "seq"),
}  # fmt: skip
WARNING_EVERY = 50  # history reports per seeded warning


# ---------------------------------------------------------------------------------------------
# new reports: drawn per round, the same for every history size


@dataclass
class NewReport:
    org: int
    received_at: datetime
    incident: IncidentIn | None = None
    asset: AssetIn | None = None


def new_reports(
    world: World,
    *,
    round_no: int,
    count: int,
    start: datetime,
    interval: float,
    history_fresh: int,
    seed: int,
) -> list[NewReport]:
    """The same draws for every size; `reuse` lands on a value of that size's history at the
    same relative position."""
    rng = random.Random(seed * 1_000_003 + round_no)
    draw = Draw(world, fresh_base=NEW_FRESH_BASE + round_no * 1_000_000, reuse_limit=history_fresh)
    out = []
    for i in range(count):
        received = start + timedelta(seconds=(i + rng.random() * 0.5) * interval)
        org = world.org_pick.pick(rng)
        if rng.random() < 0.08:
            out.append(NewReport(org, received, asset=_asset_report(rng, world, org, round_no, i)))
            continue
        spec = draw.incident(rng, org, received)
        body = {
            "detected_at": spec.detected_at,
            "occurred_at": spec.occurred_at,
            "category": spec.category,
            "functional_impact": spec.functional_impact,
            "information_impact": spec.information_impact,
            "recoverability": spec.recoverability,
            "location": spec.location,
            "affected_assets": [a.asset_id for a in spec.assets],
            "indicators": [{"type": k, "value": v} for k, v, _, _ in spec.indicators],
            "summary": summary_of(spec),
            "tlp": spec.tlp,
            "reference": f"NEW-{round_no}-{i}",
        }
        context = {"now": received, "max_future_seconds": 300}
        out.append(
            NewReport(org, received, incident=IncidentIn.model_validate(body, context=context))
        )
    return out


def _asset_report(rng: random.Random, world: World, org: int, round_no: int, i: int) -> AssetIn:
    """Mostly an update of a known asset (a CVE patched or found, a new version), sometimes a
    new one."""
    own = world.org_assets[org]
    if own and rng.random() < 0.75:
        base = rng.choice(own)
        cves = list(base.cves)
        if cves and rng.random() < 0.5:
            cves.remove(rng.choice(cves))
        else:
            cves.append(world.cve_pick.pick(rng))
        asset = Asset(base.pk, org, base.asset_id, base.kind, base.product,
                      f"{rng.randint(1, 9)}.{rng.randint(0, 30)}", base.criticality,
                      base.internet_exposed, sorted(set(cves)), base.location)  # fmt: skip
    else:
        product = world.product_pick.pick(rng)
        cves = sorted(c for c in product.cves if rng.random() < 0.7)
        asset = Asset(0, org, f"new-r{round_no}-{i}", rng.choice(ASSET_KINDS), product, "1.0",
                      CRITICALITY.pick(rng), False, cves, rng.choice(LOCATIONS))  # fmt: skip
    return asset.model()


# ---------------------------------------------------------------------------------------------
# statements and plans


# auto_explain reports the plan of every statement (nested ones too: foreign-key checks) to the
# client as a NOTICE; log_analyze off, so the statements are not slowed by timing.
AUTO_EXPLAIN = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "off",
    "auto_explain.log_format": "json",
    "auto_explain.log_level": "notice",
    "auto_explain.log_nested_statements": "on",
}
_LIST = re.compile(r"\$\d+(?:::[A-Z ]+)?(?:\s*,\s*\$\d+(?:::[A-Z ]+)?)+")
_SPACE = re.compile(r"\s+")


_ONE = re.compile(r"IN \(\$\d+(?:::[A-Z ]+)?\)")


def normalize_statement(text: str) -> str:
    """One key per statement shape: whitespace collapsed, expanded IN lists folded."""
    return _ONE.sub("IN ($…)", _LIST.sub("$…", _SPACE.sub(" ", text.strip())))


class StatementLog:
    """Every statement the correlator's engine sent, and the plans auto_explain reported."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.example: dict[str, tuple[str, Any]] = {}
        self.plans: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.plan_errors: list[str] = []
        self.explained: set[str] = set()  # planned by EXPLAIN afterwards, not auto_explain

    def attach(self, database: Database, *, explain: bool) -> None:
        engine = database.engine.sync_engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any,
                  executemany: bool) -> None:  # fmt: skip
            key = normalize_statement(statement)
            self.counts[key] += 1
            if key not in self.example:
                params = parameters[0] if executemany and parameters else parameters
                self.example[key] = (statement, params)

        if not explain:
            return

        @sa.event.listens_for(engine, "do_connect")
        def _settings(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
            # Start-up parameters, so they hold for the whole session whatever the pool does
            # (a SET inside the pool's first transaction would be rolled back).
            cparams.setdefault("server_settings", {}).update(AUTO_EXPLAIN)

        @sa.event.listens_for(engine, "connect")
        def _listen(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.driver_connection.add_log_listener(self._notice)

    def _notice(self, _conn: Any, message: Any) -> None:
        text = getattr(message, "message", "") or ""
        if "plan:" not in text or "{" not in text:
            return
        try:
            plan = json.loads(text[text.index("{") :])
        except ValueError:
            self.plan_errors.append(text[:200])
            return
        self.plans[normalize_statement(plan.get("Query Text", ""))].append(plan["Plan"])


def plan_nodes(plan: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


@dataclass
class StatementReport:
    statement: str
    executions: int
    origin: str  # correlator (sent through SQLAlchemy), foreign-key check, or driver
    indexes: list[str]
    seq_scans: list[str]  # "table (rows)"
    big_seq_scans: list[str]
    full_index_scans: list[str]
    plan_shapes: int
    explained_by: str  # auto_explain, EXPLAIN, or none


def origin_of(key: str, log_: StatementLog) -> str:
    if key in log_.counts:
        return "correlator"
    if key.startswith("SELECT 1 FROM ONLY"):
        return "foreign-key check"
    return "driver"  # asyncpg's own type introspection and JIT switch


def analyze_plans(
    log_: StatementLog, rows: dict[str, float], threshold: int
) -> list[StatementReport]:
    reports = []
    keys = sorted(set(log_.counts) | set(log_.plans), key=lambda k: -log_.counts.get(k, 0))
    for key in keys:
        plans = log_.plans.get(key, [])
        indexes: set[str] = set()
        seq: set[str] = set()
        big: set[str] = set()
        full: set[str] = set()
        shapes = set()
        for plan in plans:
            shape = []
            for node in plan_nodes(plan):
                node_type = node.get("Node Type", "")
                relation = node.get("Relation Name")
                shape.append((node_type, relation, node.get("Index Name")))
                if node.get("Index Name"):
                    indexes.add(f"{node['Index Name']} ({node_type})")
                for arbiter in node.get("Conflict Arbiter Indexes", ()):
                    indexes.add(f"{arbiter} (ON CONFLICT arbiter)")
                if relation is None:
                    continue
                count = rows.get(relation, 0)
                if node_type == "Seq Scan":
                    seq.add(f"{relation} ({count:,.0f} rows)")
                    if count > threshold:
                        big.add(f"{relation} ({count:,.0f} rows)")
                if (
                    node_type in ("Index Scan", "Index Only Scan")
                    and "Index Cond" not in node
                    and count > threshold
                ):
                    full.add(f"{relation} via {node.get('Index Name')} ({count:,.0f} rows)")
            shapes.add(tuple(shape))
        reports.append(
            StatementReport(
                statement=key,
                executions=log_.counts.get(key, len(plans)),
                origin=origin_of(key, log_),
                indexes=sorted(indexes),
                seq_scans=sorted(seq),
                big_seq_scans=sorted(big),
                full_index_scans=sorted(full),
                plan_shapes=len(shapes),
                explained_by=(
                    "none" if not plans else "EXPLAIN" if key in log_.explained else "auto_explain"
                ),
            )
        )
    return reports


async def explain_missing(database: Database, log_: StatementLog) -> None:
    """Statements seen in timed rounds but not in the plan round: EXPLAIN them with the
    parameters they were first sent with."""
    missing = [k for k in log_.counts if k not in log_.plans and k in log_.example]
    for key in missing:
        statement, params = log_.example[key]
        if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            continue
        try:
            async with database.engine.connect() as conn, conn.begin() as transaction:
                result = await conn.exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + statement, tuple(params or ())
                )
                plan = result.scalar_one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                log_.plans[key].append(plan[0]["Plan"])
                log_.explained.add(key)
                await transaction.rollback()
        except Exception as exc:  # report, do not abort the run
            log_.plan_errors.append(f"EXPLAIN failed for {key[:120]}: {exc}")


# ---------------------------------------------------------------------------------------------
# one measured round


@dataclass
class RoundResult:
    round_no: int
    reports: int
    ingest_seconds: float
    batches: list[dict[str, float]]
    events: int
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def per_report_ms(self) -> list[float]:
        return [b["seconds"] * 1000 / b["processed"] for b in self.batches]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.per_report_ms)

    @property
    def p90_ms(self) -> float:
        return percentile(self.per_report_ms, 0.9)

    @property
    def total_ms_per_report(self) -> float:
        return sum(b["seconds"] for b in self.batches) * 1000 / self.reports

    @property
    def cpu_ms_per_report(self) -> float:
        """CPU of this process and of the correlator's PostgreSQL backend, per report: what
        the work costs, whoever else wants the two cores meanwhile."""
        cpu = sum(b["python_cpu"] + b["server_cpu"] for b in self.batches)
        return cpu * 1000 / self.reports

    @property
    def server_cpu_ms_per_report(self) -> float:
        return sum(b["server_cpu"] for b in self.batches) * 1000 / self.reports


_TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a local PostgreSQL backend (0 when not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = q * (len(ordered) - 1)
    low, high = math.floor(index), math.ceil(index)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


@dataclass
class Target:
    size: int
    db: str
    url: str
    settings: Settings
    seeded: Seeded | None = None
    rounds: list[RoundResult] = field(default_factory=list)
    statements: StatementLog = field(default_factory=StatementLog)


async def ingest(database: Database, world: World, items: list[NewReport], tag: str) -> list[int]:
    incident_ids = []
    for i, item in enumerate(items):
        org = world.orgs[item.org]
        principal = Principal(
            key_id=org.key_id, role=Role.operator, org_id=org.id, org_sector=org.sector
        )
        async with database.write() as conn:
            if item.incident is not None:
                incident_ids += await append_incidents(
                    conn, principal=principal, items=[item.incident], now=item.received_at,
                    request_id=f"{tag}-{i}",
                )  # fmt: skip
            else:
                assert item.asset is not None
                await upsert_assets(
                    conn, principal=principal, items=[item.asset], now=item.received_at,
                    request_id=f"{tag}-{i}",
                )  # fmt: skip
    return incident_ids


async def measure_round(
    target: Target,
    world: World,
    items: list[NewReport],
    *,
    round_no: int,
    limit: int,
    explain: bool,
) -> RoundResult:
    ingest_db = Database(target.url, options=target.settings.database)
    correlator_db = Database(target.url, options=target.settings.database)
    target.statements.attach(correlator_db, explain=explain)
    try:
        started = time.perf_counter()
        incident_ids = await ingest(ingest_db, world, items, f"bench-r{round_no}")
        ingest_seconds = time.perf_counter() - started
        batches: list[dict[str, float]] = []
        events = 0
        # As the correlator does (consumers/leader.py): one connection, one
        # transaction per batch.
        async with correlator_db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            backend = raw.driver_connection.get_server_pid()  # no statement of our own
            while True:
                server0, python0 = backend_cpu(backend), time.process_time()
                t0 = time.perf_counter()
                async with conn.begin():
                    outcome = await run_batch(
                        conn,
                        scoring=target.settings.scoring,
                        sectors=target.settings.sectors,
                        limit=limit,
                        now=FIXED_NOW,
                    )
                seconds = time.perf_counter() - t0
                python, server = time.process_time() - python0, backend_cpu(backend) - server0
                if outcome.processed == 0:
                    break
                events += len(outcome.appended)
                batches.append({
                    "processed": outcome.processed, "seconds": seconds,
                    "events": len(outcome.appended), "python_cpu": python, "server_cpu": server,
                })  # fmt: skip
            await asyncio.sleep(0.2)  # let the last auto_explain notices arrive
        processed = sum(b["processed"] for b in batches)
        async with ingest_db.read() as conn:
            scored = (
                await conn.execute(
                    sa.text("SELECT count(*) FROM incident_scores WHERE incident_id = ANY(:ids)"),
                    {"ids": incident_ids},
                )
            ).scalar_one()
        if processed != len(items) or scored != len(incident_ids):
            raise BenchError(
                f"size {target.size:,} round {round_no}: {len(items)} reports ingested, "
                f"{processed} processed, {scored}/{len(incident_ids)} incidents scored"
            )
        return RoundResult(round_no, len(items), ingest_seconds, batches, events, os.getloadavg())
    finally:
        await ingest_db.dispose()
        await correlator_db.dispose()


# ---------------------------------------------------------------------------------------------
# PostgreSQL housekeeping


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    admin_db: str

    def dsn(self, db: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{db}"

    def url(self, db: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{db}"

    async def admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.dsn(self.admin_db), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


async def table_rows(pg: Postgres, db: str) -> dict[str, float]:
    conn = await asyncpg.connect(pg.dsn(db))
    try:
        names = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"
            " WHERE s.nspname = 'public' AND c.relkind = 'r'"
        )
        return {
            row["relname"]: float(await conn.fetchval(f'SELECT count(*) FROM "{row["relname"]}"'))
            for row in names
        }
    finally:
        await conn.close()


async def server_facts(pg: Postgres) -> dict[str, Any]:
    conn = await asyncpg.connect(pg.dsn(pg.admin_db))
    try:
        facts = {"version": await conn.fetchval("SHOW server_version")}
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost",
                     "fsync", "synchronous_commit", "plan_cache_mode", "jit"):  # fmt: skip
            facts[name] = await conn.fetchval(f"SHOW {name}")
        return facts
    finally:
        await conn.close()


# ---------------------------------------------------------------------------------------------
# the run


async def prepare(pg: Postgres, target: Target, world: World, args: argparse.Namespace) -> None:
    await pg.admin(f'CREATE DATABASE "{target.db}"')
    database = Database(target.url, options=target.settings.database)
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()
    conn = await asyncpg.connect(pg.dsn(target.db))
    try:
        current = await conn.fetchval("SELECT pg_current_xact_id()::text::bigint")
        if current <= 200:
            raise BenchError("the server's transaction ids are too young to place the cursor")
        seeder = Seeder(
            conn, world, target.settings, size=target.size, recent=args.recent_reports,
            days=args.history_days, seed=args.seed,
        )  # fmt: skip
        target.seeded = await seeder.run()
    finally:
        await conn.close()


def round_plan(args: argparse.Namespace) -> list[tuple[int, int, datetime]]:
    """(round number, reports, first received_at): round 0 is the untimed plan round."""
    plan, start = [], HISTORY_END + timedelta(minutes=1)
    for round_no in range(args.rounds + 1):
        count = args.warmup_reports if round_no == 0 else args.new_reports
        plan.append((round_no, count, start))
        start += timedelta(seconds=count * args.interval + 60)
    return plan


async def run(args: argparse.Namespace, pg: Postgres, targets: list[Target]) -> dict[str, Any]:
    settings = targets[0].settings
    world = build_world(
        args.seed, orgs=args.orgs, assets_per_org=args.assets_per_org,
        sectors=settings.sectors.sectors,
        start=HISTORY_END - timedelta(days=args.history_days + 30),
    )  # fmt: skip
    check_normalized(world)
    smallest = min(t.size for t in targets)
    if len(world.assets) * 2 > smallest:
        raise BenchError(
            f"{len(world.assets):,} assets do not fit in a history of "
            f"{smallest:,} reports: lower --orgs or --assets-per-org"
        )
    # The same recent history for every size, and new reports at the same pace: the windows
    # hold the same amount before and during the measurement.
    args.recent_reports = min(args.recent_reports, (smallest - len(world.assets)) // 2)
    if args.interval is None:
        args.interval = settings.scoring.campaign.window_hours * 3600 / args.recent_reports
    log(f"{len(world.orgs)} organizations, {len(world.assets):,} assets; "
        f"{args.recent_reports:,} history reports in the last "
        f"{settings.scoring.campaign.window_hours:g} h; new reports every "
        f"{args.interval:.1f} s")  # fmt: skip
    for target in targets:
        log(f"size {target.size:,}: creating {target.db}, migrating, seeding...")
        await prepare(pg, target, world, args)
        assert target.seeded is not None
        log(f"size {target.size:,}: seeded in {target.seeded.seconds:.1f} s, "
            f"{target.seeded.database_bytes / 2**20:,.0f} MiB")  # fmt: skip
    plan = round_plan(args)
    for round_no, count, start in plan:
        order = targets if round_no % 2 == 0 else list(reversed(targets))
        for target in order:
            assert target.seeded is not None
            items = new_reports(
                world, round_no=round_no, count=count, start=start, interval=args.interval,
                history_fresh=target.seeded.fresh_values, seed=args.seed,
            )  # fmt: skip
            result = await measure_round(
                target, world, items, round_no=round_no, limit=args.batch_limit,
                explain=round_no == 0,
            )  # fmt: skip
            kind = "plan/warm-up round" if round_no == 0 else f"round {round_no}"
            log(f"size {target.size:,} {kind}: {count} reports ingested in "
                f"{result.ingest_seconds:.1f} s; correlated in {len(result.batches)} batches, "
                f"per report median {result.median_ms:.3f} ms, p90 {result.p90_ms:.3f} ms, "
                f"total/M {result.total_ms_per_report:.3f} ms, {result.events} events")  # fmt: skip
            if round_no > 0:
                target.rounds.append(result)
    for target in targets:
        database = Database(target.url, options=target.settings.database)
        try:
            await explain_missing(database, target.statements)
        finally:
            await database.dispose()
    return summarize(args, pg, targets, await server_facts(pg), world)


def summarize(
    args: argparse.Namespace,
    pg: Postgres,
    targets: list[Target],
    server: dict[str, Any],
    world: World,
) -> dict[str, Any]:
    sizes = []
    for target in targets:
        assert target.seeded is not None
        medians = [r.median_ms for r in target.rounds]
        sizes.append({
            "size": target.size,
            "database": target.db,
            "seeded": {
                "seconds": round(target.seeded.seconds, 1),
                "assets": target.seeded.assets,
                "incidents": target.seeded.incidents,
                "rows": target.seeded.rows,
                "database_mib": round(target.seeded.database_bytes / 2**20, 1),
            },
            "per_report_ms": {
                "median": statistics.median(medians),
                "p90": statistics.median(r.p90_ms for r in target.rounds),
                "total_over_m": statistics.median(r.total_ms_per_report for r in target.rounds),
                "cpu": statistics.median(r.cpu_ms_per_report for r in target.rounds),
                "server_cpu": statistics.median(
                    r.server_cpu_ms_per_report for r in target.rounds
                ),
                "round_medians": medians,
            },
            "rounds": [
                {"round": r.round_no, "reports": r.reports, "ingest_seconds": r.ingest_seconds,
                 "median_ms": r.median_ms, "p90_ms": r.p90_ms,
                 "total_ms_per_report": r.total_ms_per_report,
                 "cpu_ms_per_report": r.cpu_ms_per_report,
                 "server_cpu_ms_per_report": r.server_cpu_ms_per_report, "events": r.events,
                 "load_average": r.load_average, "batches": r.batches}
                for r in target.rounds
            ],
        })  # fmt: skip
    base = sizes[0]["per_report_ms"]
    for entry in sizes:
        entry["ratio_to_smallest"] = {
            key: entry["per_report_ms"][key] / base[key]
            for key in ("median", "p90", "total_over_m", "cpu")
        }
        # Round k of every size correlates the same new reports: their ratio is paired.
        entry["paired_round_ratios"] = [
            mine / theirs
            for mine, theirs in zip(entry["per_report_ms"]["round_medians"],
                                    base["round_medians"], strict=True)
        ]  # fmt: skip
    return {
        "sizes": sizes,
        "world": {
            "organizations": len(world.orgs),
            "assets": len(world.assets),
            "products": len(world.products),
            "shared_indicators": len(world.shared_groups),
        },
        "server": server,
    }


def print_summary(result: dict[str, Any], verdicts: dict[str, Any]) -> None:
    sizes = result["sizes"]
    tables = sorted({t for s in sizes for t in s["seeded"]["rows"]})
    print()
    print("Seeded rows")
    width = max(len(t) for t in tables)
    print(f"  {'table':<{width}} " + " ".join(f"{s['size']:>14,}" for s in sizes))
    for table in tables:
        print(f"  {table:<{width}} " + " ".join(
            f"{s['seeded']['rows'].get(table, 0):>14,}" for s in sizes))  # fmt: skip
    print(f"  {'(seconds to seed)':<{width}} "
          + " ".join(f"{s['seeded']['seconds']:>14,.1f}" for s in sizes))  # fmt: skip
    print(f"  {'(database MiB)':<{width}} "
          + " ".join(f"{s['seeded']['database_mib']:>14,.0f}" for s in sizes))  # fmt: skip
    print()
    print("Correlator cost per new report, ms (wall clock: median and p90 over batches, "
          "total/M; CPU of")  # fmt: skip
    print("this process + its PostgreSQL backend per report); each the median over rounds")
    print(f"  {'history':>12} {'median':>8} {'p90':>8} {'total/M':>8} {'cpu':>8} {'(pg)':>7}"
          f" {'ratio':>6} {'cpu ratio':>9}  round medians (paired ratios)")  # fmt: skip
    for s in sizes:
        p, r = s["per_report_ms"], s["ratio_to_smallest"]
        rounds = ", ".join(f"{m:.2f}" for m in p["round_medians"])
        paired = ", ".join(f"{m:.3f}" for m in s["paired_round_ratios"])
        print(f"  {s['size']:>12,} {p['median']:>8.3f} {p['p90']:>8.3f} {p['total_over_m']:>8.3f}"
              f" {p['cpu']:>8.3f} {p['server_cpu']:>7.3f} {r['median']:>6.3f} {r['cpu']:>9.3f}"
              f"  [{rounds}] ({paired})")  # fmt: skip
    ratio = verdicts["ratio"]
    met = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"  ratio largest/smallest, median wall-clock per report: {ratio:.3f} -> target <= "
          f"{TARGET_RATIO} {met} (total/M ratio {verdicts['ratio_total']:.3f}, "
          f"CPU ratio {verdicts['ratio_cpu']:.3f})")  # fmt: skip


def print_statements(reports: list[StatementReport], size: int) -> None:
    print()
    print(f"Statements the correlator ran (plans on the {size:,}-report history)")
    for r in reports:
        one_line = r.statement if len(r.statement) <= 150 else r.statement[:147] + "..."
        where = f"{r.executions}x" + ("" if r.origin == "correlator" else f", {r.origin}")
        flag = "SEQ SCAN ON BIG TABLE" if r.big_seq_scans or r.full_index_scans else "ok"
        print(f"  [{flag}] {where}: {one_line}")
        if r.indexes:
            print(f"      indexes: {', '.join(r.indexes)}")
        if r.seq_scans:
            print(f"      seq scans: {', '.join(r.seq_scans)}")
        if r.full_index_scans:
            print(f"      full index scans: {', '.join(r.full_index_scans)}")
        if r.explained_by == "none":
            print("      (no plan captured)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--admin-db", default="test", help="database to create the others from")
    parser.add_argument(
        "--sizes", default="10000,1000000", help="history sizes (stored reports), comma-separated"
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="fast check: sizes 2,000 and 20,000, 100 organizations with 4 assets each, "
             "600 new reports per round, 2 rounds, sequential scans allowed up to 20,000 rows",
    )  # fmt: skip
    parser.add_argument("--orgs", type=int, default=400, help="organizations (16 sectors)")
    parser.add_argument("--assets-per-org", type=int, default=5)
    parser.add_argument("--history-days", type=float, default=56, help="span of the history")
    parser.add_argument(
        "--recent-reports", type=int, default=3000,
        help="history reports inside the last 72 h (the campaign window), the same for "
             "every size; the rest is older",
    )  # fmt: skip
    parser.add_argument("--new-reports", type=int, default=3000, help="M, per measured round")
    parser.add_argument("--warmup-reports", type=int, default=600, help="untimed plan round")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per size")
    parser.add_argument("--batch-limit", type=int, default=200, help="run_batch(limit=)")
    parser.add_argument(
        "--interval", type=float, default=None,
        help="seconds between new reports' received_at (default: the pace of the recent "
             "history, 72 h / --recent-reports, so the windows hold as much during the "
             "measurement as before it)",
    )  # fmt: skip
    parser.add_argument(
        "--seq-scan-min-rows", type=int, default=5000,
        help="a sequential scan of a table with more rows than this fails the run",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "2000,20000"
        args.orgs, args.assets_per_org = 100, 4
        args.new_reports, args.warmup_reports, args.rounds = 600, 300, 2
        args.recent_reports = 700
        # Only 20,000 reports: a 200-id IN list over a 10,000-row table is cheaper to scan.
        args.seq_scan_min_rows = max(args.seq_scan_min_rows, 20_000)
    args.size_list = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if len(args.size_list) < 2:
        parser.error("--sizes needs at least two sizes")
    return args


def verdicts_of(result: dict[str, Any], reports: list[StatementReport]) -> dict[str, Any]:
    sizes = result["sizes"]
    largest, smallest = sizes[-1]["per_report_ms"], sizes[0]["per_report_ms"]
    big = [r for r in reports if r.big_seq_scans or r.full_index_scans]
    return {
        "ratio": largest["median"] / smallest["median"],
        "ratio_total": largest["total_over_m"] / smallest["total_over_m"],
        "ratio_cpu": largest["cpu"] / smallest["cpu"],
        "target": TARGET_RATIO,
        "ratio_met": largest["median"] / smallest["median"] <= TARGET_RATIO,
        "big_table_sequential_scans": [r.statement for r in big],
        "statements_without_plan": [r.statement for r in reports if r.explained_by == "none"],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user, args.admin_db)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    targets = []
    for size in args.size_list:
        db = f"bench_correlator_{size}_{stamp.lower()}_{os.getpid()}"
        url = pg.url(db)
        targets.append(Target(size, db, url, load_settings(database_url=url)))

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    status = 0
    try:
        result = asyncio.run(run(args, pg, targets))
        largest = targets[-1]
        rows = asyncio.run(table_rows(pg, largest.db))
        reports = analyze_plans(largest.statements, rows, args.seq_scan_min_rows)
        verdicts = verdicts_of(result, reports)
        print_statements(reports, largest.size)
        print_summary(result, verdicts)
        others = {}
        for target in targets[:-1]:
            small_rows = asyncio.run(table_rows(pg, target.db))
            others[target.size] = [
                r.__dict__ for r in analyze_plans(target.statements, small_rows,
                                                  args.seq_scan_min_rows)
            ]  # fmt: skip
        if largest.statements.plan_errors:
            print(f"\n{len(largest.statements.plan_errors)} plan capture problems, e.g. "
                  f"{largest.statements.plan_errors[0]}")  # fmt: skip
        if verdicts["big_table_sequential_scans"]:
            status = 1
            print("\nFAILED: the correlator reads a big table without an index:")
            for statement in verdicts["big_table_sequential_scans"]:
                print(f"  {statement}")
        elif not verdicts["ratio_met"] and not args.quick:
            status = 2
            print(f"\nFAILED: per-report time ratio {verdicts['ratio']:.3f} > {TARGET_RATIO}")
        if not verdicts["big_table_sequential_scans"]:
            print(f"\nEvery statement's plan on the {largest.size:,}-report history uses an "
                  f"index for each table over {args.seq_scan_min_rows:,} rows.")  # fmt: skip
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"correlator-{stamp}.json"
        out.write_text(json.dumps({
            "benchmark": "correlator",
            "started": stamp,
            "arguments": {k: v for k, v in vars(args).items()},
            "history_end": HISTORY_END.isoformat(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "versions": versions("sqlalchemy", "asyncpg"),
            "git": git_state(),
            **result,
            "verdicts": verdicts,
            "statements": [r.__dict__ for r in reports],
            "statements_smaller_sizes": others,
            "plan_errors": largest.statements.plan_errors[:20],
        }, indent=2, default=str))  # fmt: skip
        print(f"results: {out.relative_to(ROOT)}")
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        status = 130
    except BenchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip clean-up
        if not args.keep:
            for target in targets:
                try:
                    asyncio.run(pg.admin(f'DROP DATABASE IF EXISTS "{target.db}" WITH (FORCE)'))
                except Exception as exc:
                    print(f"could not drop {target.db}: {exc}", file=sys.stderr)
        else:
            print("kept: " + ", ".join(t.db for t in targets))
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return status


if __name__ == "__main__":
    sys.exit(main())
