"""Campaigns in a step: record who reported an indicator, let it join the active campaign of its
intrusion set or open one when enough organizations reported it, warn at the milestones, and
give each sector the floors of the campaigns that touch it. `scoring.campaigns` judges; this
module gathers and records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from awareness.correlator import sightings
from awareness.correlator.emit import emit_warning
from awareness.correlator.state import Campaign, Context, load_campaign, load_sightings
from awareness.db.tables import campaign_indicators, campaigns, indicators, reports
from awareness.db.upsert import upsert
from awareness.scoring import (
    CampaignFacts,
    Floor,
    Sighting,
    campaign_evidence,
    campaign_facts,
    campaign_floor,
    campaign_level,
    campaign_title,
    check_milestones,
    facts_until,
    may_form_campaign,
)
from awareness.scoring.campaigns import FAST, SLOW, Indicator


async def record_sightings(
    ctx: Context, reported: list[tuple[str, str]], sighting: Sighting, at: datetime
) -> set[str]:
    """Record one report's indicators, then announce the campaigns they belong to, once each
    and with every indicator the report brought in. Returns the sectors of those campaigns."""
    members = set()
    for kind, value in reported:
        campaign_id = await _record(ctx, (kind, value), sighting, at)
        if campaign_id is not None:
            members.add(campaign_id)
    touched: set[str] = set()
    for campaign_id in sorted(members):
        touched |= await _observe(ctx, ctx.state.campaigns[campaign_id], sighting, at)
    return touched


async def _record(
    ctx: Context, indicator: Indicator, sighting: Sighting, at: datetime
) -> int | None:
    """Record the sighting; returns the id of the campaign the indicator belongs to, if any:
    the active one it is in, one it joins or one it opens."""
    kind, value = indicator
    if not may_form_campaign(kind, value, cfg=ctx.scoring):
        return None
    await ctx.ledger.record(
        indicator, sighting, fast_since=_fast_since(ctx, at), since=_since(ctx, at)
    )
    campaign_id = ctx.state.by_indicator.get(indicator)
    if campaign_id is not None:
        campaign = ctx.state.campaigns[campaign_id]
        (await _sightings_of(ctx, campaign, at))[indicator] = await _recent(ctx, indicator, at)
        return campaign_id
    # The database counts the widest window first: most indicators stop here.
    slow = await ctx.ledger.summary([indicator], since=_since(ctx, at))
    if slow is None or slow.org_count < ctx.scoring.campaign.min_orgs:
        return None
    seen = await _recent(ctx, indicator, at)
    if campaign_facts([indicator], seen, at, cfg=ctx.scoring, slow=slow) is None:
        return None
    # Only now the campaign it ran in before, if any: whether it was fast lately decides
    # whether the slow window may announce it.
    stored = await _stored(ctx, indicator)
    last_fast = stored["last_fast_at"] if stored is not None else None
    facts = campaign_facts(
        [indicator], seen, at, cfg=ctx.scoring, slow=slow, last_fast_at=last_fast
    )
    if facts is None:
        return None
    campaign = await _joinable(ctx, indicator, facts, at) or await _open(ctx, indicator, stored, at)
    await upsert(
        ctx.conn,
        campaign_indicators,
        [{"indicator_type": kind, "indicator_value": value, "campaign_id": campaign.id,
          "joined_at": at}],
        keys=["indicator_type", "indicator_value"],
    )  # fmt: skip
    if indicator not in campaign.indicators:
        campaign.indicators.append(indicator)
    (await _sightings_of(ctx, campaign, at))[indicator] = seen
    ctx.state.track(campaign)
    return campaign.id


async def _recent(ctx: Context, indicator: Indicator, at: datetime) -> list[Sighting]:
    return await ctx.ledger.recent(indicator, since=_fast_since(ctx, at))


async def _sightings_of(
    ctx: Context, campaign: Campaign, at: datetime
) -> dict[Indicator, list[Sighting]]:
    """The campaign's fast-window sightings, read on first need in the batch."""
    if campaign.sightings is None:
        await ctx.ledger.flush()
        campaign.sightings = await load_sightings(ctx.conn, campaign, since=_fast_since(ctx, at))
    return campaign.sightings


def _since(ctx: Context, at: datetime) -> datetime:
    return at - timedelta(hours=ctx.scoring.campaign.widest_hours)


def _fast_since(ctx: Context, at: datetime) -> datetime:
    return at - timedelta(hours=ctx.scoring.campaign.window_hours)


