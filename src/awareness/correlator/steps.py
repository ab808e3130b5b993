"""One report, one step: score an incident or replay an asset report, find campaigns and
exposures, then re-evaluate every sector at the report's time. Pure scoring does the judging;
this module only gathers its inputs and records its outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.correlator import lookups, sightings
from awareness.correlator.emit import emit_level_change, emit_warning
from awareness.correlator.state import Campaign, CorrelationState
from awareness.correlator.upsert import upsert
from awareness.db.tables import (
    campaigns,
    exposure_notices,
    exposure_sources,
    incident_scores,
    inventory,
    inventory_cves,
)
from awareness.eventlog import EventWriter
from awareness.scoring import (
    Floor,
    ScoringConfig,
    SectorInput,
    SectorsConfig,
    Sighting,
    assess_sector,
    campaign_evidence,
    campaign_level,
    campaign_title,
    check_milestones,
    exposure_due,
    exposure_evidence,
    exposure_level,
    incident_floors,
    incident_level,
    incident_severity,
    involved_recently,
    may_form_campaign,
    own_level,
    summarize_sightings,
)
from awareness.scoring.floors import CAMPAIGN

REASON_TITLES = {"detected": "Campaign detected", "new_sector": "Campaign spreads"}


@dataclass
class Step:
    """Everything a step reads and writes: the batch's transaction and the loaded state."""

    conn: AsyncConnection
    writer: EventWriter
    state: CorrelationState
    scoring: ScoringConfig
    sectors: SectorsConfig

    # ---- incidents -------------------------------------------------------------------------

    async def incident(
        self,
        report: dict[str, Any],
        indicators: list[tuple[str, str]],
        products: list[tuple[str, str | None, str | None]],
    ) -> None:
        at: datetime = report["received_at"]
        criticality = report["asset_criticality"]
        severity = incident_severity(
            functional_impact=report["functional_impact"],
            location=report["location"],
            information_impact=report["information_impact"],
            recoverability=report["recoverability"],
            asset_criticalities=[criticality] if criticality else [],
            sector=report["sector"],
            sectors=self.sectors,
            cfg=self.scoring,
        )
        row = {
            "incident_id": report["id"],
            "severity": severity,
            "level": incident_level(severity, cfg=self.scoring).label,
        }
        await upsert(self.conn, incident_scores, [row], keys=["incident_id"])
        record = self.state.sectors.get(report["sector"])
        if record is not None:
            args = (report["id"], report["org_id"], severity, report["detected_at"])
            record.score.add(*args)
            record.window.add(*args)
        sighting = Sighting(
            report["id"], report["org_id"], report["sector"], severity, report["detected_at"]
        )
        touched = {report["sector"]}
        for kind, value in indicators:
            touched |= await self._campaign(kind, value, sighting, at)
        keys = [
            (f"product:{key}", "product", key, vendor, product) for key, vendor, product in products
        ]
        keys += [
            (f"cve:{value}", "cve", value, None, None)
            for kind, value in indicators
            if kind == "cve"
        ]
        for match_key, matched_on, key, vendor, product in keys:
            await self._exposure_from_incident(
                sighting, match_key, matched_on, key, vendor, product, at
            )
        await self.evaluate(at, only=touched)

    async def _campaign(self, kind: str, value: str, sighting: Sighting, at: datetime) -> set[str]:
        """Record the sighting; returns the sectors of the campaign it belongs to, if any."""
        if not may_form_campaign(kind, value, cfg=self.scoring):
            return set()
        window = timedelta(hours=self.scoring.campaign.window_hours)
        campaign = self.state.campaigns.get((kind, value))
        seen = await sightings.record(self.conn, kind, value, sighting, since=at - window)
        facts = summarize_sightings(kind, value, seen, at, cfg=self.scoring)
        check = check_milestones(campaign.announced if campaign else None, facts, cfg=self.scoring)
        if facts is None or check.announced is None:
            return set()
        if campaign is None:
            campaign = await self._open_campaign(kind, value, seen, at)
        campaign.sightings = seen
        campaign.sectors = facts.sectors
        campaign.floor = None
        campaign.announced = check.announced
        await self._store_campaign(campaign, at)
        if check.reasons:
            reasons = check.reasons
            title = REASON_TITLES.get(reasons[0], f"Campaign {reasons[-1].replace('_', ' ')}")
            if "new_sector" in reasons:
                title += f" to {', '.join(check.new_sectors)}"
            await emit_warning(
                self.conn,
                self.writer,
                kind="campaign",
                sector=sighting.sector,
                sectors=facts.sectors,
                level=campaign_level(facts, cfg=self.scoring).label,
                title=f"{title}: {campaign_title(facts)}",
                evidence=campaign_evidence(
                    facts, cfg=self.scoring, reasons=reasons, campaign_id=campaign.id
                ),
                at=at,
                campaign_id=campaign.id,
            )
        return set(facts.sectors)

    async def _open_campaign(
        self, kind: str, value: str, seen: list[Sighting], at: datetime
    ) -> Campaign:
        existing = (
            await self.conn.execute(
                sa.select(campaigns.c.id).where(
                    campaigns.c.indicator_type == kind, campaigns.c.indicator_value == value
                )
            )
        ).scalar()
        if existing is None:
            facts = summarize_sightings(kind, value, seen, at, cfg=self.scoring)
            assert facts is not None
            existing = (
                await self.conn.execute(
                    campaigns.insert()
                    .values(
                        indicator_type=kind, indicator_value=value, announced=None, active=True,
                        org_count=facts.org_count, sectors=list(facts.sectors),
                        max_severity=facts.max_severity, level="none",
                        first_seen=facts.first_seen, last_seen=facts.last_seen, updated_at=at,
                    )
                    .returning(campaigns.c.id)
                )
            ).scalar_one()  # fmt: skip
        campaign = Campaign(existing, kind, value, seen, None)
        self.state.campaigns[(kind, value)] = campaign
        return campaign

    async def _store_campaign(self, campaign: Campaign, at: datetime) -> None:
        facts = summarize_sightings(
            campaign.kind, campaign.value, campaign.sightings, at, cfg=self.scoring
        )
        active = facts is not None and campaign.announced is not None
        values: dict[str, Any] = {
            "announced": campaign.announced.to_json() if campaign.announced else None,
            "active": active,
            "updated_at": at,
        }
        if facts is not None:
            values |= {
                "org_count": facts.org_count,
                "sectors": list(facts.sectors),
                "max_severity": facts.max_severity,
                "level": campaign_level(facts, cfg=self.scoring).label,
                "first_seen": facts.first_seen,
                "last_seen": facts.last_seen,
            }
        await self.conn.execute(
            campaigns.update().where(campaigns.c.id == campaign.id).values(values)
        )

    # ---- exposure --------------------------------------------------------------------------

    async def _exposure_from_incident(
        self,
        sighting: Sighting,
        match_key: str,
        matched_on: str,
        key: str,
        vendor: str | None,
        product: str | None,
        at: datetime,
    ) -> None:
        source = {
            "match_key": match_key,
            "incident_id": sighting.incident_id,
            "org_id": sighting.org_id,
            "sector": sighting.sector,
            "severity": sighting.severity,
            "detected_at": sighting.detected_at,
        }
        await upsert(self.conn, exposure_sources, [source], keys=["match_key"])
        if matched_on == "product":
            holders = await lookups.holders_of_product(self.conn, key)
        else:
            holders = await lookups.holders_of_cve(self.conn, key)
        holders = [h for h in holders if h.org_id != sighting.org_id]
        await self._warn_exposed(
            holders, sighting, match_key, matched_on, key, vendor, product, at, "incident"
        )

    async def _warn_exposed(
        self,
        holders: list[lookups.Holder],
        sighting: Sighting,
        match_key: str,
        matched_on: str,
        key: str,
        vendor: str | None,
        product: str | None,
        at: datetime,
        trigger: str,
    ) -> None:
        last = await lookups.last_notices(self.conn, match_key, [h.org_id for h in holders])
        due = [h for h in holders if exposure_due(last.get(h.org_id), at, cfg=self.scoring)]
        if not due:
            return
        evidence = exposure_evidence(
            matched_on=matched_on, key=key, vendor=vendor, product=product,
            source_sector=sighting.sector, source_severity=sighting.severity,
            source_detected_at=sighting.detected_at, target_asset_ids=(), trigger=trigger,
            cfg=self.scoring,
        )  # fmt: skip
        evidence.pop("assets", None)
        evidence["matches"] = {h.org_id: list(h.asset_ids) for h in due}
        what = f"{vendor} {product}" if matched_on == "product" else key
        level = exposure_level(sighting.severity, cfg=self.scoring)
        orgs = "organization runs" if len(due) == 1 else "organizations run"
        await emit_warning(
            self.conn,
            self.writer,
            kind="exposure",
            sector=sighting.sector,
            sectors=sorted({h.sector for h in due}),
            level=level.label,
            title=(
                f"Exposure: {what} was involved in a {level.label} incident in "
                f"{sighting.sector}; {len(due)} {orgs} it"
            ),
            evidence=evidence,
            at=at,
            target_orgs=[h.org_id for h in due],
        )
        await upsert(
            self.conn,
            exposure_notices,
            [{"org_id": h.org_id, "match_key": match_key, "warned_at": at} for h in due],
            keys=["org_id", "match_key"],
        )

    # ---- asset reports ---------------------------------------------------------------------

    async def asset(self, report: dict[str, Any], data: dict[str, Any], key: str | None) -> None:
        at: datetime = report["received_at"]
        org_id, asset_id = report["org_id"], data["asset_id"]
        previous = (
            await self.conn.execute(
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
        await upsert(self.conn, inventory, [row], keys=["org_id", "asset_id"])
        for cve in set(previous or []) - set(cves):
            await self.conn.execute(
                inventory_cves.delete().where(
                    inventory_cves.c.cve == cve,
                    inventory_cves.c.org_id == org_id,
                    inventory_cves.c.asset_id == asset_id,
                )
            )
        await upsert(
            self.conn,
            inventory_cves,
            [{"cve": cve, "org_id": org_id, "asset_id": asset_id} for cve in sorted(cves)],
            keys=["cve", "org_id", "asset_id"],
        )
        checks = [(f"product:{key}", "product", key)] if key else []
        checks += [(f"cve:{cve}", "cve", cve) for cve in cves]
        holder = lookups.Holder(org_id, report["sector"], (asset_id,))
        for match_key, matched_on, value in checks:
            source = await lookups.exposure_source(self.conn, match_key)
            if source is None or source["org_id"] == org_id:
                continue
            if not involved_recently(source["detected_at"], at, cfg=self.scoring):
                continue
            sighting = Sighting(
                source["incident_id"], source["org_id"], source["sector"], source["severity"],
                source["detected_at"],
            )  # fmt: skip
            await self._warn_exposed(
                [holder], sighting, match_key, matched_on, value, data.get("vendor"),
                data.get("product"), at, "asset",
            )  # fmt: skip

    # ---- levels ----------------------------------------------------------------------------

    async def evaluate(self, at: datetime, only: Iterable[str] | None = None) -> None:
        """Re-assess sectors at `at` (a report's time or a tick): all of them, or `only` those a
        report touched plus the dependents of any whose own level moved. Untouched sectors can
        only fall, with time, and ticks assess them all; so a report's cost does not grow with
        the number of sectors or campaigns. Campaigns whose sightings have left the window end
        here, so a later return is announced as new."""
        wanted = set(self.state.sectors) if only is None else set(only) & set(self.state.sectors)
        floors = await self._campaign_floors(at, wanted, expire=only is None)
        inputs = {sector: self._input(sector, at, floors) for sector in wanted}
        moved = set()
        for sector, given in inputs.items():
            record = self.state.sectors[sector]
            own = own_level(given.score, given.floors, cfg=self.scoring)
            if own != record.own:
                moved.add(sector)
            record.own = own
        followers = {
            dependent
            for provider in moved
            for dependent in self.sectors.dependents_of(provider)
            if dependent not in inputs and dependent in self.state.sectors
        }
        if followers:
            floors |= await self._campaign_floors(at, followers, expire=False)
            for sector in followers:
                inputs[sector] = self._input(sector, at, floors)
        own_levels = {sector: record.own for sector, record in self.state.sectors.items()}
        for sector in sorted(inputs):
            record = self.state.sectors[sector]
            outcome = assess_sector(
                sector, inputs[sector], own_levels, record.level, at,
                sectors=self.sectors, cfg=self.scoring,
            )  # fmt: skip
            record.level = outcome.state
            record.score_value = outcome.score
            record.evidence = outcome.evidence
            record.evaluated_at = at
            if outcome.changed:
                await emit_level_change(self.conn, self.writer, outcome, at=at)

    def _input(
        self, sector: str, at: datetime, campaign_floors: dict[str, list[Floor]]
    ) -> SectorInput:
        record = self.state.sectors[sector]
        record.window.prune(at)
        floors = incident_floors(
            record.window, at, org_count=self.state.org_count(sector, at), cfg=self.scoring
        )
        return SectorInput(
            score=record.score.score(at),
            floors=(*floors, *campaign_floors.get(sector, ())),
            contributions=tuple(record.score.top(at, self.scoring.evidence.top_incidents)),
        )

    async def _campaign_floors(
        self, at: datetime, sectors: set[str], *, expire: bool
    ) -> dict[str, list[Floor]]:
        """The campaign floors of `sectors`, one floor per campaign shared by its sectors."""
        floors: dict[str, list[Floor]] = {}
        for campaign in list(self.state.campaigns.values()):
            if not expire and sectors.isdisjoint(campaign.sectors):
                continue
            fresh = campaign.floor_until is not None and at < campaign.floor_until
            if campaign.floor is None or not fresh:
                facts = summarize_sightings(
                    campaign.kind, campaign.value, campaign.sightings, at, cfg=self.scoring
                )
                if facts is None or facts.org_count < self.scoring.campaign.min_orgs:
                    if expire:
                        campaign.announced = None
                        await self._store_campaign(campaign, at)
                        del self.state.campaigns[(campaign.kind, campaign.value)]
                    continue
                window = timedelta(hours=self.scoring.campaign.window_hours)
                campaign.sectors = facts.sectors
                # The summary changes when its oldest sighting still inside the window leaves it.
                campaign.floor_until = (
                    min(s.detected_at for s in campaign.sightings if at - s.detected_at < window)
                    + window
                )
                campaign.floor = Floor(
                    CAMPAIGN,
                    campaign_level(facts, cfg=self.scoring),
                    f"campaign: {campaign_title(facts)}",
                    campaign_evidence(facts, cfg=self.scoring, campaign_id=campaign.id),
                )
            for sector in sectors.intersection(campaign.sectors):
                floors.setdefault(sector, []).append(campaign.floor)
        return floors

    def quiet(self) -> bool:
        """Nothing a tick could change: every sector at none and no campaign in progress."""
        return not self.state.campaigns and all(
            record.level.level == 0 for record in self.state.sectors.values()
        )
