"""What the correlator keeps between batches, loaded at the start of a batch and written back in
the same transaction: the cursor, each sector's score, window and level, the organizations, and
the campaigns in progress."""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.correlator.sightings import as_sightings, reporters
from awareness.db.tables import (
    campaigns,
    correlator_state,
    incident_scores,
    incidents,
    organizations,
    sector_states,
)
from awareness.db.upsert import upsert
from awareness.eventlog.writer import EventWriter
from awareness.scoring import (
    Announced,
    CampaignFacts,
    Floor,
    Level,
    LevelState,
    RecentWindow,
    ScoringConfig,
    SectorsConfig,
    SectorScore,
    Sighting,
    announced_from_json,
    summarize_sightings,
)

log = logging.getLogger(__name__)


@dataclass
class Cursor:
    """Position in the report log: the last processed (xact, id), and the last minute boundary
    evaluated for time-driven changes."""

    xact: int = -1
    report_id: int = 0
    tick_at: datetime | None = None


@dataclass
class SectorRecord:
    score: SectorScore
    window: RecentWindow
    level: LevelState
    score_value: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    evaluated_at: datetime | None = None
    # The level its own score and floors give it, as of its last assessment: what dependent
    # sectors read between two assessments.
    own: Level = Level.NONE


@dataclass
class Campaign:
    """A campaign in progress, with its sightings inside the window (bounded by activity)."""

    id: int
    kind: str
    value: str
    sightings: list[Sighting]
    announced: Announced | None
    sectors: tuple[str, ...] = ()
    # What the window shows, good until its oldest sighting leaves the window: campaign facts
    # change only then or with a new sighting, so evaluations in between reuse them and the
    # floors built from them, per sector.
    facts: CampaignFacts | None = None
    facts_until: datetime | None = None
    floors: dict[str, Floor] = field(default_factory=dict)

    def summarize(self, at: datetime, *, cfg: ScoringConfig) -> CampaignFacts | None:
        return summarize_sightings(self.kind, self.value, self.sightings, at, cfg=cfg)


@dataclass
class CorrelationState:
    cursor: Cursor
    sectors: dict[str, SectorRecord]
    # Registration times per sector, sorted: breadth floors count organizations known at `at`.
    org_times: dict[str, list[datetime]]
    campaigns: dict[tuple[str, str], Campaign]

    def org_count(self, sector: str, at: datetime) -> int:
        return bisect.bisect_right(self.org_times.get(sector, []), at)


@dataclass
class Context:
    """Everything a step reads and writes: the batch's transaction and the loaded state."""

    conn: AsyncConnection
    writer: EventWriter
    state: CorrelationState
    scoring: ScoringConfig
    sectors: SectorsConfig


async def load_cursor(conn: AsyncConnection, *, lock: bool) -> Cursor:
    query = sa.select(correlator_state).where(correlator_state.c.id == 1)
    if lock:
        # Serializes with `awareness rescore`, which rewrites the cursor.
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return Cursor()
    return Cursor(row["xact"], row["report_id"], row["tick_at"])


async def save_cursor(conn: AsyncConnection, cursor: Cursor, *, now: datetime) -> None:
    row = {
        "id": 1,
        "xact": cursor.xact,
        "report_id": cursor.report_id,
        "tick_at": cursor.tick_at,
        "updated_at": now,
    }
    await upsert(conn, correlator_state, [row], keys=["id"])


async def load_state(
    conn: AsyncConnection,
    cursor: Cursor,
    *,
    scoring: ScoringConfig,
    sectors: SectorsConfig,
    at: datetime,
) -> CorrelationState:
    stored = {
        row["sector"]: row for row in (await conn.execute(sa.select(sector_states))).mappings()
    }
    records: dict[str, SectorRecord] = {}
    stale_windows: list[str] = []
    for sector in sectors.sectors:
        row = stored.get(sector)
        if row is None:
            records[sector] = SectorRecord(
                SectorScore(cfg=scoring), RecentWindow(cfg=scoring), LevelState.initial(at)
            )
            continue
        try:
            window = RecentWindow.from_json(row["window_state"], cfg=scoring)
        except ValueError:
            window = RecentWindow(cfg=scoring)
            stale_windows.append(sector)
        records[sector] = SectorRecord(
            SectorScore.from_json(row["score_state"], cfg=scoring),
            window,
            LevelState.from_json(row["level_state"]),
            row["score"],
            row["evidence"],
            row["evaluated_at"],
            Level.parse(row["own_level"]),
        )
    if stale_windows:
        await _rebuild_windows(conn, records, stale_windows, scoring=scoring, at=at)

    org_times: dict[str, list[datetime]] = {}
    query = sa.select(organizations.c.sector, organizations.c.created_at)
    for org in await conn.execute(query.order_by(organizations.c.created_at)):
        org_times.setdefault(org.sector, []).append(org.created_at)

    active: dict[tuple[str, str], Campaign] = {}
    since = at - timedelta(hours=scoring.campaign.window_hours)
    for row in (await conn.execute(sa.select(campaigns).where(campaigns.c.active))).mappings():
        found = await reporters(conn, row["indicator_type"], row["indicator_value"], since=since)
        seen = as_sightings(found.values(), since=since)
        active[(row["indicator_type"], row["indicator_value"])] = Campaign(
            row["id"], row["indicator_type"], row["indicator_value"], seen,
            announced_from_json(row["announced"]), tuple(row["sectors"]),
        )  # fmt: skip
    return CorrelationState(cursor, records, org_times, active)


async def _rebuild_windows(
    conn: AsyncConnection,
    records: dict[str, SectorRecord],
    names: list[str],
    *,
    scoring: ScoringConfig,
    at: datetime,
) -> None:
    """The floor thresholds changed: refill the recent windows from the incidents of the last
    window, which the detected_at index serves."""
    log.info("rebuilding recent-incident windows", extra={"sectors": names})
    since = at - timedelta(hours=scoring.floors.window_hours)
    query = (
        sa.select(
            incidents.c.id,
            incidents.c.org_id,
            incidents.c.sector,
            incidents.c.detected_at,
            incident_scores.c.severity,
        )
        .join(incident_scores, incident_scores.c.incident_id == incidents.c.id)
        .where(incidents.c.detected_at > since, incidents.c.sector.in_(names))
    )
    for row in await conn.execute(query):
        records[row.sector].window.add(row.id, row.org_id, row.severity, row.detected_at)


async def save_sectors(conn: AsyncConnection, state: CorrelationState) -> None:
    rows = [
        {
            "sector": sector,
            "score_state": record.score.to_json(),
            "window_state": record.window.to_json(),
            "level_state": record.level.to_json(),
            "level": record.level.level.label,
            "own_level": record.own.label,
            "score": record.score_value,
            "evidence": record.evidence,
            "evaluated_at": record.evaluated_at or record.level.since,
        }
        for sector, record in state.sectors.items()
    ]
    await upsert(conn, sector_states, rows, keys=["sector"])
