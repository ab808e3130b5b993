"""`awareness rescore`: rebuild every derived state from the stored reports alone, in a scratch
database, with the live configuration or another one (a backtest), and say what differs from
the live state. Without --dry-run the rebuilt state replaces the live one."""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.consumers.leader import lead
from awareness.correlator.batch import run_batch, run_ticks
from awareness.correlator.correlator import Correlator
from awareness.correlator.emit import markings_for
from awareness.correlator.state import load_cursor
from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from awareness.db.tables import (
    api_keys,
    asset_reports,
    assets,
    campaign_indicators,
    campaigns,
    correlator_state,
    events,
    exposure_notices,
    exposure_sources,
    incident_assets,
    incident_scores,
    incidents,
    indicator_orgs,
    indicators,
    inventory,
    inventory_cves,
    organizations,
    reports,
    sector_states,
    warnings,
)
from awareness.eventlog.writer import EventWriter
from awareness.settings import Settings
from awareness.views.sectors import level_change

log = logging.getLogger(__name__)

# Reports and what they reference, copied in dependency order; api_keys only as ids.
SOURCE_TABLES = (
    organizations, api_keys, reports, incidents, indicators, assets, asset_reports,
    incident_assets,
)  # fmt: skip
STATE_TABLES = (
    sector_states, incident_scores, inventory, inventory_cves, exposure_sources, exposure_notices,
    indicator_orgs,
)  # fmt: skip
CHUNK = 2000
Progress = Callable[[str], None]


@dataclass
class Comparison:
    """What a rebuilt state says differently from the live one."""

    levels: dict[str, tuple[str, str]] = field(default_factory=dict)  # sector: (live, rebuilt)
    changes_only_live: list[tuple[str, str, str]] = field(default_factory=list)
    changes_only_rebuilt: list[tuple[str, str, str]] = field(default_factory=list)
    warnings_only_live: list[tuple[str, ...]] = field(default_factory=list)
    warnings_only_rebuilt: list[tuple[str, ...]] = field(default_factory=list)
    # What the history costs in attention: (sector, kind) -> (live, rebuilt) warnings.
    attention: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    reports: int = 0

    @property
    def identical(self) -> bool:
        return not (
            self.levels
            or self.changes_only_live
            or self.changes_only_rebuilt
            or self.warnings_only_live
            or self.warnings_only_rebuilt
        )

    def lines(self) -> list[str]:
        if self.identical:
            out = [f"{self.reports} reports replayed: same levels, level changes and warnings"]
            return out + self.attention_lines()
        out = [f"{self.reports} reports replayed; differences (live -> rebuilt):"]
        for sector, (live, rebuilt) in sorted(self.levels.items()):
            out.append(f"  {sector}: level now {live} -> {rebuilt}")
        for label, rows in (("only live", self.changes_only_live),
                            ("only rebuilt", self.changes_only_rebuilt)):  # fmt: skip
            for sector, at, level in rows:
                out.append(f"  {sector}: level change to {level} at {at} ({label})")
        for label, items in (("only live", self.warnings_only_live),
                             ("only rebuilt", self.warnings_only_rebuilt)):  # fmt: skip
            for kind, sector, level, at, title in items:
                out.append(f"  {sector}: {kind} warning {level} at {at} ({label}): {title}")
        return out + self.attention_lines()

    def attention_lines(self) -> list[str]:
        """Warnings per sector and kind, live and rebuilt: what a calibration costs readers."""
        if not self.attention:
            return ["no warnings in the history"]
        out = ["warnings per sector and kind (live -> rebuilt):"]
        width = max(len(sector) for sector, _ in self.attention)
        for (sector, kind), (live, rebuilt) in sorted(self.attention.items()):
            out.append(f"  {sector:<{width}}  {kind:<12} {live:>6} -> {rebuilt}")
        live = sum(count for count, _ in self.attention.values())
        rebuilt = sum(count for _, count in self.attention.values())
        per = f" ({live / self.reports:.2f} -> {rebuilt / self.reports:.2f} per report)"
        out.append(
            f"  {'total':<{width}}  {'':<12} {live:>6} -> {rebuilt}" + per * bool(self.reports)
        )
        return out


