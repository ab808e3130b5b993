"""The situation as readers see it: sector levels with their evidence and trend, warnings and
campaigns, each filtered to what the caller may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.correlator.emit import warning_view
from awareness.db.tables import campaigns, event_sectors, events, sector_states, warnings
from awareness.eventlog import matching, redact, visible_to
from awareness.scoring import ScoringConfig, SectorsConfig, SectorScore

TREND_POINTS = 24


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


async def sector_overview(
    conn: AsyncConnection, *, sectors: SectorsConfig, scoring: ScoringConfig, now: datetime
) -> list[dict[str, Any]]:
    """Every configured sector, also those nothing has happened in yet (level none)."""
    rows = {r["sector"]: r for r in (await conn.execute(sa.select(sector_states))).mappings()}
    result = []
    for sector in sectors.sectors:
        row = rows.get(sector)
        if row is None:
            result.append(
                {"sector": sector, "level": "none", "score": 0.0, "updated_at": None,
                 "level_since": None, "trend": [0.0] * TREND_POINTS}
            )  # fmt: skip
            continue
        score = SectorScore.from_json(row["score_state"], cfg=scoring)
        start = now - timedelta(hours=TREND_POINTS - 1)
        trend = [
            round(score.score_as_of(start + timedelta(hours=h)), 2) for h in range(TREND_POINTS)
        ]
        result.append(
            {
                "sector": sector,
                "level": row["level"],
                "score": round(row["score"], 2),
                "updated_at": _iso(row["evaluated_at"]),
                "level_since": row["level_state"].get("since"),
                "trend": trend,
            }
        )
    return result


async def sector_detail(
    conn: AsyncConnection,
    sector: str,
    *,
    sectors: SectorsConfig,
    scoring: ScoringConfig,
    now: datetime,
    history: int = 50,
) -> dict[str, Any]:
    overview = next(
        s
        for s in await sector_overview(conn, sectors=sectors, scoring=scoring, now=now)
        if s["sector"] == sector
    )
    row = (
        await conn.execute(
            sa.select(sector_states.c.evidence).where(sector_states.c.sector == sector)
        )
    ).scalar()
    query = (
        sa.select(events.c.seq, events.c.data)
        .where(events.c.type == "sector_level", events.c.sector == sector)
        .order_by(events.c.seq.desc())
        .limit(history)
    )
    changes = [row.data | {"seq": row.seq} for row in await conn.execute(query)]
    for change in changes:
        change.pop("evidence", None)
    touching = await list_campaigns(
        conn, principal=None, sectors_filter=[sector], active=True, limit=100
    )
    return overview | {
        "evidence": row or {},
        "history": changes,
        "campaigns": touching,
        "depends_on": [
            {"sector": provider, "strength": strength.value}
            for provider, strength in sorted(sectors.providers_of(sector).items())
        ],
        "dependents": [
            {"sector": dependent, "strength": strength.value}
            for dependent, strength in sorted(sectors.dependents_of(sector).items())
        ],
    }


async def list_warnings(
    conn: AsyncConnection,
    *,
    principal: Principal,
    after: int | None,
    before: int | None,
    newest_first: bool,
    sectors: Sequence[str],
    kinds: Sequence[str],
    acknowledged: bool | None,
    limit: int,
) -> list[dict[str, Any]]:
    query = sa.select(warnings).where(
        warnings.c.seq.is_not(None),
        visible_to(principal, warnings.c.seq, warnings.c.kind),
        matching(warnings.c.seq, warnings.c.kind, sectors=sectors, kinds=kinds),
    )
    if after is not None:
        query = query.where(warnings.c.seq > after)
    if before is not None:
        query = query.where(warnings.c.seq < before)
    if acknowledged is not None:
        query = query.where(
            warnings.c.acknowledged_at.is_not(None)
            if acknowledged
            else warnings.c.acknowledged_at.is_(None)
        )
    order = warnings.c.seq.desc() if newest_first else warnings.c.seq
    rows = await conn.execute(query.order_by(order).limit(limit))
    return [redact(principal, warning_view(dict(row))) for row in rows.mappings()]


async def get_warning(
    conn: AsyncConnection, *, principal: Principal, warning_id: int, lock: bool = False
) -> dict[str, Any] | None:
    query = sa.select(warnings).where(
        warnings.c.id == warning_id,
        warnings.c.seq.is_not(None),
        visible_to(principal, warnings.c.seq, warnings.c.kind),
    )
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def list_campaigns(
    conn: AsyncConnection,
    *,
    principal: Principal | None,
    sectors_filter: Sequence[str] = (),
    active: bool | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
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
    rows = await conn.execute(query.order_by(campaigns.c.id.desc()).limit(limit))
    return [
        {
            "id": row["id"],
            "indicator": {"type": row["indicator_type"], "value": row["indicator_value"]},
            "organizations": row["org_count"],
            "sectors": row["sectors"],
            "level": row["level"],
            "max_severity": round(row["max_severity"], 2),
            "first_seen": _iso(row["first_seen"]),
            "last_seen": _iso(row["last_seen"]),
            "active": row["active"],
        }
        for row in rows.mappings()
    ]
