"""The per-organization summary of an indicator's reports answers campaign questions exactly as
the full list of reports would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from awareness.correlator.sightings import as_sightings, keep_strongest
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
    """Rows kept over the widest window answer for the fast and the slow window alike."""
    window = timedelta(hours=CFG.campaign.widest_hours)
    full: list[Sighting] = []
    rows: dict[str, dict[str, object]] = {}
    for org, hours, severity in items:
        moment = T0 + timedelta(hours=hours)
        full.append(Sighting(0, org, "energy", severity, moment))
        since = moment - window
        row = rows.get(org)
        ongoing = row is not None and row["last_seen"] > since  # type: ignore[operator]
        strongest = keep_strongest(
            [*(row["raw"] if row else []), (moment, severity)],
            since=since,  # type: ignore[misc]
        )
        rows[org] = {
            "org_id": org,
            "sector": "energy",
            "first_seen": min(row["first_seen"], moment) if ongoing else moment,  # type: ignore[type-var,index]
            "last_seen": max(row["last_seen"], moment) if ongoing else moment,  # type: ignore[type-var,index]
            "raw": strongest,
            "strongest": [[t.isoformat(), s] for t, s in strongest],
        }
    last = max(T0 + timedelta(hours=h) for _, h, _ in items)
    at = last + timedelta(hours=later)
    kept = as_sightings(rows.values(), since=at - window)
    indicator = [("ipv4", "203.0.113.9")]
    for hours in (CFG.campaign.window_hours, CFG.campaign.widest_hours):
        expected = window_facts(indicator, full, at, hours=hours, pace="fast")
        got = window_facts(indicator, kept, at, hours=hours, pace="fast")
        if expected is None:
            assert got is None
            continue
        assert got is not None
        assert got.org_count == expected.org_count
        assert got.sectors == expected.sectors
        assert got.max_severity == expected.max_severity
        assert got.last_seen == expected.last_seen
