"""One batch in one transaction: read the next committed reports in log order, run a step for
each (with the ticks that fall before it), write state and cursor. A crash anywhere rolls the
batch back and the next leader replays it with the same result."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.correlator import exposure, levels, steps
from awareness.correlator.sightings import Ledger
from awareness.correlator.state import (
    Context,
    CorrelationState,
    Cursor,
    carry_on,
    load_cursor,
    load_state,
    save_cursor,
    save_sectors,
)
from awareness.db.tables import (
    asset_reports,
    assets,
    incident_assets,
    incident_scores,
    incidents,
    indicators,
    organizations,
    reports,
)
from awareness.db.upsert import upsert
from awareness.eventlog.writer import EventWriter
from awareness.scoring import ScoringConfig, SectorsConfig

# PostgreSQL: the oldest transaction of this database still running (other than ours), and the
# next transaction id. Only other databases' transactions are ignored: they cannot write reports,
# and a long one elsewhere on the server must not stall correlation here.
_RUNNING = sa.text(
    "SELECT (pg_snapshot_xmax(pg_current_snapshot())::text)::bigint AS next_xid,"
    " (SELECT min(backend_xid::text::bigint) FROM pg_stat_activity"
    "   WHERE datname = current_database() AND backend_xid IS NOT NULL"
    "   AND pid <> pg_backend_pid()) AS oldest"
)
_INCIDENT_COLUMNS = (
    "sector", "detected_at", "functional_impact", "information_impact", "recoverability",
    "location", "asset_criticality",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    processed: int
    appended: tuple[int, ...]
    # The state as the batch left it, for the next batch once this one has committed (None:
    # nothing was loaded, whatever was carried in is still current).
    state: CorrelationState | None = None


def _boundary(moment: datetime, seconds: float) -> datetime:
    """The tick boundary at or before `moment`: ticks fall on fixed multiples of the interval,
    so every run, live or replayed, evaluates at the same instants."""
    stamp = math.floor(moment.timestamp() / seconds) * seconds
    return datetime.fromtimestamp(stamp, UTC)


async def _horizon(conn: AsyncConnection) -> int:
    """Reports below this transaction id can no longer appear: every transaction that could
    write one has ended. Read in a statement before the reports are, so the reading snapshot
    is younger than the answer and sees every report those transactions committed."""
    row = (await conn.execute(_RUNNING)).one()
    next_xid = int(row.next_xid)
    if row.oldest is None:
        return next_xid
    # backend_xid is 32 bits; the stored ids carry the epoch: give it the current one.
    oldest = (next_xid & ~0xFFFFFFFF) | int(row.oldest)
    if oldest > next_xid:
        oldest -= 1 << 32
    return min(next_xid, oldest)


async def _next_reports(conn: AsyncConnection, cursor: Cursor, limit: int) -> list[dict[str, Any]]:
    columns = [incidents.c[name] for name in _INCIDENT_COLUMNS]
    query = (
        sa.select(
            reports.c.id, reports.c.xact, reports.c.kind, reports.c.org_id,
            reports.c.received_at, organizations.c.sector.label("org_sector"), *columns,
        )
        .select_from(
            reports.join(organizations, organizations.c.id == reports.c.org_id).outerjoin(
                incidents, incidents.c.id == reports.c.id
            )
        )
        .where(sa.tuple_(reports.c.xact, reports.c.id) > sa.tuple_(cursor.xact, cursor.report_id))
        .order_by(reports.c.xact, reports.c.id)
        .limit(limit)
    )  # fmt: skip
    if conn.dialect.name == "postgresql":
        query = query.where(reports.c.xact < await _horizon(conn))
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def _details(
    conn: AsyncConnection, rows: list[dict[str, Any]]
) -> tuple[dict[int, list[Any]], dict[int, list[Any]], dict[int, Any]]:
    incident_ids = [r["id"] for r in rows if r["kind"] == "incident"]
    asset_ids = [r["id"] for r in rows if r["kind"] == "asset"]
    found: dict[int, list[Any]] = defaultdict(list)
    products: dict[int, list[Any]] = defaultdict(list)
    asset_data: dict[int, Any] = {}
    if incident_ids:
        # Known-benign indicators (marked at ingest) never make a campaign or an exposure.
        query = (
            sa.select(indicators.c.incident_id, indicators.c.type, indicators.c.value)
            .where(indicators.c.incident_id.in_(incident_ids), indicators.c.benign.is_(None))
            .order_by(indicators.c.id)
        )
        for row in await conn.execute(query):
            found[row.incident_id].append((row.type, row.value))
        query = (
            sa.select(
                incident_assets.c.incident_id, incident_assets.c.product_key,
                sa.func.min(assets.c.vendor).label("vendor"),
                sa.func.min(assets.c.product).label("product"),
            )
            .join(assets, assets.c.id == incident_assets.c.asset_pk)
            .where(
                incident_assets.c.incident_id.in_(incident_ids),
                incident_assets.c.product_key.is_not(None),
            )
            .group_by(incident_assets.c.incident_id, incident_assets.c.product_key)
            .order_by(incident_assets.c.incident_id, incident_assets.c.product_key)
        )  # fmt: skip
        for link in await conn.execute(query):
            products[link.incident_id].append((link.product_key, link.vendor, link.product))
    if asset_ids:
        query = sa.select(asset_reports.c.id, asset_reports.c.data, asset_reports.c.product_key)
        for row in await conn.execute(query.where(asset_reports.c.id.in_(asset_ids))):
            asset_data[row.id] = (row.data, row.product_key)
    return found, products, asset_data


async def run_batch(
    conn: AsyncConnection,
    *,
    scoring: ScoringConfig,
    sectors: SectorsConfig,
    limit: int,
    now: datetime,
    carried: CorrelationState | None = None,
    ledger_rows: int = 0,
) -> BatchOutcome:
    """`carried`: the state the previous batch of the same leadership committed, if any, to
    carry on with, keeping up to `ledger_rows` indicator reporters for the next one."""
    cursor = await load_cursor(conn, lock=True)
    rows = await _next_reports(conn, cursor, limit)
    if not rows:
        return BatchOutcome(0, ())
    found, products, asset_data = await _details(conn, rows)
    earliest = min(row["received_at"] for row in rows)
    ctx = await _context(
        conn, scoring, sectors, cursor, at=rows[0]["received_at"], earliest=earliest,
        carried=carried, ledger_rows=ledger_rows,
    )  # fmt: skip
    await ctx.ledger.load(indicator for listed in found.values() for indicator in listed)
    interval = scoring.hysteresis.evaluation_interval_seconds
    for row in rows:
        at = row["received_at"]
        await _ticks(ctx, cursor, until=at, inclusive=False)
        ctx.position = (row["xact"], row["id"])
        if row["kind"] == "incident":
            await steps.incident(ctx, row, found[row["id"]], products[row["id"]])
        else:
            data, key = asset_data[row["id"]]
            await exposure.replay_asset(ctx, row | {"sector": row["org_sector"]}, data, key)
        cursor.xact, cursor.report_id = row["xact"], row["id"]
        if cursor.tick_at is None:
            cursor.tick_at = _boundary(at, interval)
    await ctx.ledger.flush()
    await upsert(conn, incident_scores, ctx.scores, keys=["incident_id"])
    await save_sectors(conn, ctx.state)
    await save_cursor(conn, cursor, now=now)
    return BatchOutcome(len(rows), tuple(ctx.writer.appended), ctx.state)


async def run_ticks(
    conn: AsyncConnection,
    *,
    scoring: ScoringConfig,
    sectors: SectorsConfig,
    until: datetime,
    now: datetime,
    carried: CorrelationState | None = None,
    ledger_rows: int = 0,
) -> BatchOutcome:
    """Time-driven evaluations up to `until` when no report is waiting: de-escalations happen
    because time passes, not because someone reported."""
    cursor = await load_cursor(conn, lock=True)
    interval = scoring.hysteresis.evaluation_interval_seconds
    if cursor.tick_at is None or cursor.tick_at + timedelta(seconds=interval) > until:
        return BatchOutcome(0, ())
    # State is loaded as of the first tick to run: later ticks only need less of it.
    ctx = await _context(
        conn, scoring, sectors, cursor, at=cursor.tick_at, carried=carried,
        ledger_rows=ledger_rows,
    )  # fmt: skip
    await _ticks(ctx, cursor, until=until, inclusive=True)
    await ctx.ledger.flush()
    await save_sectors(conn, ctx.state)
    await save_cursor(conn, cursor, now=now)
    return BatchOutcome(0, tuple(ctx.writer.appended), ctx.state)


async def _context(
    conn: AsyncConnection,
    scoring: ScoringConfig,
    sectors: SectorsConfig,
    cursor: Cursor,
    *,
    at: datetime,
    earliest: datetime | None = None,
    carried: CorrelationState | None = None,
    ledger_rows: int = 0,
) -> Context:
    """The state as of `at` (the carried one when it is still current), and a ledger of the
    reporters still inside the widest window of the batch's `earliest` moment, keeping at most
    `ledger_rows` of them for the next batch."""
    if carried is not None and await carry_on(conn, carried, cursor):
        state = carried
    else:
        state = await load_state(conn, cursor, scoring=scoring, sectors=sectors, at=at)
    since = (earliest or at) - timedelta(hours=scoring.campaign.widest_hours)
    if state.ledger is None:
        state.ledger = Ledger(conn, since=since, keep=ledger_rows)
    else:
        state.ledger.resume(conn, since=since)
    return Context(conn, EventWriter(conn), state, scoring, sectors, state.ledger)


async def _ticks(ctx: Context, cursor: Cursor, *, until: datetime, inclusive: bool) -> None:
    if cursor.tick_at is None:
        return
    interval = timedelta(seconds=ctx.scoring.hysteresis.evaluation_interval_seconds)
    last = _boundary(until, interval.total_seconds())
    if not inclusive and last == until:
        last -= interval
    moment = cursor.tick_at + interval
    while moment <= last:
        if levels.quiet(ctx):
            # Nothing can de-escalate: jump straight to the last boundary.
            cursor.tick_at = last
            return
        await levels.evaluate(ctx, moment)
        cursor.tick_at = moment
        moment += interval
