"""Matching inventories against the shipped KEV catalogue and ICS advisories (issue 17).

Imports the shipped snapshots (1,404 KEV entries, 724 CSAF advisories) into a fresh database,
registers `--assets` assets over `--orgs` operators (vendor and product drawn, with a fixed
seed, from the advisories' own products, half with a version, plus vendors no advisory names),
then times the matcher's full pass after an import (`correlator.vulnerabilities.match_requested`
in one transaction: candidates read by vendor and CVE, matched, warnings written). Side by side,
the baseline: the pure matcher given every advisory and KEV entry for each of `--baseline`
assets, as a matcher without the vendor pre-selection would run, and given the candidates the
matcher selects. Prints each per asset and the selection's ratio.

    .venv/bin/python -m bench.vulnerabilities.run                   # SQLite, temporary directory
    .venv/bin/python -m bench.vulnerabilities.run --database-url postgresql+asyncpg://postgres@127.0.0.1/db
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from bench.harness import log

from awareness.auth import keys, orgs
from awareness.auth.principal import Role
from awareness.correlator.vulnerabilities import (
    _advisories,
    _candidates,
    _kev,
    _Stored,
    _vendor,
    match_requested,
    request_scan,
)
from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from awareness.db.tables import (
    advisory_products,
    assets,
    kev_entries,
    reports,
    vulnerability_hits,
    warnings,
)
from awareness.demo.snapshots import import_snapshots
from awareness.eventlog.writer import EventWriter
from awareness.scoring.advisories import Asset, match
from awareness.settings import load_settings

NOW = datetime(2026, 12, 1, tzinfo=UTC)
OTHER_VENDORS = ("Cisco", "Microsoft", "Fortinet", "Acme Controls", "Contoso")
VERSIONS = ("1.0", "2.3.1", "V3.0", "V11.6.1", "4.2", "8.1.1.3", "V2.9", "12.38")


async def load(url: str, count: int, org_count: int, settings) -> list[Asset]:  # type: ignore[no-untyped-def]
    database = Database(url)
    try:
        await upgrade_to_head(database)
        started = time.perf_counter()
        await import_snapshots(database, now=NOW, aliases=settings.vendors.aliases)
        log(f"imported the shipped snapshots in {time.perf_counter() - started:.1f} s")
        async with database.write() as conn:
            names = (
                await conn.execute(
                    sa.select(advisory_products.c.vendor, advisory_products.c.product)
                    .distinct()
                    .order_by(advisory_products.c.vendor, advisory_products.c.product)
                )
            ).all()
            for n in range(org_count):
                await orgs.create_org(
                    conn, org_id=f"op-{n}", name=f"Operator {n}", sector="energy", region=None,
                    known_sectors=settings.sectors.sectors, now=NOW, actor="bench",
                )  # fmt: skip
            chance = random.Random(17)
            drawn = []
            for n in range(count):
                if chance.random() < 0.2:
                    vendor, product = chance.choice(OTHER_VENDORS), f"Product {n % 50}"
                else:
                    vendor, product = chance.choice(names)
                version = chance.choice(VERSIONS) if chance.random() < 0.5 else None
                drawn.append(Asset(vendor, product[:200], version, ()))
            key = await keys.create_key(
                conn, role=Role.operator, org_id="op-0", sectors=None, name="bench",
                known_sectors=settings.sectors.sectors, now=NOW, actor="bench",
            )  # fmt: skip
            report_id = (
                await conn.execute(
                    reports.insert()
                    .values(kind="asset", org_id="op-0", key_id=key.id, received_at=NOW)
                    .returning(reports.c.id)
                )
            ).scalar_one()
            await conn.execute(
                assets.insert(),
                [
                    {"org_id": f"op-{n % org_count}", "asset_id": f"asset-{n}",
                     "sector": "energy", "kind": "other", "vendor": a.vendor,
                     "product": a.product, "version": a.version, "criticality": "medium",
                     "internet_exposed": False, "cves": [], "location": "unknown",
                     "report_id": report_id, "created_at": NOW, "updated_at": NOW}
                    for n, a in enumerate(drawn)
                ],
            )  # fmt: skip
            await request_scan(conn, reason="csaf", at=NOW)
        return drawn
    finally:
        await database.dispose()


async def matcher_pass(url: str, settings) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    database = Database(url)
    try:
        started = time.perf_counter()
        async with database.write() as conn:
            await match_requested(
                conn, EventWriter(conn), aliases=settings.vendors.aliases,
                scoring=settings.scoring, now=NOW, batch=1000,
            )  # fmt: skip
        seconds = time.perf_counter() - started
        async with database.read() as conn:
            found = (
                await conn.execute(sa.select(sa.func.count()).select_from(vulnerability_hits))
            ).scalar_one()
            warned = (
                await conn.execute(sa.select(sa.func.count()).select_from(warnings))
            ).scalar_one()
        return seconds, found, warned
    finally:
        await database.dispose()


async def baseline(url: str, drawn: list[Asset], settings) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds per asset of the pure matcher: given the candidates the matcher selects (by
    vendor and CVE), and given every advisory and KEV entry."""
    aliases = settings.vendors.aliases
    database = Database(url)
    try:
        async with database.read() as conn:
            ids = list((await conn.execute(sa.text("SELECT id FROM advisories"))).scalars())
            everything = list((await _advisories(conn, ids)).values())
            rows = (await conn.execute(sa.select(kev_entries))).mappings()
            kev = {row["cve"]: _kev(row) for row in rows}
            stored = [_Stored("o", f"a{n}", "energy", a, None) for n, a in enumerate(drawn)]  # type: ignore[arg-type]
            chosen = await _candidates(conn, stored, aliases)
    finally:
        await database.dispose()
    started = time.perf_counter()
    for asset in drawn:
        vendor = _vendor(asset.vendor, aliases)
        mine = chosen.advisories_for(vendor, asset.cves)
        match(asset, mine, chosen.kev_for(vendor, asset.cves, mine), aliases=aliases)
    selected = (time.perf_counter() - started) / len(drawn)
    started = time.perf_counter()
    for asset in drawn:
        match(asset, everything, kev, aliases=aliases)
    return selected, (time.perf_counter() - started) / len(drawn)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--orgs", type=int, default=40)
    parser.add_argument("--baseline", type=int, default=200, help="assets the baseline matches")
    args = parser.parse_args()
    settings = load_settings()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        drawn = await load(url, args.assets, args.orgs, settings)
        seconds, found, warned = await matcher_pass(url, settings)
        per_asset = seconds / args.assets
        log(f"matcher: {args.assets} assets in {seconds:.2f} s ({per_asset * 1000:.2f} ms/asset); "
            f"{found} findings, {warned} warnings")  # fmt: skip
        selected, every = await baseline(url, drawn[: args.baseline], settings)
        log(f"pure matching of {args.baseline} assets: {selected * 1000:.2f} ms/asset on the "
            f"selected candidates, {every * 1000:.2f} ms/asset on everything")  # fmt: skip
        print(f"matcher pass {per_asset * 1000:.2f} ms/asset (matching and writing); pure "
              f"matching {selected * 1000:.2f} ms/asset selected vs {every * 1000:.2f} ms/asset "
              f"everything: selection {every / selected:.1f}x")  # fmt: skip


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
