"""Campaigns as readers see them: their indicators, how many organizations and which sectors, never
which organizations."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.db.tables import campaign_indicators, campaigns, event_sectors, warnings
from awareness.eventlog.tlp import key_of, read
from awareness.timestamps import UtcTime
from awareness.views.markings import Withheld, indicator_markings
from awareness.vocabulary import IndicatorType, LevelName, Pace, Tlp


class CampaignIndicator(BaseModel):
    type: IndicatorType
    value: str
    tlp: Tlp | None = Field(None, description="the TLP you hold it under")


class CampaignView(BaseModel):
    id: int
    indicator: CampaignIndicator | None = Field(
        description="the indicator that opened it (null: withheld from you under TLP)"
    )
    indicators: list[CampaignIndicator] = Field(
        description="every indicator of its intrusion set you may see, the first one first"
    )
    withheld: list[Withheld] = Field(
        default_factory=list,
        description="its indicators no report of which reaches you (TLP), counted all the same",
    )
    pace: Pace
    organizations: int
    sectors: list[str]
    level: LevelName
    max_severity: float
    first_seen: UtcTime
    last_seen: UtcTime
    active: bool


async def list_campaigns(
    conn: AsyncConnection,
    *,
    principal: Principal | None,
    sectors_filter: Sequence[str] = (),
    active: bool | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[CampaignView]:
    """Campaigns newest first. A scoped caller sees those that touched one of its sectors,
    found through the sectors of their warnings."""
    query = sa.select(campaigns)
    if active is not None:
        query = query.where(campaigns.c.active.is_(active))
    if before_id is not None:
        query = query.where(campaigns.c.id < before_id)
    wanted: list[str] = list(sectors_filter)
    if principal is not None and principal.role is not Role.admin and principal.sectors is not None:
        wanted = sorted(set(wanted) & principal.sectors) if wanted else sorted(principal.sectors)
        if not wanted:
            return []
    if wanted:
        touched = (
            sa.select(warnings.c.campaign_id)
            .join(event_sectors, event_sectors.c.seq == warnings.c.seq)
            .where(warnings.c.campaign_id.is_not(None), event_sectors.c.sector.in_(wanted))
        )
        query = query.where(campaigns.c.id.in_(touched))
    rows = (await conn.execute(query.order_by(campaigns.c.id.desc()).limit(limit))).mappings().all()
    listed: dict[int, list[CampaignIndicator]] = {}
    if rows:
        members = (
            sa.select(campaign_indicators)
            .where(campaign_indicators.c.campaign_id.in_([row["id"] for row in rows]))
            .order_by(campaign_indicators.c.joined_at, campaign_indicators.c.indicator_value)
        )
        for member in (await conn.execute(members)).mappings():
            listed.setdefault(member["campaign_id"], []).append(
                CampaignIndicator(type=member["indicator_type"], value=member["indicator_value"])
            )
    views = []
    for row in rows:
        first = CampaignIndicator(type=row["indicator_type"], value=row["indicator_value"])
        others = [i for i in listed.get(row["id"], []) if i != first]
        views.append(_view(row, first, [first, *others]))
    return await _withhold(conn, principal, views) if principal is not None else views


async def _withhold(
    conn: AsyncConnection, principal: Principal, views: list[CampaignView]
) -> list[CampaignView]:
    """Each campaign's indicators as TLP lets this reader see them (`eventlog.tlp`)."""
    named = {(i.type, i.value) for view in views for i in view.indicators}
    markings = {(m.type, m.value): m for m in await indicator_markings(conn, named)}
    shown = []
    for view in views:
        reading = read(
            principal,
            [markings[i.type, i.value] for i in view.indicators if (i.type, i.value) in markings],
            addressed=False,
        )
        hidden = {key_of(m.type, m.value) for m in reading.withheld}
        visible = [
            i.model_copy(update={"tlp": reading.shown.get(key_of(i.type, i.value))})
            for i in view.indicators
            if key_of(i.type, i.value) not in hidden
        ]
        first = view.indicator
        shown.append(
            view.model_copy(
                update={
                    "indicator": visible[0]
                    if visible and first and visible[0].value == first.value
                    else None,
                    "indicators": visible,
                    "withheld": [Withheld.of(m) for m in reading.withheld],
                }
            )
        )
    return shown


def _view(
    row: sa.RowMapping, first: CampaignIndicator, indicators: list[CampaignIndicator]
) -> CampaignView:
    return CampaignView(
        id=row["id"],
        indicator=first,
        indicators=indicators,
        pace=row["pace"],
        organizations=row["org_count"],
        sectors=row["sectors"],
        level=row["level"],
        max_severity=round(row["max_severity"], 2),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        active=row["active"],
    )
