"""Reporting clocks as readers see them: per incident, per regime its organization was assigned
and the incident falls under, per stage, when it is due and whether it was met. Computed at
read time from the incident, the regimes and the filings (`scoring.clocks`), never stored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import incident_filings, incidents, org_regimes
from awareness.scoring.clocks import Clock, ClockState, RegimesConfig, clocks_of
from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.severity import incident_severity
from awareness.timestamps import UtcTime

Filed = dict[tuple[str, str], datetime]  # (regime, stage) -> first filing


@dataclass(frozen=True, slots=True)
class ClockRules:
    """What clocks are computed with: the regimes, the severity model, and the time."""

    regimes: RegimesConfig
    scoring: ScoringConfig
    sectors: SectorsConfig
    now: datetime


class ClockView(BaseModel):
    regime: str = Field(examples=["nis2"])
    regime_name: str = Field(examples=["EU NIS2"])
    stage: str = Field(examples=["early_warning"])
    stage_name: str = Field(examples=["early warning"])
    starts_at: UtcTime
    due_at: UtcTime
    filed_at: UtcTime | None = Field(description="its first filing")
    state: ClockState
    fields: list[str] = Field(description="what a filing of this stage must carry")


class ReminderView(ClockView):
    """A `reminder` event: an unfiled stage reached `percent` of its window (100: its
    deadline)."""

    incident_id: int
    org_id: str
    sector: str
    percent: int = Field(examples=[75])
    at: UtcTime


class FilingView(BaseModel):
    id: int
    incident_id: int
    regime: str
    stage: str
    fields: dict[str, Any]
    filed_at: UtcTime
    filed_by: str
    clock: ClockView | None = Field(description="the stage's clock after this filing")


class OverdueView(ClockView):
    incident_id: int
    org_id: str
    sector: str


def severity_of(row: Any, rules: ClockRules) -> float:
    return incident_severity(
        sector=row["sector"], sectors=rules.sectors, cfg=rules.scoring,
        functional_impact=row["functional_impact"], location=row["location"],
        information_impact=row["information_impact"], recoverability=row["recoverability"],
        asset_criticalities=[row["asset_criticality"]],
    )  # fmt: skip


def regimes_under(row: Any, assigned: Iterable[str], rules: ClockRules) -> list[str]:
    """The assigned regimes (still configured) under which the incident is reportable."""
    known = [(r, rules.regimes.get(r)) for r in sorted(assigned)]
    present = [(r, regime) for r, regime in known if regime is not None]
    if not present:
        return []
    severity = severity_of(row, rules)
    flagged = bool(row["significant"])
    return [r for r, regime in present if regime.reportable(severity=severity, significant=flagged)]


def incident_clocks(
    row: Any, assigned: Iterable[str], filed: Filed, rules: ClockRules
) -> list[Clock]:
    aware_at: datetime = row["aware_at"] or row["detected_at"]
    found: list[Clock] = []
    for regime_id in regimes_under(row, assigned, rules):
        regime = rules.regimes.root[regime_id]
        stages = {stage: at for (r, stage), at in filed.items() if r == regime_id}
        found += clocks_of(
            regime_id, regime, aware_at=aware_at, category=row["category"], filed=stages,
            now=rules.now,
        )  # fmt: skip
    return found


def clock_view(clock: Clock, rules: ClockRules) -> ClockView:
    regime = rules.regimes.root[clock.regime]
    stage = regime.stage(clock.stage)
    assert stage is not None
    return ClockView(
        regime=clock.regime, regime_name=regime.name, stage=clock.stage, stage_name=stage.name,
        starts_at=clock.starts_at, due_at=clock.due_at, filed_at=clock.filed_at,
        state=clock.state, fields=list(stage.fields),
    )  # fmt: skip


async def assigned_regimes(conn: AsyncConnection, org_ids: Iterable[str]) -> dict[str, set[str]]:
    wanted = sorted(set(org_ids))
    found: dict[str, set[str]] = defaultdict(set)
    if wanted:
        query = sa.select(org_regimes.c.org_id, org_regimes.c.regime).where(
            org_regimes.c.org_id.in_(wanted)
        )
        for row in await conn.execute(query):
            found[row.org_id].add(row.regime)
    return found


async def first_filings(
    conn: AsyncConnection, incident_ids: sa.Select[Any] | Sequence[int]
) -> dict[int, Filed]:
    """Each incident's first filing of each stage (`incident_ids`: ids, or a query of them)."""
    query = (
        sa.select(
            incident_filings.c.incident_id, incident_filings.c.regime, incident_filings.c.stage,
            sa.func.min(incident_filings.c.filed_at).label("filed_at"),
        )
        .where(incident_filings.c.incident_id.in_(incident_ids))
        .group_by(
            incident_filings.c.incident_id, incident_filings.c.regime, incident_filings.c.stage
        )
    )  # fmt: skip
    found: dict[int, Filed] = defaultdict(dict)
    # min() keeps the column's type, so SQLite's text comes back as an aware time.
    for row in (await conn.execute(query)).mappings():
        found[row["incident_id"]][(row["regime"], row["stage"])] = row["filed_at"]
    return found


