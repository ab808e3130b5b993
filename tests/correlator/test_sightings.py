"""The per-organization summary of an indicator's reports answers campaign questions exactly as
the full list of reports would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from awareness.correlator.sightings import Ledger, Reporter, as_sightings, keep_strongest
from awareness.scoring import ScoringConfig, Sighting, window_facts

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CFG = ScoringConfig()
reports = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.one_of(st.integers(0, 200), st.integers(0, 3000)),  # hours after T0
        st.floats(0, 100, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


@given(reports, st.integers(0, 3000))
def test_summary_matches_every_report(items: list[tuple[str, int, float]], later: int) -> None:
    """Rows kept as `sightings.Ledger.record` keeps them (restarting after the widest window, the
    strongest reports of the fast one) give the fast window's facts exactly, and the slow
    window's organizations, sectors and last report."""
    fast = timedelta(hours=CFG.campaign.window_hours)
    widest = timedelta(hours=CFG.campaign.widest_hours)
    full: list[Sighting] = []
    rows: dict[str, dict[str, object]] = {}
    for org, hours, severity in items:
        moment = T0 + timedelta(hours=hours)
        full.append(Sighting(0, org, "energy", severity, moment))
        row = rows.get(org)
        ongoing = row is not None and row["last_seen"] > moment - widest  # type: ignore[operator]
        strongest = keep_strongest(
            [*(row["raw"] if ongoing else []), (moment, severity)],  # type: ignore[index]
            since=moment - fast,
        )
        rows[org] = {
            "org_id": org,
            "sector": "energy",
            "first_seen": min(row["first_seen"], moment) if ongoing else moment,  # type: ignore[type-var,index]
            "last_seen": max(row["last_seen"], moment) if ongoing else moment,  # type: ignore[type-var,index]
            "raw": strongest,
        }
    last = max(T0 + timedelta(hours=h) for _, h, _ in items)
    at = last + timedelta(hours=later)
    indicator = [("ipv4", "203.0.113.9")]
    expected = window_facts(indicator, full, at, hours=fast / timedelta(hours=1), pace="fast")
    kept = [
        Reporter(str(r["org_id"]), "energy", r["first_seen"], r["last_seen"], 0.0,  # type: ignore[arg-type]
                 tuple(r["raw"]))  # type: ignore[arg-type]
        for r in rows.values()
    ]  # fmt: skip
    got = window_facts(
        indicator, as_sightings(kept, since=at - fast), at,
        hours=fast / timedelta(hours=1), pace="fast",
    )  # fmt: skip
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert got.org_count == expected.org_count
        assert got.sectors == expected.sectors
        assert got.max_severity == expected.max_severity
        assert got.last_seen == expected.last_seen
    # The slow window, as the database counts it from the rows.
    slow = window_facts(indicator, full, at, hours=widest / timedelta(hours=1), pace="slow")
    inside = [r for r in rows.values() if r["last_seen"] > at - widest]  # type: ignore[operator]
    if slow is None:
        assert not inside
    else:
        assert len(inside) == slow.org_count
        assert max(r["last_seen"] for r in inside) == slow.last_seen  # type: ignore[type-var]


async def test_the_ledger_keeps_the_most_recently_used_reporters_between_batches(
    app: FastAPI,
) -> None:
    """Memory stays bounded however long the history: past `keep` rows, the indicators used
    least recently are dropped when the next batch starts, and read again if it asks."""
    database = app.state.components.database
    indicators = [("domain", f"n{i}.example.net") for i in range(6)]
    async with database.write() as conn:
        ledger = Ledger(conn, since=T0, keep=3)
        for n, indicator in enumerate(indicators):
            sighting = Sighting(n + 1, "grid-north", "energy", 10.0, T0 + timedelta(hours=n))
            await ledger.record(indicator, sighting, fast_since=T0, since=T0)
        await ledger.load([indicators[0]])  # used again: the most recent now
        await ledger.flush()
    assert len(ledger) == 6
    async with database.write() as conn:
        ledger.resume(conn, since=T0)
        assert len(ledger) == 3
        # The evicted are read again from what the first batch wrote, the kept from memory.
        for indicator in (indicators[0], indicators[1], indicators[5]):
            [row] = await ledger.reporters(indicator, since=T0 - timedelta(hours=1))
            assert row.org_id == "grid-north"
        assert len(ledger) == 4
        # A batch whose window starts earlier needs rows never read: it starts afresh.
        ledger.resume(conn, since=T0 - timedelta(days=1))
        assert len(ledger) == 0
