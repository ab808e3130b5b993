"""Who reported an indicator, kept per organization: first and last report, its strongest report
and the strongest recent ones. A campaign check reads one row per organization of the fast
window, however often each repeats the indicator, and lets the database count the slow window,
so its cost does not grow with the history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import campaign_indicators, indicator_orgs
from awareness.db.upsert import upsert
from awareness.scoring import Sighting, Summary
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
    """Stand-in sightings that give `window_facts` the same organizations, sectors, strongest
    severity and last reports as every real one would, for windows up to the one the rows
    were kept for."""
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
    conn: AsyncConnection, kind: str, value: str, *, since: datetime
) -> dict[str, dict[str, Any]]:
    """The organizations that reported the indicator after `since` (an index range)."""
    rows = await conn.execute(_RECENT, {"kind": kind, "value": value, "since": since})
    return {row["org_id"]: dict(row) for row in rows.mappings()}


async def recent(
    conn: AsyncConnection, kind: str, value: str, *, since: datetime
) -> list[Sighting]:
    """Stand-in sightings of every organization that reported the indicator after `since`."""
    return as_sightings((await reporters(conn, kind, value, since=since)).values(), since=since)


async def summary(
    conn: AsyncConnection, indicators: Sequence[tuple[str, str]], *, since: datetime
) -> Summary | None:
    """What the window after `since` shows of these indicators, counted by the database: one
    row per sector, however many organizations reported them."""
    if not indicators:
        return None
    rows = indicator_orgs.c
    which = sa.or_(
        *(sa.and_(rows.indicator_type == t, rows.indicator_value == v) for t, v in indicators)
    )
    return await _summary(conn, sa.select(*_COUNTS).where(which, rows.last_seen > since))


async def campaign_summary(
    conn: AsyncConnection, campaign_id: int, *, since: datetime
) -> Summary | None:
    """`summary` of every indicator of a campaign, in one statement however many it has."""
    return await _summary(
        conn,
        sa.select(*_COUNTS)
        .select_from(indicator_orgs.join(campaign_indicators, _MEMBER))
        .where(
            campaign_indicators.c.campaign_id == campaign_id,
            indicator_orgs.c.last_seen > since,
        ),
    )


async def campaign_recent(
    conn: AsyncConnection, campaign_id: int, *, since: datetime
) -> dict[tuple[str, str], list[Sighting]]:
    """`recent` of every indicator of a campaign, in one statement."""
    query = (
        sa.select(indicator_orgs)
        .select_from(indicator_orgs.join(campaign_indicators, _MEMBER))
        .where(
            campaign_indicators.c.campaign_id == campaign_id,
            indicator_orgs.c.last_seen > since,
        )
    )
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in (await conn.execute(query)).mappings():
        grouped.setdefault((row["indicator_type"], row["indicator_value"]), []).append(dict(row))
    return {key: as_sightings(found, since=since) for key, found in grouped.items()}


_MEMBER = sa.and_(
    campaign_indicators.c.indicator_type == indicator_orgs.c.indicator_type,
    campaign_indicators.c.indicator_value == indicator_orgs.c.indicator_value,
)
_COUNTS = (
    indicator_orgs.c.sector,
    sa.func.count(sa.distinct(indicator_orgs.c.org_id)),
    sa.func.max(indicator_orgs.c.peak),
    sa.func.min(indicator_orgs.c.first_seen),
    sa.func.max(indicator_orgs.c.last_seen),
    sa.func.min(indicator_orgs.c.last_seen),
)


async def _summary(conn: AsyncConnection, query: sa.Select[Any]) -> Summary | None:
    found = (await conn.execute(query.group_by(indicator_orgs.c.sector))).all()
    if not found:
        return None
    return Summary(
        org_count=sum(row[1] for row in found),
        sectors=tuple(sorted(row[0] for row in found)),
        max_severity=max(row[2] for row in found),
        first_seen=min(row[3] for row in found),
        last_seen=max(row[4] for row in found),
        oldest_last_seen=min(row[5] for row in found),
    )


async def record(
    conn: AsyncConnection,
    kind: str,
    value: str,
    sighting: Sighting,
    *,
    fast_since: datetime,
    since: datetime,
) -> None:
    """Add one report of the indicator to its organization's row. The row starts again when
    its last report has left the widest window (`since`); its strongest recent reports are
    kept for the fast window."""
    params = {"kind": kind, "value": value, "org_id": sighting.org_id}
    own = (await conn.execute(_OWN, params)).mappings().first()
    first = last = sighting.detected_at
    peak = sighting.severity
    previous: Strongest = []
    if own is not None and own["last_seen"] > since:
        first, last = min(own["first_seen"], first), max(own["last_seen"], last)
        peak = max(own["peak"], peak)
        previous = _strongest(dict(own))
    strongest = keep_strongest(
        [*previous, (sighting.detected_at, sighting.severity)], since=fast_since
    )
    row = {
        "indicator_type": kind,
        "indicator_value": value,
        "org_id": sighting.org_id,
        "sector": sighting.sector,
        "first_seen": first,
        "last_seen": last,
        "peak": peak,
        "strongest": [[time_to_json(t), s] for t, s in strongest],
    }
    await upsert(conn, indicator_orgs, [row], keys=["indicator_type", "indicator_value", "org_id"])
