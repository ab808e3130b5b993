"""The rows a history leaves in each table, computed with the real scoring code, and the columns
they fill checked against the schema, because the schema moves while this benchmark does not."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from draws import IncidentSpec, summary_of
from world import HISTORY_END, Org, World

from awareness.correlator.sightings import keep_strongest
from awareness.db import tables
from awareness.scoring import incident_level, incident_severity, may_form_campaign
from awareness.settings import Settings
from awareness.vocabulary import CRITICALITY_ORDER
from harness import BenchError


class HistoryRows:
    """Per incident, its rows; across incidents, what the correlator would have kept of them."""

    def __init__(self, world: World, settings: Settings, *, size: int) -> None:
        self.world = world
        self.cfg = settings.scoring
        self.sectors_cfg = settings.sectors
        self.size = size
        self.window = timedelta(hours=self.cfg.campaign.window_hours)
        # Who reported what is kept over the widest campaign window (the slow one when on).
        self.sight_window = timedelta(hours=self.cfg.campaign.widest_hours)
        self.severity_memo: dict[tuple[Any, ...], tuple[float, str]] = {}
        self.agg: dict[tuple[str, str, int], tuple[datetime, datetime, list[Any], str, float]] = {}
        self.sources: dict[str, tuple[int, int, float, datetime, datetime]] = {}
        self.recent_scores: list[tuple[int, int, float, datetime]] = []
        self.warning_id = 0
        self.indicator_id = 0

    def xact(self, report_id: int) -> int:
        # Small increasing transaction ids, all below any real one: the cursor goes past them.
        return 1 + report_id * 100 // self.size

    def severity(
        self, spec: IncidentSpec, criticality: str | None, sector: str
    ) -> tuple[float, str]:
        key = (spec.functional_impact, spec.location, spec.information_impact,
               spec.recoverability, criticality, sector)  # fmt: skip
        found = self.severity_memo.get(key)
        if found is None:
            value = incident_severity(
                functional_impact=spec.functional_impact, location=spec.location,
                information_impact=spec.information_impact, recoverability=spec.recoverability,
                asset_criticalities=[criticality] if criticality else [], sector=sector,
                sectors=self.sectors_cfg, cfg=self.cfg,
            )  # fmt: skip
            found = (value, incident_level(value, cfg=self.cfg).label)
            self.severity_memo[key] = found
        return found

    def _incident_rows(
        self, report_id: int, spec: IncidentSpec, out: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        org = self.world.orgs[spec.org]
        criticality = max(
            (a.criticality for a in spec.assets), key=CRITICALITY_ORDER.__getitem__, default=None
        )
        severity, level = self.severity(spec, criticality, org.sector)
        received, detected = spec.received_at, spec.detected_at
        out["reports"].append(
            (report_id, self.xact(report_id), "incident", org.id, org.key_id, received, None)
        )
        out["incidents"].append((
            report_id, org.id, org.sector, received, detected, spec.occurred_at, spec.category,
            spec.functional_impact, spec.information_impact, spec.recoverability, spec.location,
            criticality, summary_of(spec), spec.tlp, f"INC-{report_id}",
        ))  # fmt: skip
        out["incident_scores"].append((report_id, severity, level))
        since = received - self.sight_window
        for kind, value, source, _number in spec.indicators:
            self.indicator_id += 1
            out["indicators"].append(
                (self.indicator_id, report_id, org.id, org.sector, kind, value, detected)
            )
            if source == "benign" and not may_form_campaign(kind, value, cfg=self.cfg):
                continue
            if source == "fresh":
                strongest = json.dumps([[detected.isoformat(), severity]])
                out["indicator_orgs"].append(
                    (kind, value, org.id, org.sector, detected, detected, severity, strongest)
                )
                continue
            key = (kind, value, spec.org)
            own = self.agg.get(key)
            # As sightings.Ledger.record keeps them: the row starts again after the widest window,
            # its strongest recent reports cover the fast one.
            if own is not None and own[1] > since:
                first, last = min(own[0], detected), max(own[1], detected)
                previous, peak = own[2], max(own[4], severity)
            else:
                first = last = detected
                previous, peak = [], severity
            kept = keep_strongest([*previous, (detected, severity)], since=received - self.window)
            self.agg[key] = (first, last, kept, org.sector, peak)
        keys = {f"product:{a.product.key}" for a in spec.assets if a.product is not None}
        keys |= {f"cve:{value}" for kind, value, _, _ in spec.indicators if kind == "cve"}
        for match_key in keys:
            self.sources[match_key] = (report_id, spec.org, severity, detected, received)
        for asset in spec.assets:
            key = asset.product.key if asset.product is not None else None
            out["incident_assets"].append((report_id, asset.pk, key))
        if received > HISTORY_END - self.window:
            self.recent_scores.append((report_id, spec.org, severity, detected))
        if report_id % WARNING_EVERY == 0:
            self._warning_rows(spec, org, level, received, out)

    def _warning_rows(
        self, spec: IncidentSpec, org: Org, level: str, at: datetime, out: dict[str, list[Any]]
    ) -> None:
        """The event log the history left: a warning (and its event) every WARNING_EVERY
        reports, so the tables the correlator appends to are not empty either."""
        self.warning_id += 1
        seq = self.warning_id
        kind = ("exposure", "campaign", "sector_level")[seq % 3]
        targets = [org.id] if kind == "exposure" else None
        title = f"{kind.replace('_', ' ').capitalize()} warning {seq} in {org.sector}"
        data = {"id": seq, "kind": kind, "sector": org.sector, "level": level, "title": title}
        out["warnings"].append((
            seq, seq, kind, org.sector, json.dumps([org.sector]), level, title,
            json.dumps({"incident": spec.category}), json.dumps(targets) if targets else None,
            None, at, None, None,
        ))  # fmt: skip
        event = {
            "seq": seq, "type": "warning", "kind": kind, "sector": org.sector, "warning_id": seq,
            "data": json.dumps(data), "created_at": at,
            "audience": json.dumps({"sectors": [org.sector], "targets": targets or []}),
        }  # fmt: skip
        out["events"].append(tuple(event[name] for name in EVENT_COLUMNS))
        out["event_sectors"].append((org.sector, seq))
        if targets:
            out["event_targets"].append((org.id, seq))


def check_columns(table: str, columns: Sequence[str]) -> None:
    """The schema moves while this benchmark does not: refuse to seed a table whose required
    columns it does not fill, naming them, rather than fail inside COPY."""
    definition = tables.metadata.tables[table]
    unknown = [name for name in columns if name not in definition.c]
    missing = [
        column.name
        for column in definition.c
        if not column.nullable
        and column.name not in columns
        and column.server_default is None
        and not (column.primary_key and column.autoincrement is True)
    ]
    if unknown or missing:
        raise BenchError(
            f"bench/correlator/run.py seeds {table} with columns that no longer match "
            f"awareness.db.tables: unknown {unknown}, required but not filled {missing}"
        )


# `audience` (who an event concerns, read by the broadcaster) is newer than some databases.
EVENT_COLUMNS = tuple(
    name
    for name in ("seq", "type", "kind", "sector", "warning_id", "data", "audience", "created_at")
    if name in tables.events.c
)
REPORT_COLUMNS = ("id", "xact", "kind", "org_id", "key_id", "received_at", "request_id")
INDICATOR_ORG_COLUMNS = ("indicator_type", "indicator_value", "org_id", "sector", "first_seen",
                         "last_seen", "peak", "strongest")  # fmt: skip
INCIDENT_TABLES: dict[str, tuple[str, ...]] = {
    "reports": REPORT_COLUMNS,
    "incidents": ("id", "org_id", "sector", "received_at", "detected_at", "occurred_at",
                  "category", "functional_impact", "information_impact", "recoverability",
                  "location", "asset_criticality", "summary", "tlp", "reference"),
    "indicators": ("id", "incident_id", "org_id", "sector", "type", "value", "detected_at"),
    "incident_assets": ("incident_id", "asset_pk", "product_key"),
    "incident_scores": ("incident_id", "severity", "level"),
    "indicator_orgs": INDICATOR_ORG_COLUMNS,
    "warnings": ("id", "seq", "kind", "sector", "sectors", "level", "title", "evidence",
                 "target_orgs", "campaign_id", "created_at", "acknowledged_at",
                 "acknowledged_by"),
    "events": EVENT_COLUMNS,
    "event_sectors": ("sector", "seq"),
    "event_targets": ("org_id", "seq"),
}  # fmt: skip
WARNING_EVERY = 50  # history reports per seeded warning
