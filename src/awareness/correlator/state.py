"""What the correlator keeps between batches, loaded at the start of a batch and written back in
the same transaction: the cursor, each sector's score, window and level, the organizations, and
the campaigns in progress."""

from __future__ import annotations

import bisect
import heapq
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.correlator.sightings import Ledger, campaign_recent
from awareness.db.tables import (
    campaign_indicators,
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
    Summary,
    announced_from_json,
    campaign_facts,
    campaign_level,
)
from awareness.scoring.campaigns import SLOW, Indicator

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
    # The highest level announced to its dependents since it was last below the risk level.
    dependency_announced: Level = Level.NONE


@dataclass
class Campaign:
    """A campaign in progress: its indicators (the first opened it), what the windows showed
    when it was last summarized and until when that holds. The fast window's sightings of its
    indicators (bounded by recent activity) and the slow window's summary are read only when
    it needs summarizing again: on a new sighting, or once `facts_until` has passed."""

    id: int
    indicators: list[Indicator]
    announced: Announced | None
    last_fast_at: datetime | None = None
    sectors: tuple[str, ...] = ()
    facts: CampaignFacts | None = None
    facts_until: datetime | None = None
    sightings: dict[Indicator, list[Sighting]] | None = None
    slow: Summary | None = None
    floors: dict[str, Floor] = field(default_factory=dict)

    def all_sightings(self) -> list[Sighting]:
        return [s for found in (self.sightings or {}).values() for s in found]

    def summarize(self, at: datetime, *, cfg: ScoringConfig) -> CampaignFacts | None:
        return campaign_facts(
            self.indicators, self.all_sightings(), at, cfg=cfg, slow=self.slow,
            last_fast_at=self.last_fast_at,
        )  # fmt: skip

    def current(self, at: datetime) -> bool:
        """Whether the facts it holds still describe it at `at`."""
        return self.facts is not None and self.facts_until is not None and at < self.facts_until


Rank = tuple[Level, int, int]


