"""Who reported an indicator, kept per organization: first and last report, and the strongest
recent ones. A campaign check reads one row per organization, however often each repeats the
indicator, so its cost does not grow with the history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import indicator_orgs
from awareness.db.upsert import upsert
from awareness.scoring import Sighting
from awareness.timestamps import time_from_json, time_to_json

Strongest = list[tuple[datetime, float]]


def keep_strongest(entries: Iterable[tuple[datetime, float]], *, since: datetime) -> Strongest:
    """Entries inside the window that no later-or-equal entry beats or equals in severity: the
    strongest report of any later part of the window is always among them."""
    kept: Strongest = []
    best = -1.0
    for moment, severity in sorted((e for e in entries if e[0] > since), reverse=True):
        if severity > best:
            kept.append((moment, severity))
            best = severity
    return sorted(kept)


def as_sightings(rows: Iterable[dict[str, Any]], *, since: datetime) -> list[Sighting]:
    """Stand-in sightings that give `summarize_sightings` the same organizations, sectors,
    strongest severity and first and last reports as every real one would."""
    found: list[Sighting] = []
    for row in rows:
        if row["last_seen"] <= since:
            continue
        org, sector = row["org_id"], row["sector"]
        found.append(Sighting(0, org, sector, 0.0, row["first_seen"]))
        found.append(Sighting(0, org, sector, 0.0, row["last_seen"]))
        found.extend(Sighting(0, org, sector, sev, moment) for moment, sev in _strongest(row))
    return found


def _strongest(row: dict[str, Any]) -> Strongest:
    return [(time_from_json(t, "detected_at"), float(s)) for t, s in row["strongest"]]


_SAME = sa.and_(
    indicator_orgs.c.indicator_type == sa.bindparam("kind"),
    indicator_orgs.c.indicator_value == sa.bindparam("value"),
)
# Built once: these run for every indicator of every report.
_RECENT = sa.select(indicator_orgs).where(_SAME, indicator_orgs.c.last_seen > sa.bindparam("since"))
_OWN = sa.select(indicator_orgs).where(_SAME, indicator_orgs.c.org_id == sa.bindparam("org_id"))


async def reporters(
    conn: AsyncConnection, kind: str, value: str, *, since: datetime, org_id: str | None = None
) -> dict[str, dict[str, Any]]:
    """The organizations that reported the indicator after `since` (an index range), and
    `org_id`'s own row whenever it reported it."""
    same = {"kind": kind, "value": value}
    rows = await conn.execute(_RECENT, same | {"since": since})
    found = {row["org_id"]: dict(row) for row in rows.mappings()}
    if org_id is not None and org_id not in found:
        row = (await conn.execute(_OWN, same | {"org_id": org_id})).mappings().first()
        if row is not None:
            found[org_id] = dict(row)
    return found


async def record(
    conn: AsyncConnection, kind: str, value: str, sighting: Sighting, *, since: datetime
) -> list[Sighting]:
    """Add one report of the indicator; returns the stand-in sightings of every organization
    that reported it since `since`."""
    rows = await reporters(conn, kind, value, since=since, org_id=sighting.org_id)
    own = rows.get(sighting.org_id)
    first = last = sighting.detected_at
    if own is not None and own["last_seen"] > since:
        first, last = min(own["first_seen"], first), max(own["last_seen"], last)
    previous = _strongest(own) if own is not None else []
    strongest = keep_strongest([*previous, (sighting.detected_at, sighting.severity)], since=since)
    row = {
        "indicator_type": kind,
        "indicator_value": value,
        "org_id": sighting.org_id,
        "sector": sighting.sector,
        "first_seen": first,
        "last_seen": last,
        "strongest": [[time_to_json(t), s] for t, s in strongest],
    }
    await upsert(conn, indicator_orgs, [row], keys=["indicator_type", "indicator_value", "org_id"])
    rows[sighting.org_id] = row
    return as_sightings(rows.values(), since=since)
