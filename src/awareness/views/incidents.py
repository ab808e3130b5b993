"""Incident reports as their readers see them, newest first, a page at a time. Scope is a WHERE
clause built from the caller, so a record outside it is simply not found."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import assets, incident_assets, incidents, indicators
from awareness.eventlog.tlp import may_read_report
from awareness.timestamps import UtcTime
from awareness.views.clocks import ClockView
from awareness.vocabulary import (
    Category,
    FunctionalImpact,
    IndicatorType,
    InformationImpact,
    Location,
    Recoverability,
    Tlp,
)


class IndicatorView(BaseModel):
    type: IndicatorType
    value: str
    known_benign: str | None = Field(
        None,
        description="the known-benign list (MISP warninglist) it was on when reported: it "
        "never makes a campaign or an exposure",
    )


class IncidentView(BaseModel):
    id: int
    org_id: str
    sector: str
    received_at: UtcTime
    detected_at: UtcTime
    occurred_at: UtcTime | None
    category: Category
    functional_impact: FunctionalImpact
    information_impact: InformationImpact
    recoverability: Recoverability
    location: Location
    affected_assets: list[str]
    indicators: list[IndicatorView]
    summary: str | None
    tlp: Tlp
    reference: str | None
    withheld: str | None = Field(
        None, description="why its indicators and summary are not shown to you (its TLP)"
    )
    aware_at: UtcTime = Field(description="when the operator became aware: clocks start here")
    significant: bool = Field(description="the operator judged it significant (reportable)")
    clocks: list[ClockView] = Field(
        default_factory=list,
        description="its reporting clocks: per regime it falls under and stage, when it is due "
        "and whether it was met (README: Reporting clocks)",
    )


async def list_incidents(
    conn: AsyncConnection, *, principal: Principal, limit: int, before_id: int | None
) -> list[IncidentView]:
    query = sa.select(incidents).where(principal.report_scope(incidents))
    if before_id is not None:
        query = query.where(incidents.c.id < before_id)
    rows = (await conn.execute(query.order_by(incidents.c.id.desc()).limit(limit))).mappings()
    return _readable(principal, await _with_details(conn, [dict(row) for row in rows]))


async def get_incident(
    conn: AsyncConnection, *, principal: Principal, incident_id: int
) -> IncidentView | None:
    query = sa.select(incidents).where(
        incidents.c.id == incident_id, principal.report_scope(incidents)
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    return _readable(principal, await _with_details(conn, [dict(row)]))[0]


def _readable(principal: Principal, views: list[IncidentView]) -> list[IncidentView]:
    """A report whose TLP does not reach its reader (an admin, under TLP:RED) keeps what it is,
    not what it shared: no indicators, no summary."""
    return [
        view
        if may_read_report(principal, tlp=view.tlp, org_id=view.org_id, sector=view.sector)
        else view.model_copy(
            update={
                "indicators": [],
                "summary": None,
                "withheld": f"indicators and summary withheld under TLP:{view.tlp.upper()}",
            }
        )
        for view in views
    ]


async def _with_details(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[IncidentView]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    query = (
        sa.select(
            indicators.c.incident_id, indicators.c.type, indicators.c.value, indicators.c.benign
        )
        .where(indicators.c.incident_id.in_(ids))
        .order_by(indicators.c.id)
    )
    for indicator in await conn.execute(query):
        found[indicator.incident_id].append(
            {"type": indicator.type, "value": indicator.value, "known_benign": indicator.benign}
        )
    linked: dict[int, list[str]] = defaultdict(list)
    query = (
        sa.select(incident_assets.c.incident_id, assets.c.asset_id)
        .join(assets, assets.c.id == incident_assets.c.asset_pk)
        .where(incident_assets.c.incident_id.in_(ids))
        .order_by(assets.c.asset_id)
    )
    for link in await conn.execute(query):
        linked[link.incident_id].append(link.asset_id)
    return [
        IncidentView.model_validate(
            row
            | {"indicators": found[row["id"]], "affected_assets": linked[row["id"]]}
            | {"aware_at": row.get("aware_at") or row["detected_at"]}
        )
        for row in rows
    ]