async def _summarize(ctx: Context, campaign: Campaign, at: datetime) -> CampaignFacts | None:
    """What the campaign is at `at`: its fast sightings, and the slow window counted anew."""
    await _sightings_of(ctx, campaign, at)
    if ctx.scoring.campaign.slow_window_days:
        await ctx.ledger.flush()
        campaign.slow = await sightings.campaign_summary(
            ctx.conn, campaign.id, since=_since(ctx, at)
        )
    return campaign.summarize(at, cfg=ctx.scoring)


async def _observe(ctx: Context, campaign: Campaign, sighting: Sighting, at: datetime) -> set[str]:
    """The campaign after a new sighting: stored, and announced when it passes a milestone.
    An indicator joining it is no milestone of its own."""
    facts = await _summarize(ctx, campaign, at)
    check = check_milestones(campaign.announced, facts, cfg=ctx.scoring)
    if facts is None or check.announced is None:
        return set()
    if facts.pace == FAST:
        campaign.last_fast_at = at
    campaign.announced = check.announced
    _hold(ctx, campaign, facts, at)
    await store(ctx, campaign, at, facts)
    if check.reasons:
        await emit_warning(
            ctx.conn,
            ctx.writer,
            kind="campaign",
            sector=sighting.sector,
            sectors=facts.sectors,
            level=campaign_level(facts, cfg=ctx.scoring).label,
            title=f"{_headline(check.reasons, check.new_sectors, facts)}: {campaign_title(facts)}",
            evidence=campaign_evidence(
                facts, cfg=ctx.scoring, reasons=check.reasons, campaign_id=campaign.id
            ),
            at=at,
            campaign_id=campaign.id,
            pace=facts.pace,
            indicators=[{"type": t, "value": v} for t, v in facts.indicators],
        )
    return set(facts.sectors)


def _headline(reasons: tuple[str, ...], new_sectors: tuple[str, ...], facts: CampaignFacts) -> str:
    first = reasons[0]
    if first == "detected":
        title = "Slow campaign detected" if facts.pace == SLOW else "Campaign detected"
    elif first == "accelerated":
        title = "Campaign accelerates"
    elif first == "new_sector":
        title = "Campaign spreads"
    else:
        title = f"Campaign {reasons[-1].replace('_', ' ')}"
    if "new_sector" in reasons:
        title += f" to {', '.join(new_sectors)}"
    return title


async def _stored(ctx: Context, indicator: Indicator) -> sa.RowMapping | None:
    """The campaign this indicator belonged to before, if any (it is not active: active ones
    are in the state)."""
    query = sa.select(campaigns).join(
        campaign_indicators, campaign_indicators.c.campaign_id == campaigns.c.id
    )
    query = query.where(
        campaign_indicators.c.indicator_type == indicator[0],
        campaign_indicators.c.indicator_value == indicator[1],
    )
    return (await ctx.conn.execute(query)).mappings().first()


async def _joinable(
    ctx: Context, indicator: Indicator, facts: CampaignFacts, at: datetime
) -> Campaign | None:
    """The active campaign whose indicators at least `join_min_orgs` of this indicator's
    organizations, and at least `join_min_share` of them, reported in the same incident
    reports as this one, within the window it is a campaign in, among the reports correlated
    so far (so a replay decides the same). The share keeps a widespread indicator (a CVE half
    the sector is patching) from gluing unrelated campaigns together: it appears with each of
    them, but mostly without. The most shared organizations win, then the oldest campaign."""
    if not ctx.state.campaigns:
        return None
    this, other = indicators.alias("this"), indicators.alias("other")
    query = (
        sa.select(campaign_indicators.c.campaign_id, this.c.org_id)
        .distinct()
        .select_from(
            this.join(
                other, sa.and_(other.c.incident_id == this.c.incident_id, other.c.id != this.c.id)
            )
            .join(
                campaign_indicators,
                sa.and_(
                    campaign_indicators.c.indicator_type == other.c.type,
                    campaign_indicators.c.indicator_value == other.c.value,
                ),
            )
            .join(reports, reports.c.id == this.c.incident_id)
        )
        .where(
            this.c.type == indicator[0],
            this.c.value == indicator[1],
            this.c.detected_at > at - timedelta(hours=facts.window_hours),
            campaign_indicators.c.campaign_id.in_(sorted(ctx.state.campaigns)),
            sa.tuple_(reports.c.xact, reports.c.id) <= sa.tuple_(*ctx.position),
        )
    )
    shared = Counter(row.campaign_id for row in await ctx.conn.execute(query))
    rules = ctx.scoring.campaign
    eligible = [
        (-count, campaign_id)
        for campaign_id, count in shared.items()
        if count >= rules.join_min_orgs and count >= rules.join_min_share * facts.org_count
    ]
    return ctx.state.campaigns[min(eligible)[1]] if eligible else None


