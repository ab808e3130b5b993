"""Sectors as readers see them: level, score and trend of each, the evidence and history of one,
and the `sector_level` event that every level change appends (the correlator and rescore build
it here, the feed sends it as stored)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.db.tables import events, sector_states
from awareness.eventlog.visibility import redaction
from awareness.scoring import Level, ScoringConfig, SectorsConfig, SectorScore, dependency_risk
from awareness.timestamps import UtcTime, time_from_json
from awareness.views.campaigns import CampaignView, list_campaigns
from awareness.views.coverage import CoverageSummary
from awareness.views.markings import indicator_markings, named_indicators
from awareness.vocabulary import LevelName

TREND_POINTS = 24
HISTORY = 50


class DependencyRisk(BaseModel):
    """A sector this one depends on, at a level that puts it at risk (SCORING.md 3b)."""

    sector: str
    level: LevelName
    strength: Literal["strong", "moderate"]


class SectorView(BaseModel):
    sector: str
    level: LevelName
    score: float
    updated_at: UtcTime | None = Field(description="when it was last evaluated")
    level_since: UtcTime | None = Field(description="when it entered its level")
    trend: list[float] = Field(description=f"its score hourly over {TREND_POINTS} h, oldest first")
    dependency_risk: list[DependencyRisk] = Field(
        default_factory=list,
        description="sectors it depends on at orange or red by their own reports, strongest "
        "dependency first: impact to expect, never part of its own level",
    )
    coverage: CoverageSummary | None = Field(
        None,
        description="how many of its operators report (its supervisors and admins only; "
        "null for others): GET /v1/sectors/{sector}/coverage names the silent ones",
    )


class LevelChange(BaseModel):
    """The data of a `sector_level` event."""

    sector: str
    level: LevelName
    previous_level: LevelName
    score: float
    at: UtcTime
    evidence: dict[str, Any] = Field(default_factory=dict)
    rescore: bool = Field(False, description="appended by `awareness rescore` replacing state")
    dependency_risk: list[DependencyRisk] = Field(default_factory=list)


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
    dependency_risk: list[dict[str, str]] | None = None,
) -> LevelChange:
    return LevelChange.model_validate(
        {"sector": sector, "level": level, "previous_level": previous_level,
         "score": round(score, 2), "at": at, "evidence": evidence, "rescore": rescore,
         "dependency_risk": dependency_risk or []}
    )  # fmt: skip


async def sector_overview(
    conn: AsyncConnection, *, sectors: SectorsConfig, scoring: ScoringConfig, now: datetime
) -> list[SectorView]:
    """Every configured sector, also those nothing has happened in yet (level none)."""
    rows = {r["sector"]: r for r in (await conn.execute(sa.select(sector_states))).mappings()}
    levels = {sector: Level.parse(row["level"]) for sector, row in rows.items()}
    return [
        _sector_view(sector, rows.get(sector), levels, sectors=sectors, scoring=scoring, now=now)
        for sector in sectors.sectors
    ]


def _sector_view(
    sector: str,
    row: sa.RowMapping | None,
    levels: dict[str, Level],
    *,
    sectors: SectorsConfig,
    scoring: ScoringConfig,
    now: datetime,
) -> SectorView:
    """A sector from its stored state (None: nothing has happened in it yet) and every
    sector's level, for the risk its dependencies put it at."""
    risk = [
        DependencyRisk.model_validate(r.to_json())
        for r in dependency_risk(sector, levels, sectors=sectors, cfg=scoring)
    ]
    if row is None:
        return SectorView(sector=sector, level="none", score=0.0, updated_at=None,
                          level_since=None, trend=[0.0] * TREND_POINTS,
                          dependency_risk=risk)  # fmt: skip
    score = SectorScore.from_json(row["score_state"], cfg=scoring)
    since = row["level_state"].get("since")
    start = now - timedelta(hours=TREND_POINTS - 1)
    return SectorView(
        sector=sector,
        level=row["level"],
        score=round(row["score"], 2),
        updated_at=row["evaluated_at"],
        level_since=time_from_json(since, "since") if since else None,
        trend=[
            round(score.score_as_of(start + timedelta(hours=h)), 2) for h in range(TREND_POINTS)
        ],
        dependency_risk=risk,
    )


async def _readable(
    conn: AsyncConnection, principal: Principal, evidence: dict[str, Any]
) -> dict[str, Any]:
    """The evidence with the campaigns the reader may not see reduced to counts, and the
    indicators no report of which reaches it withheld (TLP)."""
    named = named_indicators(evidence)
    markings = [m.to_json() for m in await indicator_markings(conn, named)] if named else None
    changes = redaction(principal, {"evidence": evidence}, markings)
    return changes["evidence"] if changes and "evidence" in changes else evidence


async def sector_detail(
    conn: AsyncConnection,
    sector: str,
    *,
    sectors: SectorsConfig,
    scoring: ScoringConfig,
    now: datetime,
    principal: Principal,
) -> SectorDetail:
    """One sector as `principal` may see it: the campaigns touching it are those
    `GET /v1/campaigns` would show the same reader (none to an operator)."""
    row = (
        (await conn.execute(sa.select(sector_states).where(sector_states.c.sector == sector)))
        .mappings()
        .first()
    )
    levels = {
        name: Level.parse(level)
        for name, level in await conn.execute(
            sa.select(sector_states.c.sector, sector_states.c.level)
        )
    }
    overview = _sector_view(sector, row, levels, sectors=sectors, scoring=scoring, now=now)
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
    touching = (
        []
        if principal.role is Role.operator
        else await list_campaigns(
            conn, principal=principal, sectors_filter=[sector], active=True, limit=100
        )
    )
    return SectorDetail(
        **overview.model_dump(),
        evidence=await _readable(conn, principal, row["evidence"]) if row is not None else {},
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
