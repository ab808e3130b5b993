"""Sectors as readers see them: level, score and trend of each, the evidence and history of one,
and the `sector_level` event that every level change appends (the correlator and rescore build
it here, the feed sends it as stored)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import events, sector_states
from awareness.scoring import ScoringConfig, SectorsConfig, SectorScore
from awareness.timestamps import UtcTime, time_from_json
from awareness.views.campaigns import CampaignView, list_campaigns
from awareness.vocabulary import LevelName

TREND_POINTS = 24
HISTORY = 50


class SectorView(BaseModel):
    sector: str
    level: LevelName
    score: float
    updated_at: UtcTime | None = Field(description="when it was last evaluated")
    level_since: UtcTime | None = Field(description="when it entered its level")
    trend: list[float] = Field(description=f"its score hourly over {TREND_POINTS} h, oldest first")


class LevelChange(BaseModel):
    """The data of a `sector_level` event."""

    sector: str
    level: LevelName
    previous_level: LevelName
    score: float
    at: UtcTime
    evidence: dict[str, Any] = Field(default_factory=dict)
    rescore: bool = Field(False, description="appended by `awareness rescore` replacing state")


class LevelHistoryEntry(BaseModel):
    seq: int
    sector: str
    level: LevelName
    previous_level: LevelName
    score: float
    at: UtcTime
    rescore: bool = False


class Dependency(BaseModel):
    sector: str
    strength: str


class SectorDetail(SectorView):
    evidence: dict[str, Any] = Field(description="why it is at its level (SCORING.md 9)")
    history: list[LevelHistoryEntry] = Field(description="its level changes, newest first")
    campaigns: list[CampaignView] = Field(description="active campaigns touching it")
    depends_on: list[Dependency]
    dependents: list[Dependency]


def level_change(
    *,
    sector: str,
    level: str,
    previous_level: str,
    score: float,
    at: datetime,
    evidence: dict[str, Any],
    rescore: bool = False,
) -> LevelChange:
    return LevelChange.model_validate(
        {"sector": sector, "level": level, "previous_level": previous_level,
         "score": round(score, 2), "at": at, "evidence": evidence, "rescore": rescore}
    )  # fmt: skip


async def sector_overview(
    conn: AsyncConnection, *, sectors: SectorsConfig, scoring: ScoringConfig, now: datetime
) -> list[SectorView]:
    """Every configured sector, also those nothing has happened in yet (level none)."""
    rows = {r["sector"]: r for r in (await conn.execute(sa.select(sector_states))).mappings()}
    start = now - timedelta(hours=TREND_POINTS - 1)
    moments = [start + timedelta(hours=h) for h in range(TREND_POINTS)]
    result = []
    for sector in sectors.sectors:
        row = rows.get(sector)
        if row is None:
            result.append(
                SectorView(sector=sector, level="none", score=0.0, updated_at=None,
                           level_since=None, trend=[0.0] * TREND_POINTS)
            )  # fmt: skip
            continue
        score = SectorScore.from_json(row["score_state"], cfg=scoring)
        since = row["level_state"].get("since")
        result.append(
            SectorView(
                sector=sector,
                level=row["level"],
                score=round(row["score"], 2),
                updated_at=row["evaluated_at"],
                level_since=time_from_json(since, "since") if since else None,
                trend=[round(score.score_as_of(moment), 2) for moment in moments],
            )
        )
    return result


async def sector_detail(
    conn: AsyncConnection,
    sector: str,
    *,
    sectors: SectorsConfig,
    scoring: ScoringConfig,
    now: datetime,
) -> SectorDetail:
    overview = next(
        s
        for s in await sector_overview(conn, sectors=sectors, scoring=scoring, now=now)
        if s.sector == sector
    )
    evidence = (
        await conn.execute(
            sa.select(sector_states.c.evidence).where(sector_states.c.sector == sector)
        )
    ).scalar()
    query = (
        sa.select(events.c.seq, events.c.data)
        .where(events.c.type == "sector_level", events.c.sector == sector)
        .order_by(events.c.seq.desc())
        .limit(HISTORY)
    )
    history = [
        LevelHistoryEntry.model_validate(row.data | {"seq": row.seq})
        for row in await conn.execute(query)
    ]
    touching = await list_campaigns(
        conn, principal=None, sectors_filter=[sector], active=True, limit=100
    )
    return SectorDetail(
        **overview.model_dump(),
        evidence=evidence or {},
        history=history,
        campaigns=touching,
        depends_on=[
            Dependency(sector=provider, strength=strength.value)
            for provider, strength in sorted(sectors.providers_of(sector).items())
        ],
        dependents=[
            Dependency(sector=dependent, strength=strength.value)
            for dependent, strength in sorted(sectors.dependents_of(sector).items())
        ],
    )
