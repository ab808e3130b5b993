"""Loads a history in bulk (COPY, indexes rebuilt afterwards), because ingesting a million
reports one by one would take hours; what it loads counts as already correlated."""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from draws import Draw
from history import (
    INCIDENT_TABLES,
    INDICATOR_ORG_COLUMNS,
    REPORT_COLUMNS,
    HistoryRows,
    check_columns,
)
from world import HISTORY_END, World

from awareness.correlator.sightings import Reporter, as_sightings
from awareness.scoring import (
    LevelState,
    RecentWindow,
    SectorScore,
    campaign_facts,
    campaign_level,
    check_milestones,
    facts_until,
    may_form_campaign,
    product_key,
)
from awareness.scoring.campaigns import FAST, Summary
from awareness.settings import Settings
from harness import BenchError, log

CHUNK = 20_000  # incidents generated and copied at a time
INDEXED_TABLES = ("reports", "incidents", "indicators")  # secondary indexes built after COPY


@dataclass
class Seeded:
    size: int
    assets: int
    incidents: int
    fresh_values: int  # distinct never-repeated indicator values drawn
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    database_bytes: int = 0
    last_xact: int = 0


class Seeder(HistoryRows):
    def __init__(
        self,
        conn: asyncpg.Connection,
        world: World,
        settings: Settings,
        *,
        size: int,
        recent: int,
        days: float,
        seed: int,
    ) -> None:
        super().__init__(world, settings, size=size)
        self.conn = conn
        self.recent = recent
        self.days = days
        self.rng = random.Random(seed)
        self.copied: dict[str, int] = defaultdict(int)
        self.checked: set[str] = set()

    async def copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if table not in self.checked:
            self.checked.add(table)
            check_columns(table, columns)
        if rows:
            await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))
            self.copied[table] += len(rows)

    async def run(self) -> Seeded:
        started = time.perf_counter()
        world = self.world
        await self.conn.execute(
            "SET session_replication_role = replica; SET synchronous_commit = off;"
            " SET maintenance_work_mem = '512MB'"
        )
        dropped = await self._drop_indexes()
        history_start = HISTORY_END - timedelta(days=self.days)
        await self.copy(
            "organizations", ("id", "name", "sector", "region", "created_at"),
            [(o.id, f"Operator {o.index:04d}", o.sector, "region-" + str(o.index % 9),
              world.created_at) for o in world.orgs],
        )  # fmt: skip
        await self.copy(
            "api_keys", ("id", "prefix", "key_hash", "role", "org_id", "sectors", "name",
                         "created_at"),
            [(o.key_id, "aw_bench", hashlib.sha256(b"bench-%d" % o.index).hexdigest(),
              "operator", o.id, None, f"operator key {o.id}", world.created_at)
             for o in world.orgs],
        )  # fmt: skip
        await self._seed_assets(history_start - timedelta(days=1))
        n_assets = len(world.assets)
        incidents = self.size - n_assets
        recent = self.recent
        if recent > incidents // 2:
            raise BenchError(f"{recent} recent reports do not fit in {incidents} incidents")
        draw = Draw(world, fresh_base=0, reuse_limit=None)
        old_start = history_start
        old_span = (HISTORY_END - self.window - history_start).total_seconds()
        recent_start = HISTORY_END - self.window
        buffers: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        last_log = time.perf_counter()
        for i in range(incidents):
            report_id = n_assets + 1 + i
            if i < incidents - recent:
                offset = old_span * (i + self.rng.random()) / (incidents - recent)
                received = old_start + timedelta(seconds=offset)
            else:
                j = i - (incidents - recent)
                offset = self.window.total_seconds() * (j + self.rng.random()) / recent
                received = recent_start + timedelta(seconds=offset)
            org = world.org_pick.pick(self.rng)
            spec = draw.incident(self.rng, org, received)
            self._incident_rows(report_id, spec, buffers)
            if len(buffers["incidents"]) >= CHUNK:
                await self._flush(buffers)
                if time.perf_counter() - last_log > 15:
                    last_log = time.perf_counter()
                    rate = (i + 1) / (last_log - started)
                    log(f"  seeded {i + 1:,}/{incidents:,} incidents ({rate:,.0f}/s)")
        await self._flush(buffers)
        log(f"  {incidents:,} incidents copied ({time.perf_counter() - started:.0f} s); "
            "derived state...")  # fmt: skip
        await self._seed_derived(n_assets + incidents)
        await self._set_sequences()
        log(f"  building {len(dropped)} secondary indexes...")
        for definition in dropped:
            await self.conn.execute(definition)
        await self.conn.execute("RESET session_replication_role")
        log("  VACUUM ANALYZE...")
        await self.conn.execute("VACUUM (ANALYZE)")
        seeded = Seeded(
            self.size, n_assets, incidents, draw.next_fresh, time.perf_counter() - started,
            last_xact=self.xact(self.size),
        )  # fmt: skip
        for table in sorted(self.copied):
            seeded.rows[table] = await self.conn.fetchval(f'SELECT count(*) FROM "{table}"')
        seeded.database_bytes = await self.conn.fetchval(
            "SELECT pg_database_size(current_database())"
        )
        return seeded

    async def _drop_indexes(self) -> list[str]:
        """Plain secondary indexes of the big tables, dropped for the COPY and rebuilt after it
        from their own definitions (what the migrations created, unchanged)."""
        rows = await self.conn.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public'"
            " AND i.tablename = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            "  WHERE c.conname = i.indexname)",
            list(INDEXED_TABLES),
        )
        for row in rows:
            await self.conn.execute(f'DROP INDEX "{row["indexname"]}"')
        return [row["indexdef"] for row in rows]

    async def _seed_assets(self, at: datetime) -> None:
        world = self.world
        reports, assets, asset_reports, inventory, inventory_cves = [], [], [], [], []
        for asset in world.assets:
            org = world.orgs[asset.org]
            received = at + timedelta(seconds=asset.pk)
            model = asset.model()
            key = product_key(model.vendor, model.product)
            reports.append((asset.pk, self.xact(asset.pk), "asset", org.id, org.key_id, received,
                            f"seed-asset-{asset.pk}"))  # fmt: skip
            assets.append((
                asset.pk, org.id, asset.asset_id, org.sector, model.name, model.kind, model.vendor,
                model.product, model.version, model.criticality, model.internet_exposed,
                json.dumps(model.cves), model.location, key, asset.pk, received, received,
            ))  # fmt: skip
            asset_reports.append(
                (asset.pk, asset.pk, org.id, key, json.dumps(model.model_dump(mode="json")))
            )
            inventory.append((org.id, asset.asset_id, org.sector, model.vendor, model.product, key,
                              json.dumps(model.cves)))  # fmt: skip
            inventory_cves.extend((cve, org.id, asset.asset_id) for cve in model.cves)
        await self.copy("reports", REPORT_COLUMNS, reports)
        await self.copy(
            "assets",
            ("id", "org_id", "asset_id", "sector", "name", "kind", "vendor", "product", "version",
             "criticality", "internet_exposed", "cves", "location", "product_key", "report_id",
             "created_at", "updated_at"),
            assets,
        )  # fmt: skip
        await self.copy(
            "asset_reports", ("id", "asset_pk", "org_id", "product_key", "data"), asset_reports
        )
        await self.copy(
            "inventory",
            ("org_id", "asset_id", "sector", "vendor", "product", "product_key", "cves"),
            inventory,
        )
        await self.copy("inventory_cves", ("cve", "org_id", "asset_id"), inventory_cves)

    async def _flush(self, buffers: dict[str, list[tuple[Any, ...]]]) -> None:
        for table, columns in INCIDENT_TABLES.items():
            await self.copy(table, columns, buffers.pop(table, []))

    async def _seed_derived(self, last_report: int) -> None:
        world, cfg = self.world, self.cfg
        # indicator_orgs for every value seen more than once (fresh ones went in already).
        rows = []
        by_value: dict[tuple[str, str], list[Reporter]] = defaultdict(list)
        for (kind, value, org), (first, last, kept, sector, peak) in self.agg.items():
            strongest = [[t.isoformat(), s] for t, s in kept]
            org_id = world.orgs[org].id
            rows.append((kind, value, org_id, sector, first, last, peak, json.dumps(strongest)))
            by_value[(kind, value)].append(
                Reporter(org_id, sector, first, last, peak, tuple((t, s) for t, s in kept))
            )
        await self.copy("indicator_orgs", INDICATOR_ORG_COLUMNS, rows)
        # Campaigns the history made: active where a window at the end of the history still
        # shows one, with what the correlator would have announced; over otherwise. Every one
        # the 90-day window shows counts as a slow campaign in progress (none is known to have
        # been fast before): the most campaigns the correlator could have to carry.
        since = HISTORY_END - self.sight_window
        campaigns, members = [], []
        for (kind, value), found in sorted(by_value.items()):
            if len(found) < cfg.campaign.min_orgs or not may_form_campaign(kind, value, cfg=cfg):
                continue
            campaign_id = len(campaigns) + 1
            inside = [f for f in found if f.last_seen > since]
            seen = as_sightings(found, since=HISTORY_END - self.window)
            slow = Summary(
                org_count=len(inside),
                sectors=tuple(sorted({f.sector for f in inside})),
                max_severity=max((f.peak for f in inside), default=0.0),
                first_seen=min((f.first_seen for f in inside), default=HISTORY_END),
                last_seen=max((f.last_seen for f in inside), default=HISTORY_END),
                oldest_last_seen=min((f.last_seen for f in inside), default=HISTORY_END),
            )
            facts = campaign_facts([(kind, value)], seen, HISTORY_END, cfg=cfg, slow=slow)
            first = min(f.first_seen for f in found)
            last = max(f.last_seen for f in found)
            members.append((kind, value, campaign_id, first))
            if facts is not None:
                until = facts_until(seen, HISTORY_END, cfg=cfg, slow=slow)
                announced = check_milestones(None, facts, cfg=cfg).announced
                assert announced is not None
                fast = HISTORY_END if facts.pace == FAST else None
                campaigns.append((
                    campaign_id, kind, value, json.dumps(announced.to_json()), True,
                    facts.org_count, json.dumps(list(facts.sectors)), facts.max_severity,
                    campaign_level(facts, cfg=cfg).label, facts.first_seen, facts.last_seen,
                    HISTORY_END, facts.pace, fast, until,
                ))  # fmt: skip
            else:
                sectors = sorted({f.sector for f in found})
                top = max((s for f in found for _, s in f.strongest), default=0.0)
                campaigns.append((
                    campaign_id, kind, value, None, False, len(found), json.dumps(sectors),
                    top, "yellow", first, last, last, FAST, None, None,
                ))  # fmt: skip
        await self.copy(
            "campaigns",
            ("id", "indicator_type", "indicator_value", "announced", "active", "org_count",
             "sectors", "max_severity", "level", "first_seen", "last_seen", "updated_at", "pace",
             "last_fast_at", "facts_until"),
            campaigns,
        )  # fmt: skip
        await self.copy(
            "campaign_indicators",
            ("indicator_type", "indicator_value", "campaign_id", "joined_at"),
            members,
        )
        # Exposure: the latest incident per product and CVE, and the holders warned about it.
        holders = world.holders()
        sources, notices = [], []
        for match_key, (incident_id, org, severity, detected, received) in sorted(
            self.sources.items()
        ):
            source_org = world.orgs[org]
            sources.append((match_key, incident_id, source_org.id, source_org.sector, severity,
                            detected))  # fmt: skip
            notices.extend(
                (world.orgs[h].id, match_key, received)
                for h in sorted(holders.get(match_key, ()))
                if h != org
            )
        await self.copy(
            "exposure_sources",
            ("match_key", "incident_id", "org_id", "sector", "severity", "detected_at"),
            sources,
        )
        await self.copy("exposure_notices", ("org_id", "match_key", "warned_at"), notices)
        # Sector states: the incremental score and recent window of the last hours.
        states = []
        for sector in self.sectors_cfg.sectors:
            score, window = SectorScore(cfg=cfg), RecentWindow(cfg=cfg)
            for incident_id, org, severity, detected in self.recent_scores:
                if world.orgs[org].sector == sector:
                    score.add(incident_id, world.orgs[org].id, severity, detected)
                    window.add(incident_id, world.orgs[org].id, severity, detected)
            window.prune(HISTORY_END)
            states.append((
                sector, json.dumps(score.to_json()), json.dumps(window.to_json()),
                json.dumps(LevelState.initial(HISTORY_END).to_json()), "none", "none",
                score.score(HISTORY_END), json.dumps({}), HISTORY_END,
            ))  # fmt: skip
        await self.copy(
            "sector_states",
            ("sector", "score_state", "window_state", "level_state", "level",
             "dependency_announced", "score", "evidence", "evaluated_at"),
            states,
        )  # fmt: skip
        tick = datetime.fromtimestamp(math.floor(HISTORY_END.timestamp() / 60) * 60, UTC)
        await self.copy(
            "correlator_state",
            ("id", "xact", "report_id", "tick_at", "updated_at"),
            [(1, self.xact(last_report), last_report, tick, HISTORY_END)],
        )

    async def _set_sequences(self) -> None:
        for table, column in (("reports", "id"), ("indicators", "id"), ("assets", "id"),
                              ("campaigns", "id"), ("api_keys", "id"), ("warnings", "id"),
                              ("events", "seq")):  # fmt: skip
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            )
