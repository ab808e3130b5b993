"""Exposure in a step: an incident that names a product or a CVE warns the other organizations
whose inventory holds it, and an asset reported later is checked against recent incidents.
`scoring.exposure` judges; this module keeps the inventory and records who was warned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from awareness.correlator import lookups
from awareness.correlator.emit import emit_warning
from awareness.correlator.state import Context
from awareness.correlator.vulnerabilities import request_scan
from awareness.db.tables import exposure_notices, exposure_sources, inventory, inventory_cves
from awareness.db.upsert import upsert
from awareness.scoring import (
    Sighting,
    exposure_due,
    exposure_evidence,
    exposure_level,
    involved_recently,
)
from awareness.scoring.exposure import CVE, PRODUCT
from awareness.views.markings import report_marking


@dataclass(frozen=True, slots=True)
class Match:
    """What a report names that other inventories may hold: a product (by its key, with the
    vendor and product as reported) or a CVE."""

    on: str
    key: str
    vendor: str | None = None
    product: str | None = None

    @property
    def match_key(self) -> str:
        return f"{self.on}:{self.key}"

    @property
    def name(self) -> str:
        return f"{self.vendor} {self.product}" if self.on == PRODUCT else self.key


def incident_matches(
    indicators: Iterable[tuple[str, str]], products: Iterable[tuple[str, str | None, str | None]]
) -> list[Match]:
    """The products of an incident's affected assets, then its `cve` indicators."""
    found = [Match(PRODUCT, key, vendor, product) for key, vendor, product in products]
    return found + [Match(CVE, value) for kind, value in indicators if kind == CVE]


async def warn_from_incident(ctx: Context, sighting: Sighting, match: Match, at: datetime) -> None:
    source = {
        "match_key": match.match_key,
        "incident_id": sighting.incident_id,
        "org_id": sighting.org_id,
        "sector": sighting.sector,
        "severity": sighting.severity,
        "detected_at": sighting.detected_at,
    }
    await upsert(ctx.conn, exposure_sources, [source], keys=["match_key"])
    if match.on == PRODUCT:
        holders = await lookups.holders_of_product(ctx.conn, match.key)
    else:
        holders = await lookups.holders_of_cve(ctx.conn, match.key)
    others = [h for h in holders if h.org_id != sighting.org_id]
    await _warn(ctx, others, sighting, match, at, trigger="incident")


async def replay_asset(
    ctx: Context, report: dict[str, Any], data: dict[str, Any], key: str | None
) -> None:
    """Bring the inventory to this asset report, then flag it at once if what it runs was
    involved in a recent incident elsewhere."""
    at: datetime = report["received_at"]
    org_id, asset_id = report["org_id"], data["asset_id"]
    previous = (
        await ctx.conn.execute(
            sa.select(inventory.c.cves).where(
                inventory.c.org_id == org_id, inventory.c.asset_id == asset_id
            )
        )
    ).scalar()
    cves: list[str] = list(data.get("cves") or [])
    row = {
        "org_id": org_id,
        "asset_id": asset_id,
        "sector": report["sector"],
        "vendor": data.get("vendor"),
        "product": data.get("product"),
        "product_key": key,
        "cves": cves,
    }
    await upsert(ctx.conn, inventory, [row], keys=["org_id", "asset_id"])
    for cve in set(previous or []) - set(cves):
        await ctx.conn.execute(
            inventory_cves.delete().where(
                inventory_cves.c.cve == cve,
                inventory_cves.c.org_id == org_id,
                inventory_cves.c.asset_id == asset_id,
            )
        )
    await upsert(
        ctx.conn,
        inventory_cves,
        [{"cve": cve, "org_id": org_id, "asset_id": asset_id} for cve in sorted(cves)],
        keys=["cve", "org_id", "asset_id"],
    )
    # The evidence names the asset's vendor and product, whichever way it matched.
    vendor, product = data.get("vendor"), data.get("product")
    matches = [Match(PRODUCT, key, vendor, product)] if key else []
    matches += [Match(CVE, cve, vendor, product) for cve in cves]
    holder = lookups.Holder(org_id, report["sector"], (asset_id,))
    for match in matches:
        source = await lookups.exposure_source(ctx.conn, match.match_key)
        if source is None or source["org_id"] == org_id:
            continue
        if not involved_recently(source["detected_at"], at, cfg=ctx.scoring):
            continue
        sighting = Sighting(
            source["incident_id"], source["org_id"], source["sector"], source["severity"],
            source["detected_at"],
        )  # fmt: skip
        await _warn(ctx, [holder], sighting, match, at, trigger="asset")


async def _warn(
    ctx: Context,
    holders: list[lookups.Holder],
    sighting: Sighting,
    match: Match,
    at: datetime,
    *,
    trigger: str,
) -> None:
    """One warning to the holders not warned of this match within the dedup window."""
    last = await lookups.last_notices(ctx.conn, match.match_key, [h.org_id for h in holders])
    due = [h for h in holders if exposure_due(last.get(h.org_id), at, cfg=ctx.scoring)]
    if not due:
        return
    evidence = exposure_evidence(
        matched_on=match.on, key=match.key, vendor=match.vendor, product=match.product,
        source_sector=sighting.sector, source_severity=sighting.severity,
        source_detected_at=sighting.detected_at, target_asset_ids=(), trigger=trigger,
        cfg=ctx.scoring,
    )  # fmt: skip
    evidence.pop("assets", None)
    evidence["matches"] = {h.org_id: list(h.asset_ids) for h in due}
    # Each target's sector, so a reader scoped to some sectors sees only their organizations.
    evidence["target_sectors"] = {h.org_id: h.sector for h in due}
    level = exposure_level(sighting.severity, cfg=ctx.scoring)
    orgs = "organization runs" if len(due) == 1 else "organizations run"
    await emit_warning(
        ctx.conn,
        ctx.writer,
        kind="exposure",
        sector=sighting.sector,
        sectors=sorted({h.sector for h in due}),
        level=level.label,
        title=(
            f"Exposure: {match.name} was involved in a {level.label} incident in "
            f"{sighting.sector}; {len(due)} {orgs} it"
        ),
        evidence=evidence,
        at=at,
        target_orgs=[h.org_id for h in due],
        marked=await report_marking(
            ctx.conn,
            sighting.incident_id,
            kind=match.on,
            value=match.key,
            aliases=(match.name, match.vendor or "", match.product or ""),
        ),
    )
    # The matcher raises it if the KEV catalogue lists its product or CVE.
    await request_scan(ctx.conn, reason="exposure", at=at)
    await upsert(
        ctx.conn,
        exposure_notices,
        [{"org_id": h.org_id, "match_key": match.match_key, "warned_at": at} for h in due],
        keys=["org_id", "match_key"],
    )
