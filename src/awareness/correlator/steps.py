"""One incident report, one step: score it, record its indicators for campaigns and what it
names for exposure, then re-evaluate the sectors it touched at the report's time. (An asset
report's step is `exposure.replay_asset`.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from awareness.correlator import campaigns, exposure, levels
from awareness.correlator.state import Context
from awareness.scoring import Sighting, incident_level, incident_severity


async def incident(
    ctx: Context,
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
        sectors=ctx.sectors,
        cfg=ctx.scoring,
    )
    row = {
        "incident_id": report["id"],
        "severity": severity,
        "level": incident_level(severity, cfg=ctx.scoring).label,
    }
    ctx.scores.append(row)
    record = ctx.state.sectors.get(report["sector"])
    if record is not None:
        args = (report["id"], report["org_id"], severity, report["detected_at"])
        record.score.add(*args)
        record.window.add(*args)
        ctx.state.changed.add(report["sector"])
    sighting = Sighting(
        report["id"], report["org_id"], report["sector"], severity, report["detected_at"]
    )
    touched = {report["sector"]} | await campaigns.record_sightings(ctx, indicators, sighting, at)
    for match in exposure.incident_matches(indicators, products):
        await exposure.warn_from_incident(ctx, sighting, match, at)
    await levels.evaluate(ctx, at, only=touched)