async def _open(
    ctx: Context, indicator: Indicator, stored: sa.RowMapping | None, at: datetime
) -> Campaign:
    """The campaign of this indicator: its row again if it ran before (ids stay stable for the
    warnings that name it, and its other indicators come back with it), else a new one."""
    if stored is not None:
        campaign = await load_campaign(ctx.conn, stored, cfg=ctx.scoring)
        campaign.announced, campaign.facts, campaign.facts_until = None, None, None
        return campaign
    kind, value = indicator
    new_id = (
        await ctx.conn.execute(
            campaigns.insert()
            .values(
                indicator_type=kind, indicator_value=value, announced=None, active=True,
                org_count=0, sectors=[], max_severity=0.0, level="none", first_seen=at,
                last_seen=at, updated_at=at, pace=FAST, last_fast_at=None,
            )
            .returning(campaigns.c.id)
        )
    ).scalar_one()  # fmt: skip
    return Campaign(new_id, [indicator], None, sightings={})


async def store(
    ctx: Context, campaign: Campaign, at: datetime, facts: CampaignFacts | None
) -> None:
    active = facts is not None and campaign.announced is not None
    values: dict[str, Any] = {
        "announced": campaign.announced.to_json() if campaign.announced else None,
        "active": active,
        "updated_at": at,
        "last_fast_at": campaign.last_fast_at,
        "facts_until": campaign.facts_until if facts is not None else None,
    }
    if facts is not None:
        values |= {
            "org_count": facts.org_count,
            "sectors": list(facts.sectors),
            "max_severity": facts.max_severity,
            "level": campaign_level(facts, cfg=ctx.scoring).label,
            "first_seen": facts.first_seen,
            "last_seen": facts.last_seen,
            "pace": facts.pace,
        }
    await ctx.conn.execute(campaigns.update().where(campaigns.c.id == campaign.id).values(values))


async def floors(
    ctx: Context, at: datetime, sectors: Iterable[str], *, expire: bool
) -> dict[str, list[Floor]]:
    """The campaign floor of each of `sectors`: the strongest campaign touching it, with how
    many do. Campaigns whose facts have run out are summarized again first; with `expire` (a
    tick), those no window sees any more end here, so a later return is announced as new."""
    wanted = set(sectors)
    state = ctx.state
    candidates = set(state.due(at))
    if expire:
        candidates |= state.ending
    for campaign_id in sorted(candidates):
        campaign = state.campaigns.get(campaign_id)
        if campaign is not None and not campaign.current(at):
            await _refresh(ctx, campaign, at, expire=expire)
    found: dict[str, list[Floor]] = {}
    for sector in wanted:
        best = state.strongest(sector)
        if best is None:
            continue
        floor = best.floors.get(sector)
        if floor is None:
            floor = campaign_floor(best.facts, sector, cfg=ctx.scoring, campaign_id=best.id)
            if floor is None:
                continue
            best.floors[sector] = floor
        others = len(state.by_sector.get(sector, ())) - 1
        if others > 0:
            floor = Floor(
                floor.rule,
                floor.level,
                f"{floor.detail} (and {others} more campaign{'s' * (others > 1)})",
                floor.evidence | {"campaigns": others + 1},
            )
        found[sector] = [floor]
    return found


def _hold(ctx: Context, campaign: Campaign, facts: CampaignFacts, at: datetime) -> None:
    """Keep the campaign's facts and until when they hold; its floors are built when read."""
    campaign.facts, campaign.sectors = facts, facts.sectors
    campaign.facts_until = facts_until(
        campaign.all_sightings(), at, cfg=ctx.scoring, slow=campaign.slow
    )
    campaign.floors = {}
    ctx.state.track(campaign)


async def _refresh(ctx: Context, campaign: Campaign, at: datetime, *, expire: bool) -> bool:
    """Summarize the campaign again once a sighting has left a window, and store what it is
    now. False when it is no campaign any more; with `expire`, it ends."""
    facts = await _summarize(ctx, campaign, at)
    campaign.floors = {}
    if facts is None:
        campaign.facts = None
        ctx.state.track(campaign)
        if expire:
            campaign.announced = None
            await store(ctx, campaign, at, None)
            ctx.state.forget(campaign)
        return False
    _hold(ctx, campaign, facts, at)
    await store(ctx, campaign, at, facts)
    return True
