"""Sector levels in a step: gather each sector's score, incident floors and campaign floors at
the instant, let `scoring.assess_sectors` judge, record every level that changed, and announce
a rise that puts dependent sectors at risk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from awareness.correlator import campaigns
from awareness.correlator.emit import emit_dependency, emit_level_change
from awareness.correlator.state import Context
from awareness.scoring import (
    Floor,
    SectorInput,
    assess_sectors,
    dependency_announcement,
    dependency_risk,
    incident_floors,
)


async def evaluate(ctx: Context, at: datetime, only: Iterable[str] | None = None) -> None:
    """Re-assess sectors at `at` (a report's time or a tick): all of them, or `only` those a
    report touched. A sector's level rests on its own reports, so untouched sectors can only
    fall, with time, and ticks assess them all; a report's cost does not grow with the number
    of sectors or campaigns. Campaigns that no window sees any more end on a tick, so a later
    return is announced as new."""
    records = ctx.state.sectors
    wanted = set(records) if only is None else set(only) & set(records)
    ctx.state.changed |= wanted
    floors = await campaigns.floors(ctx, at, wanted, expire=only is None)
    inputs = {sector: _input(ctx, sector, at, floors) for sector in wanted}
    outcomes = assess_sectors(
        inputs,
        {sector: records[sector].level for sector in inputs},
        at,
        sectors=ctx.sectors,
        cfg=ctx.scoring,
        only=sorted(inputs),
    )
    for outcome in outcomes.values():
        record = records[outcome.sector]
        record.level = outcome.state
        record.score_value = outcome.score
        record.evidence = outcome.evidence
        record.evaluated_at = at
    levels = {sector: record.level.level for sector, record in records.items()}
    for sector, outcome in outcomes.items():
        if not outcome.changed:
            continue
        risk = dependency_risk(sector, levels, sectors=ctx.sectors, cfg=ctx.scoring)
        await emit_level_change(ctx.conn, ctx.writer, outcome, at=at, dependency_risk=risk)
        record = records[sector]
        announce, record.dependency_announced = dependency_announcement(
            record.dependency_announced, outcome.state.level, cfg=ctx.scoring
        )
        if announce and ctx.sectors.dependents_of(sector):
            await emit_dependency(ctx.conn, ctx.writer, outcome, at=at, sectors=ctx.sectors)


def _input(
    ctx: Context, sector: str, at: datetime, campaign_floors: dict[str, list[Floor]]
) -> SectorInput:
    record = ctx.state.sectors[sector]
    record.window.prune(at)
    floors = incident_floors(
        record.window, at, org_count=ctx.state.org_count(sector, at), cfg=ctx.scoring
    )
    return SectorInput(
        score=record.score.score(at),
        floors=(*floors, *campaign_floors.get(sector, ())),
        contributions=tuple(record.score.top(at, ctx.scoring.evidence.top_incidents)),
    )


def quiet(ctx: Context) -> bool:
    """Nothing a tick could change: every sector at none and no campaign in progress."""
    return not ctx.state.campaigns and all(
        record.level.level == 0 for record in ctx.state.sectors.values()
    )