@dataclass
class CorrelationState:
    """A long history leaves thousands of campaigns in progress; a report touches a few. So
    what every evaluation reads (each sector's strongest campaign, which campaigns' facts have
    run out) is kept up to date as campaigns change, never found by walking them all."""

    cursor: Cursor
    sectors: dict[str, SectorRecord]
    # Registration times per sector, sorted: breadth floors count organizations known at `at`.
    org_times: dict[str, list[datetime]]
    scoring: ScoringConfig
    # Active campaigns by id, the campaign of each of their indicators, and the campaigns that
    # touch each sector.
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    by_indicator: dict[Indicator, int] = field(default_factory=dict)
    by_sector: dict[str, set[int]] = field(default_factory=dict)
    # The strongest campaign touching each sector (None: none); absent: to be found again.
    best: dict[str, int | None] = field(default_factory=dict)
    # When each campaign's facts run out (a heap of (facts_until, id); an entry whose campaign
    # has changed since is skipped), and the campaigns no window sees any more, which the next
    # tick ends.
    expiry: list[tuple[datetime, int]] = field(default_factory=list)
    ending: set[int] = field(default_factory=set)
    _indexed: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # Each campaign's rank as last tracked, and per sector a heap of (negated rank, id) with
    # an entry per tracking: the strongest is found again by dropping stale entries from the
    # top, not by ranking every campaign of the sector.
    _ranks: dict[int, Rank] = field(default_factory=dict)
    _heaps: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    # The reporters of recently seen indicators, carried with the rest (see `Ledger`).
    ledger: Ledger | None = None
    # Sectors whose record changed since it was last written: a batch of a few reports
    # touches a few sectors, and writing all of them every batch was most of its fixed cost.
    changed: set[str] = field(default_factory=set)

    def org_count(self, sector: str, at: datetime) -> int:
        return bisect.bisect_right(self.org_times.get(sector, []), at)

    def rank(self, campaign: Campaign) -> Rank:
        """Stronger floor first, then more organizations, then the older campaign."""
        assert campaign.facts is not None
        level = campaign_level(campaign.facts, cfg=self.scoring)
        return (level, campaign.facts.org_count, -campaign.id)

    def track(self, campaign: Campaign) -> None:
        """Index a campaign that is new or whose facts just changed."""
        self.campaigns[campaign.id] = campaign
        for indicator in campaign.indicators:
            self.by_indicator[indicator] = campaign.id
        before = self._indexed.get(campaign.id, ())
        now = campaign.sectors if campaign.facts is not None else ()
        for sector in set(before) - set(now):
            self.by_sector.get(sector, set()).discard(campaign.id)
        for sector in now:
            self.by_sector.setdefault(sector, set()).add(campaign.id)
        self._indexed[campaign.id] = tuple(now)
        if campaign.facts is not None:
            rank = self._ranks[campaign.id] = self.rank(campaign)
            entry = (-rank[0], -rank[1], -rank[2])
            for sector in now:
                heap = self._heaps.setdefault(sector, [])
                heapq.heappush(heap, entry)
                if len(heap) > 64 + 4 * len(self.by_sector[sector]):
                    self._compact(sector)
        else:
            self._ranks.pop(campaign.id, None)
        for sector in set(before) | set(now):
            self._rebest(sector, campaign)
        if campaign.facts is None or campaign.facts_until is None:
            self.ending.add(campaign.id)
        else:
            self.ending.discard(campaign.id)
            heapq.heappush(self.expiry, (campaign.facts_until, campaign.id))
            if len(self.expiry) > 64 + 2 * len(self.campaigns):
                # Carried from batch to batch, stale entries would pile up: keep the live ones.
                self.expiry = [
                    (c.facts_until, c.id)
                    for c in self.campaigns.values()
                    if c.facts is not None and c.facts_until is not None
                ]
                heapq.heapify(self.expiry)

    def forget(self, campaign: Campaign) -> None:
        self.ending.discard(campaign.id)
        if self.campaigns.pop(campaign.id, None) is None:
            return
        for indicator in campaign.indicators:
            if self.by_indicator.get(indicator) == campaign.id:
                del self.by_indicator[indicator]
        self._ranks.pop(campaign.id, None)
        for sector in self._indexed.pop(campaign.id, ()):
            self.by_sector.get(sector, set()).discard(campaign.id)
            if self.best.get(sector, -1) == campaign.id:
                del self.best[sector]

    def _rebest(self, sector: str, campaign: Campaign) -> None:
        if sector not in self.best:
            return
        best = self.best[sector]
        if best == campaign.id:
            del self.best[sector]  # it may have weakened: find the strongest again when asked
        elif (
            campaign.facts is not None
            and sector in campaign.sectors
            and (best is None or self._ranks[campaign.id] > self._ranks[best])
        ):
            self.best[sector] = campaign.id

    def strongest(self, sector: str) -> Campaign | None:
        if sector not in self.best:
            heap = self._heaps.get(sector, [])
            while heap and not self._current(sector, heap[0]):
                heapq.heappop(heap)
            self.best[sector] = heap[0][2] if heap else None
        best = self.best[sector]
        return None if best is None else self.campaigns[best]

    def _current(self, sector: str, entry: tuple[int, int, int]) -> bool:
        """Whether a heap entry still describes its campaign in that sector."""
        campaign_id = entry[2]
        rank = self._ranks.get(campaign_id)
        return (
            rank is not None
            and (-entry[0], -entry[1], -entry[2]) == rank
            and sector in self._indexed.get(campaign_id, ())
        )

    def _compact(self, sector: str) -> None:
        heap = [entry for entry in set(self._heaps[sector]) if self._current(sector, entry)]
        heapq.heapify(heap)
        self._heaps[sector] = heap

    def due(self, at: datetime) -> list[int]:
        """The campaigns whose facts have run out by `at`, each once, oldest id first."""
        found = set()
        while self.expiry and self.expiry[0][0] <= at:
            until, campaign_id = heapq.heappop(self.expiry)
            campaign = self.campaigns.get(campaign_id)
            if (
                campaign is not None
                and campaign.facts is not None
                and campaign.facts_until == until
            ):
                found.add(campaign_id)
        return sorted(found)