async def clocks_by_incident(
    conn: AsyncConnection, incident_ids: Sequence[int], *, rules: ClockRules
) -> dict[int, list[ClockView]]:
    if not incident_ids or not rules.regimes.root:
        return {}
    rows = [
        dict(row)
        for row in (
            await conn.execute(sa.select(incidents).where(incidents.c.id.in_(incident_ids)))
        ).mappings()
    ]
    assigned = await assigned_regimes(conn, (row["org_id"] for row in rows))
    if not assigned:
        return {}
    filed = await first_filings(conn, list(incident_ids))
    return {
        row["id"]: [
            clock_view(c, rules)
            for c in incident_clocks(row, assigned.get(row["org_id"], ()), filed[row["id"]], rules)
        ]
        for row in rows
    }


def horizon_query(*, since: datetime) -> sa.Select[Any]:
    """Incidents whose organization has a regime, aware since `since`, oldest first."""
    with_regimes = sa.select(org_regimes.c.org_id)
    return (
        sa.select(incidents)
        .where(sa.func.coalesce(incidents.c.aware_at, incidents.c.detected_at) >= since)
        .where(incidents.c.org_id.in_(with_regimes))
        .order_by(incidents.c.id)
    )


async def open_clocks(
    conn: AsyncConnection, *, rules: ClockRules, horizon: timedelta, scope: sa.ColumnElement[bool]
) -> list[tuple[dict[str, Any], Clock]]:
    """Every clock of the incidents within the horizon and the scope, with its incident."""
    if not rules.regimes.root:
        return []
    query = horizon_query(since=rules.now - horizon).where(scope)
    rows = [dict(row) for row in (await conn.execute(query)).mappings()]
    if not rows:
        return []
    assigned = await assigned_regimes(conn, (row["org_id"] for row in rows))
    filed = await first_filings(conn, query.with_only_columns(incidents.c.id).order_by(None))
    return [
        (row, clock)
        for row in rows
        for clock in incident_clocks(row, assigned.get(row["org_id"], ()), filed[row["id"]], rules)
    ]


async def list_overdue(
    conn: AsyncConnection, *, principal: Principal, rules: ClockRules, horizon: timedelta,
    limit: int,
) -> list[OverdueView]:  # fmt: skip
    """The overdue stages of the incidents in the caller's scope, the longest overdue first."""
    found = await open_clocks(
        conn, rules=rules, horizon=horizon, scope=principal.report_scope(incidents)
    )
    overdue = sorted(
        ((row, clock) for row, clock in found if clock.state == "overdue"),
        key=lambda item: (item[1].due_at, item[0]["id"]),
    )
    return [
        OverdueView(
            **clock_view(clock, rules).model_dump(),
            incident_id=row["id"],
            org_id=row["org_id"],
            sector=row["sector"],
        )
        for row, clock in overdue[:limit]
    ]