async def rebuild(
    source: Database,
    settings: Settings,
    *,
    scratch_dir: Path,
    now: datetime,
    progress: Progress = lambda _line: None,
    batch: int = 1000,
    carry: bool = True,
) -> Database:
    """A scratch SQLite database holding the source's reports and the state rebuilt from them
    under `settings`, with time-driven evaluations up to where the live correlator got. Any
    `batch` size gives the same state, whether each batch takes up the state the previous one
    left (`carry`, as the live correlator does) or reads it again: a report is correlated as
    if alone."""
    scratch = Database(
        f"sqlite+aiosqlite:///{scratch_dir / 'rescore.db'}", options=settings.database
    )
    await upgrade_to_head(scratch)
    async with source.read() as src:
        live = await load_cursor(src, lock=False)
        for table in SOURCE_TABLES:
            await _copy(src, scratch, table, progress)
    total = 0
    carried = None
    keep = settings.correlator.ledger_rows if carry else 0
    while True:
        async with scratch.write() as conn:
            outcome = await run_batch(
                conn, scoring=settings.scoring, sectors=settings.sectors, limit=batch, now=now,
                carried=carried, ledger_rows=keep,
            )  # fmt: skip
        carried = (outcome.state or carried) if carry else None
        total += outcome.processed
        if not outcome.processed:
            break
        progress(f"correlated {total} reports")
    if live.tick_at is not None:
        async with scratch.write() as conn:
            await run_ticks(
                conn, scoring=settings.scoring, sectors=settings.sectors, until=live.tick_at,
                now=now, carried=carried,
                ledger_rows=keep,
            )  # fmt: skip
    return scratch


async def _copy(
    src: AsyncConnection, scratch: Database, table: sa.Table, progress: Progress
) -> None:
    key = next(iter(table.primary_key.columns))
    last: Any = None
    copied = 0
    while True:
        query = sa.select(table).order_by(*table.primary_key.columns).limit(CHUNK)
        if last is not None:
            query = (
                query.where(key > last)
                if len(table.primary_key.columns) == 1
                else query.where(sa.tuple_(*table.primary_key.columns) > sa.tuple_(*last))
            )
        rows = [dict(row) for row in (await src.execute(query)).mappings()]
        if not rows:
            break
        if table is api_keys:
            # Only the ids matter to the replay; no key material leaves the live database.
            rows = [r | {"key_hash": f"rescore-{r['id']}", "prefix": "rescore"} for r in rows]
        async with scratch.write() as conn:
            await conn.execute(table.insert(), rows)
        copied += len(rows)
        last = (
            rows[-1][key.name]
            if len(table.primary_key.columns) == 1
            else tuple(rows[-1][c.name] for c in table.primary_key.columns)
        )
    if copied:
        progress(f"copied {copied} rows of {table.name}")


async def compare(live: Database, rebuilt: Database) -> Comparison:
    result = Comparison()
    async with live.read() as a, rebuilt.read() as b:
        result.reports = (
            await b.execute(sa.select(sa.func.count()).select_from(reports))
        ).scalar_one()
        live_levels = dict(
            (await a.execute(sa.select(sector_states.c.sector, sector_states.c.level))).all()
        )
        new_levels = dict(
            (await b.execute(sa.select(sector_states.c.sector, sector_states.c.level))).all()
        )
        for sector in sorted(set(live_levels) | set(new_levels)):
            before, after = live_levels.get(sector, "none"), new_levels.get(sector, "none")
            if before != after:
                result.levels[sector] = (before, after)
        live_changes, new_changes = await _level_changes(a), await _level_changes(b)
        result.changes_only_live = sorted((live_changes - new_changes).elements())
        result.changes_only_rebuilt = sorted((new_changes - live_changes).elements())
        live_warnings, new_warnings = await _warnings(a), await _warnings(b)
        result.warnings_only_live = sorted((live_warnings - new_warnings).elements())
        result.warnings_only_rebuilt = sorted((new_warnings - live_warnings).elements())
        live_counts, new_counts = await _attention(a), await _attention(b)
        result.attention = {
            key: (live_counts.get(key, 0), new_counts.get(key, 0))
            for key in set(live_counts) | set(new_counts)
        }
    return result


# Vulnerability warnings come from imported advisories, not from reports: a replay of the
# reports neither makes nor changes them, so they are left out of the comparison.
REPLAYED = warnings.c.kind != "vulnerability"


async def _attention(conn: AsyncConnection) -> dict[tuple[str, str], int]:
    query = (
        sa.select(warnings.c.sector, warnings.c.kind, sa.func.count())
        .where(REPLAYED)
        .group_by(warnings.c.sector, warnings.c.kind)
    )
    return {(sector, kind): count for sector, kind, count in await conn.execute(query)}


async def _level_changes(conn: AsyncConnection) -> Counter[tuple[str, str, str]]:
    query = sa.select(events.c.sector, events.c.created_at, events.c.data).where(
        events.c.type == "sector_level"
    )
    return Counter(
        (row.sector, row.created_at.isoformat(), row.data["level"])
        for row in await conn.execute(query)
    )


async def _warnings(conn: AsyncConnection) -> Counter[tuple[str, ...]]:
    query = sa.select(
        warnings.c.kind,
        warnings.c.sector,
        warnings.c.level,
        warnings.c.created_at,
        warnings.c.title,
    ).where(REPLAYED)
    return Counter(
        (row.kind, row.sector, row.level, row.created_at.isoformat(), row.title)
        for row in await conn.execute(query)
    )


