"""Sector levels in a step: gather each sector's score, incident floors and campaign floors at
the instant, let `scoring.assess_sectors` judge, and record every level that changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from awareness.correlator import campaigns
from awareness.correlator.emit import emit_level_change
from awareness.correlator.state import Context
from awareness.scoring import Floor, SectorInput, assess_sectors, incident_floors, own_level


async def evaluate(ctx: Context, at: datetime, only: Iterable[str] | None = None) -> None:
    """Re-assess sectors at `at` (a report's time or a tick): all of them, or `only` those a
    report touched plus the dependents of any whose own level moved. Untouched sectors can
    only fall, with time, and ticks assess them all; so a report's cost does not grow with the
    number of sectors or campaigns. Campaigns whose sightings have left the window end on a
    tick, so a later return is announced as new."""
    records = ctx.state.sectors
    wanted = set(records) if only is None else set(only) & set(records)
    floors = await campaigns.floors(ctx, at, wanted, expire=only is None)
    inputs = {sector: _input(ctx, sector, at, floors) for sector in wanted}
    own = {sector: record.own for sector, record in records.items()}
    moved = set()
    for sector, given in inputs.items():
        own[sector] = own_level(given.score, given.floors, cfg=ctx.scoring)
        if own[sector] != records[sector].own:
            moved.add(sector)
    followers = {
        dependent
        for provider in moved
        for dependent in ctx.sectors.dependents_of(provider)
        if dependent not in inputs and dependent in records
    }
    if followers:
        floors |= await campaigns.floors(ctx, at, followers, expire=False)
        for sector in followers:
            given = inputs[sector] = _input(ctx, sector, at, floors)
            own[sector] = own_level(given.score, given.floors, cfg=ctx.scoring)
    outcomes = assess_sectors(
        inputs,
        {sector: records[sector].level for sector in inputs},
        at,
        sectors=ctx.sectors,
        cfg=ctx.scoring,
        only=sorted(inputs),
        own_levels=own,
    )
    for sector, outcome in outcomes.items():
        record = records[sector]
        record.level = outcome.state
        record.own = outcome.own
        record.score_value = outcome.score
        record.evidence = outcome.evidence
        record.evaluated_at = at
        if outcome.changed:
            await emit_level_change(ctx.conn, ctx.writer, outcome, at=at)


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
