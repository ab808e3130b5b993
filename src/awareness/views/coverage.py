"""Coverage and blind spots: how many of a sector's operators keep their inventory current and
report at all, and which are silent. Counts are read from the reports log with one index
look-up per operator and kind; who may read them is decided by the caller."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.db.tables import organizations, reports
from awareness.timestamps import UtcTime


class CoverageSummary(BaseModel):
    """A sector's coverage in numbers: what its tile shows."""

    operators: int = Field(description="organizations registered in the sector")
    with_inventory: int = Field(description="of them, with an asset report in inventory_days")
    reporting: int = Field(
        description="of them, with any report (incident or asset) in report_days"
    )
    silent: int = Field(description="of them, with neither")
    low_coverage: bool = Field(
        description="fewer than half its operators reported in report_days, or none is "
        "registered: a calm level there rests on little or no data"
    )


class SilentOperator(BaseModel):
    org_id: str
    name: str
    last_inventory_at: UtcTime | None = Field(description="its last asset report; null: never")
    last_report_at: UtcTime | None = Field(description="its last report of any kind; null: never")


class SectorCoverage(BaseModel):
    """A sector's coverage, with the silent operators named (for its supervisors and admins)."""

    sector: str
    operators: int
    with_inventory: int
    reporting: int
    silent: list[SilentOperator] = Field(description="operators with neither, by id")
    low_coverage: bool
    inventory_days: int
    report_days: int
    as_of: UtcTime


def reads_coverage(principal: Principal, sector: str) -> bool:
    """Coverage judges operators' duties: their sector's supervisors and admins read it; other
    roles, and supervisors of other sectors, do not."""
    if principal.role is Role.admin:
        return True
    if principal.role is not Role.supervisor:
        return False
    return principal.sectors is None or sector in principal.sectors


def low_coverage(operators: int, reporting: int) -> bool:
    """A sector with no operators is low coverage too: its level rests on nothing."""
    return operators == 0 or 2 * reporting < operators


def _last(kind: str) -> sa.ScalarSelect[datetime]:
    # Correlated, so each is a max over one (org_id, kind) range of
    # ix_reports_org_id_kind_received_at: one index look-up per operator on both databases.
    return (
        sa.select(sa.func.max(reports.c.received_at))
        .where(reports.c.org_id == organizations.c.id, reports.c.kind == kind)
        .scalar_subquery()
    )


def _operators() -> sa.Subquery:
    """Every organization with its last asset report and its last incident report."""
    return sa.select(
        organizations.c.id,
        organizations.c.name,
        organizations.c.sector,
        _last("asset").label("last_inventory_at"),
        _last("incident").label("last_incident_at"),
    ).subquery("operators")


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


async def sector_coverage(
    conn: AsyncConnection, sector: str, *, inventory_days: int, report_days: int, now: datetime
) -> SectorCoverage:
    """One sector's coverage as of `now`, its silent operators by id."""
    inventory_since = now - timedelta(days=inventory_days)
    report_since = now - timedelta(days=report_days)
    ops = _operators()
    rows = (
        await conn.execute(sa.select(ops).where(ops.c.sector == sector).order_by(ops.c.id))
    ).all()
    with_inventory = reporting = 0
    silent = []
    for row in rows:
        last_report = _latest(row.last_inventory_at, row.last_incident_at)
        current = row.last_inventory_at is not None and row.last_inventory_at >= inventory_since
        heard = last_report is not None and last_report >= report_since
        with_inventory += current
        reporting += heard
        if not current and not heard:
            silent.append(
                SilentOperator(
                    org_id=row.id,
                    name=row.name,
                    last_inventory_at=row.last_inventory_at,
                    last_report_at=last_report,
                )
            )
    return SectorCoverage(
        sector=sector,
        operators=len(rows),
        with_inventory=with_inventory,
        reporting=reporting,
        silent=silent,
        low_coverage=low_coverage(len(rows), reporting),
        inventory_days=inventory_days,
        report_days=report_days,
        as_of=now,
    )


async def coverage_summaries(
    conn: AsyncConnection,
    sectors: Iterable[str],
    *,
    inventory_days: int,
    report_days: int,
    now: datetime,
) -> dict[str, CoverageSummary]:
    """The counts of every sector in `sectors` (those without operators too), in one grouped
    query; never a name."""
    wanted = sorted(set(sectors))
    if not wanted:
        return {}
    ops = _operators()
    current = ops.c.last_inventory_at >= now - timedelta(days=inventory_days)
    report_since = now - timedelta(days=report_days)
    heard = sa.or_(ops.c.last_inventory_at >= report_since, ops.c.last_incident_at >= report_since)
    # NULL (never reported) compares as unknown, which CASE takes as false.
    query = (
        sa.select(
            ops.c.sector,
            sa.func.count().label("operators"),
            sa.func.sum(sa.case((current, 1), else_=0)).label("with_inventory"),
            sa.func.sum(sa.case((heard, 1), else_=0)).label("reporting"),
            sa.func.sum(sa.case((sa.or_(current, heard), 0), else_=1)).label("silent"),
        )
        .where(ops.c.sector.in_(wanted))
        .group_by(ops.c.sector)
    )
    counts = {row.sector: row for row in await conn.execute(query)}
    summaries = {}
    for sector in wanted:
        row = counts.get(sector)
        operators, with_inventory, reporting, silent = (
            (row.operators, row.with_inventory, row.reporting, row.silent) if row else (0, 0, 0, 0)
        )
        summaries[sector] = CoverageSummary(
            operators=operators,
            with_inventory=with_inventory,
            reporting=reporting,
            silent=silent,
            low_coverage=low_coverage(operators, reporting),
        )
    return summaries
