"""Campaigns in a step: record who reported an indicator, open or update the campaign when enough
organizations did, warn at its milestones, and give each sector the floors of the campaigns
that touch it. `scoring.campaigns` judges; this module gathers and records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from awareness.correlator import sightings
from awareness.correlator.emit import emit_warning
from awareness.correlator.state import Campaign, Context
from awareness.db.tables import campaigns
from awareness.scoring import (
    Floor,
    Sighting,
    campaign_evidence,
    campaign_floor,
    campaign_level,
    campaign_title,
    check_milestones,
    may_form_campaign,
    summarize_sightings,
)

REASON_TITLES = {"detected": "Campaign detected", "new_sector": "Campaign spreads"}


async def record_sighting(
    ctx: Context, kind: str, value: str, sighting: Sighting, at: datetime
) -> set[str]:
    """Record the sighting; returns the sectors of the campaign it belongs to, if any."""
    if not may_form_campaign(kind, value, cfg=ctx.scoring):
        return set()
    window = timedelta(hours=ctx.scoring.campaign.window_hours)
    campaign = ctx.state.campaigns.get((kind, value))
    seen = await sightings.record(ctx.conn, kind, value, sighting, since=at - window)
    facts = summarize_sightings(kind, value, seen, at, cfg=ctx.scoring)
    check = check_milestones(campaign.announced if campaign else None, facts, cfg=ctx.scoring)
    if facts is None or check.announced is None:
        return set()
    if campaign is None:
        campaign = await _open(ctx, kind, value, seen, at)
    campaign.sightings = seen
    campaign.sectors = facts.sectors
    campaign.facts = None
    campaign.announced = check.announced
    await store(ctx, campaign, at)
    if check.reasons:
        reasons = check.reasons
        title = REASON_TITLES.get(reasons[0], f"Campaign {reasons[-1].replace('_', ' ')}")
        if "new_sector" in reasons:
            title += f" to {', '.join(check.new_sectors)}"
        await emit_warning(
            ctx.conn,
            ctx.writer,
            kind="campaign",
            sector=sighting.sector,
            sectors=facts.sectors,
            level=campaign_level(facts, cfg=ctx.scoring).label,
            title=f"{title}: {campaign_title(facts)}",
            evidence=campaign_evidence(
                facts, cfg=ctx.scoring, reasons=reasons, campaign_id=campaign.id
            ),
            at=at,
            campaign_id=campaign.id,
        )
    return set(facts.sectors)


async def _open(
    ctx: Context, kind: str, value: str, seen: list[Sighting], at: datetime
) -> Campaign:
    """The campaign of this indicator: its row again if it ran before (ids stay stable for the
    warnings that name it), else a new one."""
    existing = (
        await ctx.conn.execute(
            sa.select(campaigns.c.id).where(
                campaigns.c.indicator_type == kind, campaigns.c.indicator_value == value
            )
        )
    ).scalar()
    if existing is None:
        facts = summarize_sightings(kind, value, seen, at, cfg=ctx.scoring)
        assert facts is not None
        existing = (
            await ctx.conn.execute(
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
    ctx.state.campaigns[(kind, value)] = campaign
    return campaign


async def store(ctx: Context, campaign: Campaign, at: datetime) -> None:
    facts = campaign.summarize(at, cfg=ctx.scoring)
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
            "level": campaign_level(facts, cfg=ctx.scoring).label,
            "first_seen": facts.first_seen,
            "last_seen": facts.last_seen,
        }
    await ctx.conn.execute(campaigns.update().where(campaigns.c.id == campaign.id).values(values))


async def floors(
    ctx: Context, at: datetime, sectors: Iterable[str], *, expire: bool
) -> dict[str, list[Floor]]:
    """The campaign floors of `sectors`. With `expire`, campaigns whose sightings have all left
    the window end here, so a later return is announced as new."""
    wanted = set(sectors)
    found: dict[str, list[Floor]] = {}
    for campaign in list(ctx.state.campaigns.values()):
        if not expire and wanted.isdisjoint(campaign.sectors):
            continue
        fresh = campaign.facts_until is not None and at < campaign.facts_until
        if not (fresh and campaign.facts is not None) and not await _refresh(
            ctx, campaign, at, expire=expire
        ):
            continue
        for sector in wanted.intersection(campaign.floors):
            found.setdefault(sector, []).append(campaign.floors[sector])
    return found


async def _refresh(ctx: Context, campaign: Campaign, at: datetime, *, expire: bool) -> bool:
    """Summarize the campaign again (a sighting may have left the window) and build its floor
    for each sector it touches, good until its oldest sighting inside the window leaves it.
    False when it is no campaign any more; with `expire`, it ends."""
    facts = campaign.summarize(at, cfg=ctx.scoring)
    campaign.facts, campaign.floors = None, {}
    if facts is None or facts.org_count < ctx.scoring.campaign.min_orgs:
        if expire:
            campaign.announced = None
            await store(ctx, campaign, at)
            del ctx.state.campaigns[(campaign.kind, campaign.value)]
        return False
    window = timedelta(hours=ctx.scoring.campaign.window_hours)
    campaign.facts, campaign.sectors = facts, facts.sectors
    campaign.facts_until = (
        min(s.detected_at for s in campaign.sightings if at - s.detected_at < window) + window
    )
    for sector in facts.sectors:
        floor = campaign_floor(facts, sector, cfg=ctx.scoring, campaign_id=campaign.id)
        if floor is not None:
            campaign.floors[sector] = floor
    return True