@dataclass
class Context:
    """Everything a step reads and writes: the batch's transaction and the loaded state."""

    conn: AsyncConnection
    writer: EventWriter
    state: CorrelationState
    scoring: ScoringConfig
    sectors: SectorsConfig
    # Who reported which indicator, for the batch's indicators: read once, written at the end.
    ledger: Ledger
    # Incident scores to write when the batch ends (nothing reads them before).
    scores: list[dict[str, Any]] = field(default_factory=list)
    # The report being correlated, by its place in the log: what "reported so far" means.
    position: tuple[int, int] = (-1, 0)


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
            Level.parse(row["dependency_announced"]),
        )
    if stale_windows:
        await _rebuild_windows(conn, records, stale_windows, scoring=scoring, at=at)

    state = CorrelationState(cursor, records, await _org_times(conn), scoring)
    state.changed = set(records)  # as read, or made afresh: written once, as they are
    rows = (await conn.execute(sa.select(campaigns).where(campaigns.c.active))).mappings().all()
    members = await _indicators_of(conn, [row["id"] for row in rows])
    for row in rows:
        state.track(campaign_from_row(row, members.get(row["id"], []), cfg=scoring))
    return state


async def carry_on(conn: AsyncConnection, state: CorrelationState, cursor: Cursor) -> bool:
    """Take up the state the previous batch of this leadership committed, if the cursor shows
    nobody else has correlated since: a long history leaves thousands of campaigns in
    progress, and reading them again for every batch would make a batch's cost grow with the
    history. Carrying on is the same as one longer batch, which gives the same result as one
    report at a time. Organizations are read again: an admin may have registered one."""
    before = state.cursor
    if (before.xact, before.report_id, before.tick_at) != (
        cursor.xact, cursor.report_id, cursor.tick_at
    ):  # fmt: skip
        return False
    state.cursor = cursor
    state.org_times = await _org_times(conn)
    return True


async def _org_times(conn: AsyncConnection) -> dict[str, list[datetime]]:
    org_times: dict[str, list[datetime]] = {}
    query = sa.select(organizations.c.sector, organizations.c.created_at)
    for org in await conn.execute(query.order_by(organizations.c.created_at)):
        org_times.setdefault(org.sector, []).append(org.created_at)
    return org_times


async def _indicators_of(conn: AsyncConnection, ids: list[int]) -> dict[int, list[Indicator]]:
    found: dict[int, list[Indicator]] = {}
    if not ids:
        return found
    query = (
        sa.select(campaign_indicators)
        .where(campaign_indicators.c.campaign_id.in_(ids))
        .order_by(campaign_indicators.c.joined_at, campaign_indicators.c.indicator_value)
    )
    for row in (await conn.execute(query)).mappings():
        found.setdefault(row["campaign_id"], []).append(
            (row["indicator_type"], row["indicator_value"])
        )
    return found


def campaign_from_row(
    row: sa.RowMapping, listed: list[Indicator], *, cfg: ScoringConfig
) -> Campaign:
    """A stored campaign, with the facts its row holds (good until its `facts_until`)."""
    founder = (row["indicator_type"], row["indicator_value"])
    indicators = [founder, *(i for i in listed if i != founder)]
    slow = row["pace"] == SLOW
    facts = CampaignFacts(
        indicators=tuple(indicators),
        pace=row["pace"],
        window_hours=cfg.campaign.slow_window_days * 24 if slow else cfg.campaign.window_hours,
        org_count=row["org_count"],
        sectors=tuple(row["sectors"]),
        max_severity=row["max_severity"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
    )
    return Campaign(
        row["id"], indicators, announced_from_json(row["announced"]), row["last_fast_at"],
        facts.sectors, facts, row["facts_until"],
    )  # fmt: skip


async def load_campaign(
    conn: AsyncConnection, row: sa.RowMapping, *, cfg: ScoringConfig
) -> Campaign:
    """A stored campaign (one that ran before, say) with its indicators."""
    members = await _indicators_of(conn, [row["id"]])
    return campaign_from_row(row, members.get(row["id"], []), cfg=cfg)


async def load_sightings(
    conn: AsyncConnection, campaign: Campaign, *, since: datetime
) -> dict[Indicator, list[Sighting]]:
    """The fast window's sightings of each of the campaign's indicators."""
    found = await campaign_recent(conn, campaign.id, since=since)
    return {indicator: found.get(indicator, []) for indicator in campaign.indicators}


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
            "dependency_announced": record.dependency_announced.label,
            "score": record.score_value,
            "evidence": record.evidence,
            "evaluated_at": record.evaluated_at or record.level.since,
        }
        for sector, record in state.sectors.items()
        if sector in state.changed
    ]
    state.changed.clear()
    if rows:
        await upsert(conn, sector_states, rows, keys=["sector"])
