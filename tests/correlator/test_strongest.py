"""Each sector's strongest campaign, kept up to date as campaigns change, is the one ranking
every campaign of the sector would find: thousands of campaigns in progress must not make an
evaluation walk them all, nor give a different floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from awareness.correlator.state import Campaign, CorrelationState, Cursor
from awareness.scoring import CampaignFacts
from awareness.scoring.campaigns import FAST, SLOW
from awareness.settings import load_settings

CFG = load_settings().scoring
SECTORS = ("energy", "water", "finance")
AT = datetime(2026, 11, 30, tzinfo=UTC)

Change = tuple[str, int, tuple[str, int, float, set[str]] | None, str]
change = st.tuples(
    st.sampled_from(["track", "track", "track", "forget", "ask"]),
    st.integers(1, 12),  # campaign id
    st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from([FAST, SLOW]),
            st.integers(3, 12),  # organizations
            st.sampled_from([10.0, 70.0]),  # strongest severity
            st.sets(st.sampled_from(SECTORS), min_size=1),
        ),
    ),
    st.sampled_from(SECTORS),
)


def _campaign(campaign_id: int, shown: tuple[str, int, float, set[str]] | None) -> Campaign:
    if shown is None:  # no window sees it any more: it ends at the next tick
        return Campaign(campaign_id, [("ipv4", f"203.0.113.{campaign_id}")], None)
    pace, orgs, severity, sectors = shown
    facts = CampaignFacts(
        indicators=(("ipv4", f"203.0.113.{campaign_id}"),), pace=pace, window_hours=72,
        org_count=orgs, sectors=tuple(sorted(sectors)), max_severity=severity,
        first_seen=AT, last_seen=AT,
    )  # fmt: skip
    return Campaign(
        campaign_id, list(facts.indicators), None, None, facts.sectors, facts,
        AT + timedelta(hours=1),
    )  # fmt: skip


def _by_ranking_all(state: CorrelationState, sector: str) -> int | None:
    touching = [c for c in state.campaigns.values() if c.facts is not None and sector in c.sectors]
    return max(touching, key=state.rank).id if touching else None


@settings(max_examples=300)
@given(st.lists(change, max_size=80))
def test_the_strongest_is_what_ranking_every_campaign_gives(changes: list[Change]) -> None:
    state = CorrelationState(Cursor(), {}, {}, CFG)
    for what, campaign_id, shown, sector in changes:
        if what == "track":
            state.track(_campaign(campaign_id, shown))
        elif what == "forget" and campaign_id in state.campaigns:
            state.forget(state.campaigns[campaign_id])
        found = state.strongest(sector)
        assert (found.id if found else None) == _by_ranking_all(state, sector)
    for sector in SECTORS:
        found = state.strongest(sector)
        assert (found.id if found else None) == _by_ranking_all(state, sector)


def test_campaigns_tracked_again_and_again_leave_one_expiry_each() -> None:
    """The state lives from batch to batch: a campaign updated by every report must not pile up
    expiry entries, and still runs out once, when its facts do."""
    state = CorrelationState(Cursor(), {}, {}, CFG)
    for n in range(500):
        state.track(_campaign(1 + n % 3, (FAST, 3 + n % 5, 10.0, {"energy"})))
    assert len(state.expiry) <= 64 + 2 * len(state.campaigns)
    assert state.due(AT) == []
    assert state.due(AT + timedelta(hours=2)) == [1, 2, 3]
    assert state.due(AT + timedelta(hours=3)) == []