class LeaderBusy(Exception):
    """A running server's correlator holds the lock: the live state cannot be replaced now."""


async def replace_live_state(live: Database, rebuilt: Database, *, now: datetime) -> list[str]:
    """Swap the live derived state for the rebuilt one. Warnings and events stay as history; a
    `sector_level` event is appended for each sector whose level changes, so boards follow."""
    async with lead(live, Correlator.name) as leadership:
        if leadership is None:
            raise LeaderBusy("a running server is correlating; stop it, or use --dry-run")
        async with rebuilt.read() as src:
            state = {
                t.name: [dict(r) for r in (await src.execute(sa.select(t))).mappings()]
                for t in STATE_TABLES
            }
            cursor = (await src.execute(sa.select(correlator_state))).mappings().first()
            rebuilt_campaigns = [
                dict(r) for r in (await src.execute(sa.select(campaigns))).mappings()
            ]
            members = [
                dict(r) for r in (await src.execute(sa.select(campaign_indicators))).mappings()
            ]
        async with leadership.transaction() as conn:
            await load_cursor(conn, lock=True)
            before = dict(
                (await conn.execute(sa.select(sector_states.c.sector, sector_states.c.level))).all()
            )
            for table in reversed(STATE_TABLES):
                await conn.execute(table.delete())
            for table in STATE_TABLES:
                rows = state[table.name]
                for start in range(0, len(rows), CHUNK):
                    await conn.execute(table.insert(), rows[start : start + CHUNK])
            await conn.execute(correlator_state.delete())
            if cursor is not None:
                await conn.execute(correlator_state.insert().values(dict(cursor)))
            await _merge_campaigns(conn, rebuilt_campaigns, members, now=now)
            writer = EventWriter(conn)
            changed = []
            for row in state["sector_states"]:
                previous = before.get(row["sector"], "none")
                if previous != row["level"]:
                    changed.append(f"{row['sector']}: {previous} -> {row['level']}")
                    change = level_change(
                        sector=row["sector"], level=row["level"], previous_level=previous,
                        score=row["score"], at=now, evidence=row["evidence"], rescore=True,
                    )  # fmt: skip
                    await writer.append(
                        type="sector_level", kind="sector_level", sector=row["sector"],
                        sectors=(), data=change, at=now,
                        markings=await markings_for(conn, row["evidence"]),
                    )  # fmt: skip
    return changed


async def _merge_campaigns(
    conn: AsyncConnection,
    rows: list[dict[str, Any]],
    members: list[dict[str, Any]],
    *,
    now: datetime,
) -> None:
    """Campaign ids are referenced by warnings, so rows are updated in place, never replaced:
    a campaign is the same one when the same indicator opened it. Every indicator then belongs
    to the campaign the rebuild put it in."""
    seen = set()
    live_ids: dict[int, int] = {}
    state_columns = ("announced", "active", "org_count", "sectors", "max_severity", "level",
                     "first_seen", "last_seen", "updated_at", "pace", "last_fast_at")  # fmt: skip
    for row in rows:
        key = (row["indicator_type"], row["indicator_value"])
        seen.add(key)
        values = {c: row[c] for c in state_columns}
        match = sa.and_(campaigns.c.indicator_type == key[0], campaigns.c.indicator_value == key[1])
        live_id = (await conn.execute(sa.select(campaigns.c.id).where(match))).scalar()
        if live_id is None:
            live_id = (
                await conn.execute(
                    campaigns.insert()
                    .values(values | {"indicator_type": key[0], "indicator_value": key[1]})
                    .returning(campaigns.c.id)
                )
            ).scalar_one()
        else:
            await conn.execute(campaigns.update().where(campaigns.c.id == live_id).values(values))
        live_ids[row["id"]] = live_id
    for existing in (
        await conn.execute(
            sa.select(campaigns.c.id, campaigns.c.indicator_type, campaigns.c.indicator_value)
        )
    ).all():
        if (existing.indicator_type, existing.indicator_value) not in seen:
            await conn.execute(
                campaigns.update()
                .where(campaigns.c.id == existing.id)
                .values(active=False, announced=None, updated_at=now)
            )
    await conn.execute(campaign_indicators.delete())
    rows_in = [member | {"campaign_id": live_ids[member["campaign_id"]]} for member in members]
    for start in range(0, len(rows_in), CHUNK):
        await conn.execute(campaign_indicators.insert(), rows_in[start : start + CHUNK])


def scratch_directory() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="awareness-rescore-")


__all__ = [
    "Comparison",
    "LeaderBusy",
    "compare",
    "rebuild",
    "replace_live_state",
    "scratch_directory",
]
