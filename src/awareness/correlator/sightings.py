"""Who reported an indicator, kept per organization: first and last report, its strongest report
and the strongest recent ones. A campaign check reads one row per organization of the fast
window, however often each repeats the indicator, and lets the database count the slow window,
so its cost does not grow with the history."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import campaign_indicators, indicator_orgs
from awareness.db.upsert import upsert
from awareness.scoring import Sighting, Summary
from awareness.timestamps import time_from_json, time_to_json

Strongest = list[tuple[datetime, float]]
Indicator = tuple[str, str]


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


class Reporter(NamedTuple):
    """One organization's row of an indicator, as the ledger holds it: a tuple with interned
    names and parsed times rather than the stored mapping, since tens of thousands are kept
    between batches and the mapping, with its own copy of every name and its times as JSON
    text, takes about twice the memory."""

    org_id: str
    sector: str
    first_seen: datetime
    last_seen: datetime
    peak: float
    strongest: tuple[tuple[datetime, float], ...]

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> Reporter:
        """From a stored row of `indicator_orgs`."""
        return cls(
            sys.intern(row["org_id"]),
            sys.intern(row["sector"]),
            row["first_seen"],
            row["last_seen"],
            float(row["peak"]),
            tuple((time_from_json(t, "detected_at"), float(s)) for t, s in row["strongest"]),
        )

    def stored(self, indicator: Indicator) -> dict[str, Any]:
        kind, value = indicator
        return {
            "indicator_type": kind,
            "indicator_value": value,
            "org_id": self.org_id,
            "sector": self.sector,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "peak": self.peak,
            "strongest": [[time_to_json(t), s] for t, s in self.strongest],
        }


def as_sightings(rows: Iterable[Reporter], *, since: datetime) -> list[Sighting]:
    """Stand-in sightings that give `window_facts` the same organizations, sectors, strongest
    severity and last reports as every real one would, for windows up to the one the rows
    were kept for."""
    found: list[Sighting] = []
    for row in rows:
        if row.last_seen <= since:
            continue
        org, sector = row.org_id, row.sector
        found.append(Sighting(0, org, sector, 0.0, row.first_seen))
        found.append(Sighting(0, org, sector, 0.0, row.last_seen))
        found.extend(Sighting(0, org, sector, sev, moment) for moment, sev in row.strongest)
    return found


# Indicators per statement when a batch's rows are read: well under SQLite's bound parameters.
_CHUNK = 400


class Ledger:
    """The `indicator_orgs` rows of a batch's indicators, read in one statement per chunk when
    the batch starts and written in one upsert when it ends (or before a statement that reads
    the table itself): a report's indicators cost no statement of their own. Rows keep their
    stored shape, so what the database would answer and what the ledger answers are the same.

    The correlator is the only writer of the table, so the rows stay true after the batch
    commits: the next batch of the same correlator carries on with them (`resume`) and reads
    only indicators it has not seen lately. A widespread indicator (a CVE half the operators
    patch) has a row per organization, and reading those again for every batch would make a
    batch's cost grow with the history. At most `keep` rows stay between batches, the least
    recently used leaving first, so memory does not grow with it either."""

    def __init__(self, conn: AsyncConnection, *, since: datetime, keep: int = 0) -> None:
        # Rows whose last report is older than this are never asked about in the batch (its
        # earliest report's widest window): left unread, however long the history.
        self._conn = conn
        self._since = since
        self._keep = keep
        self._rows: OrderedDict[Indicator, dict[str, Reporter]] = OrderedDict()
        self._held = 0
        self._dirty: dict[tuple[str, str, str], Reporter] = {}

    def __len__(self) -> int:
        """Rows held (an indicator nobody reported counts as one)."""
        return self._held

    def resume(self, conn: AsyncConnection, *, since: datetime) -> None:
        """Serve the next batch, after this one has committed. A batch whose widest window
        starts earlier (reports are ordered by commit, not by time) needs rows this one left
        unread: it reads everything again."""
        assert not self._dirty, "resumed before the last batch was written"
        self._conn = conn
        if since < self._since:
            self._rows.clear()
            self._held = 0
        self._since = since
        while self._held > self._keep and self._rows:
            _, found = self._rows.popitem(last=False)
            self._held -= len(found) or 1

    async def load(self, wanted: Iterable[Indicator]) -> None:
        """Read the rows of every indicator not read yet."""
        missing = set()
        for indicator in wanted:
            if indicator in self._rows:
                self._rows.move_to_end(indicator)
            else:
                missing.add(indicator)
        ordered = sorted(missing)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            for indicator in chunk:
                self._rows[indicator] = {}
            self._held += len(chunk)
            query = _rows_of(self._conn.dialect.name, chunk).where(
                indicator_orgs.c.last_seen > self._since
            )
            chunked = set(chunk)
            for row in (await self._conn.execute(query)).mappings():
                indicator = (row["indicator_type"], row["indicator_value"])
                if indicator in chunked:  # not another type's value, nor a row read before
                    self._put(indicator, Reporter.of(row))

    async def reporters(self, indicator: Indicator, *, since: datetime) -> list[Reporter]:
        """The organizations that reported the indicator after `since`."""
        await self.load([indicator])
        found = self._rows[indicator]
        return [found[org] for org in sorted(found) if found[org].last_seen > since]

    async def recent(self, indicator: Indicator, *, since: datetime) -> list[Sighting]:
        """Stand-in sightings of every organization that reported it after `since`."""
        return as_sightings(await self.reporters(indicator, since=since), since=since)

    async def summary(self, wanted: Sequence[Indicator], *, since: datetime) -> Summary | None:
        """What the window after `since` shows of these indicators, per sector as the
        database's `GROUP BY` would count it."""
        rows = [row for i in wanted for row in await self.reporters(i, since=since)]
        return _summarize(rows)

    async def record(
        self, indicator: Indicator, sighting: Sighting, *, fast_since: datetime, since: datetime
    ) -> None:
        """Add one report of the indicator to its organization's row. The row starts again
        when its last report has left the widest window (`since`); its strongest recent
        reports are kept for the fast window."""
        await self.load([indicator])
        own = self._rows[indicator].get(sighting.org_id)
        first = last = sighting.detected_at
        peak = sighting.severity
        previous: Strongest = []
        if own is not None and own.last_seen > since:
            first, last = min(own.first_seen, first), max(own.last_seen, last)
            peak = max(own.peak, peak)
            previous = list(own.strongest)
        strongest = keep_strongest(
            [*previous, (sighting.detected_at, sighting.severity)], since=fast_since
        )
        row = Reporter(
            sys.intern(sighting.org_id), sys.intern(sighting.sector), first, last, peak,
            tuple(strongest),
        )  # fmt: skip
        self._put(indicator, row)
        self._dirty[(*indicator, sighting.org_id)] = row

    def _put(self, indicator: Indicator, row: Reporter) -> None:
        found = self._rows[indicator]
        if found and row.org_id not in found:
            self._held += 1
        found[row.org_id] = row

    async def flush(self) -> None:
        """Write what changed, so statements reading the table see it."""
        if self._dirty:
            rows = [self._dirty[key].stored(key[:2]) for key in sorted(self._dirty)]
            self._dirty = {}
            await upsert(
                self._conn,
                indicator_orgs,
                rows,
                keys=["indicator_type", "indicator_value", "org_id"],
            )


def _rows_of(dialect: str, chunk: Sequence[Indicator]) -> sa.Select[Any]:
    """The rows of these indicators. On PostgreSQL the pairs are two array parameters joined
    as a table, so every chunk is the same prepared statement and each pair is one look-up in
    the primary key, whatever the planner believes of the table's size: with a condition per
    column, a table that grew since it was last analyzed was scanned whole. Elsewhere the two
    columns' `IN` lists (with the other type's values filtered out by the caller)."""
    rows = indicator_orgs.c
    if dialect == "postgresql":
        texts = postgresql.ARRAY(sa.String)
        pairs = (
            sa.func.unnest(
                sa.cast(sa.literal([kind for kind, _ in chunk], texts), texts),
                sa.cast(sa.literal([value for _, value in chunk], texts), texts),
            )
            .table_valued("kind", "value")
            .render_derived(name="wanted")
        )
        return sa.select(indicator_orgs).select_from(
            pairs.join(
                indicator_orgs,
                sa.and_(rows.indicator_type == pairs.c.kind, rows.indicator_value == pairs.c.value),
            )
        )
    return sa.select(indicator_orgs).where(
        rows.indicator_type.in_(sorted({kind for kind, _ in chunk})),
        rows.indicator_value.in_(sorted({value for _, value in chunk})),
    )


def _summarize(rows: Sequence[Reporter]) -> Summary | None:
    if not rows:
        return None
    return Summary(
        org_count=len({(row.sector, row.org_id) for row in rows}),
        sectors=tuple(sorted({row.sector for row in rows})),
        max_severity=max(row.peak for row in rows),
        first_seen=min(row.first_seen for row in rows),
        last_seen=max(row.last_seen for row in rows),
        oldest_last_seen=min(row.last_seen for row in rows),
    )


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
    grouped: dict[tuple[str, str], list[Reporter]] = {}
    for row in (await conn.execute(query)).mappings():
        indicator = (row["indicator_type"], row["indicator_value"])
        grouped.setdefault(indicator, []).append(Reporter.of(row))
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
