"""Section 3 floors: severe, significant, breadth (from the recent window) and dependency."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.floors import Floor, incident_floors
from awareness.scoring.levels import Level
from awareness.scoring.window import RecentWindow

CFG = ScoringConfig()
SECTORS = SectorsConfig()
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def rules(floors: list[Floor]) -> dict[str, Level]:
    return {floor.rule: floor.level for floor in floors}


def test_severe_incident_holds_orange_for_24_hours() -> None:
    window = RecentWindow(cfg=CFG)
    window.add(11, "a", 85, T0)
    floors = incident_floors(window, T0 + 23 * HOUR, org_count=10, cfg=CFG)
    # 85 >= 80 (severe, orange) and 85 >= 60 (significant, yellow); one org of 10: no breadth
    assert rules(floors) == {"severe_incident": Level.ORANGE, "significant_incident": Level.YELLOW}
    severe = floors[0]
    assert severe.evidence["incidents"] == [{"id": 11, "severity": 85.0}]
    assert "incident 11" in severe.detail
    # exactly 24 h later it has left the window
    assert incident_floors(window, T0 + 24 * HOUR, org_count=10, cfg=CFG) == []


def test_significant_incident_holds_yellow() -> None:
    window = RecentWindow(cfg=CFG)
    window.add(1, "a", 60, T0)
    window.add(2, "a", 59.9, T0 + HOUR)
    assert rules(incident_floors(window, T0 + HOUR, org_count=10, cfg=CFG)) == {
        "significant_incident": Level.YELLOW
    }


@pytest.mark.parametrize(
    ("reporting", "org_count", "expected"),
    [
        (1, 1, {}),  # 1 < 2 organizations
        (2, 8, {"breadth": Level.ORANGE}),  # 2 >= 2 and 2 >= 0.25 * 8 = 2
        (2, 9, {}),  # 2 < 0.25 * 9 = 2.25
        (3, 6, {"breadth": Level.ORANGE, "breadth_wide": Level.RED}),  # 3 >= 0.5 * 6 = 3
        (3, 7, {"breadth": Level.ORANGE}),  # 3 < 0.5 * 7 = 3.5
        (2, 2, {"breadth": Level.ORANGE}),  # 100 %, but wide needs 3 organizations
        (3, 0, {"breadth": Level.ORANGE, "breadth_wide": Level.RED}),  # reporters are the floor
    ],
)
def test_breadth(reporting: int, org_count: int, expected: dict[str, Level]) -> None:
    window = RecentWindow(cfg=CFG)
    for i in range(reporting):
        window.add(i, f"org{i}", 40, T0)
    window.add(99, "org0", 39.9, T0)  # below 40: never counts
    window.add(98, "below", 39.9, T0)
    assert rules(incident_floors(window, T0, org_count=org_count, cfg=CFG)) == expected


def test_breadth_evidence_counts_organizations_without_naming_them() -> None:
    window = RecentWindow(cfg=CFG)
    window.add(1, "secret-org-a", 45, T0)
    window.add(2, "secret-org-b", 50, T0 + HOUR)
    (floor,) = incident_floors(window, T0 + HOUR, org_count=4, cfg=CFG)
    assert floor.evidence["organizations"] == 2
    assert floor.evidence["sector_organizations"] == 4
    assert floor.evidence["share"] == 0.5
    assert "secret" not in json.dumps(floor.to_json())


def test_window_keeps_the_latest_incident_per_org_and_tier() -> None:
    window = RecentWindow(cfg=CFG)
    window.add(1, "a", 90, T0)
    window.add(2, "a", 85, T0 + 10 * HOUR)
    window.add(3, "a", 95, T0 - 30 * HOUR)  # a late report, long outside the window
    marks = window.marks("severe", T0 + 30 * HOUR)
    assert {org: mark.incident_id for org, mark in marks.items()} == {"a": 2}
    window.prune(T0 + 40 * HOUR)
    assert window.to_json()["orgs"] == {}


def test_window_state_round_trip_and_threshold_change() -> None:
    window = RecentWindow(cfg=CFG)
    window.add(1, "a", 81.5, T0)
    window.add(2, "b", 41, T0 + timedelta(microseconds=3))
    stored = json.loads(json.dumps(window.to_json()))
    assert RecentWindow.from_json(stored, cfg=CFG).to_json() == window.to_json()
    changed = ScoringConfig.model_validate({"floors": {"severe_severity": 90}})
    with pytest.raises(ValueError, match="rebuild"):
        RecentWindow.from_json(stored, cfg=changed)


events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.floats(min_value=0, max_value=100),
        st.integers(min_value=-48 * 60, max_value=0),
    ),
    max_size=40,
)


@settings(deadline=None)
@given(events=events, org_count=st.integers(min_value=0, max_value=12))
def test_window_floors_equal_a_scan_of_every_incident(
    events: list[tuple[str, float, int]], org_count: int
) -> None:
    window = RecentWindow(cfg=CFG)
    for i, (org, severity, minutes) in enumerate(events):
        window.add(i, org, severity, T0 + timedelta(minutes=minutes))
    window.prune(T0)
    stored = RecentWindow.from_json(json.loads(json.dumps(window.to_json())), cfg=CFG)
    recent = [(org, s) for org, s, m in events if -m < 24 * 60]
    broad = {org for org, s in recent if s >= 40}
    total = max(org_count, len(broad))
    expected = set()
    if any(s >= 80 for _, s in recent):
        expected.add("severe_incident")
    if any(s >= 60 for _, s in recent):
        expected.add("significant_incident")
    if len(broad) >= 2 and len(broad) >= 0.25 * total:
        expected.add("breadth")
    if len(broad) >= 3 and len(broad) >= 0.5 * total:
        expected.add("breadth_wide")
    for w in (window, stored):
        assert set(rules(incident_floors(w, T0, org_count=org_count, cfg=CFG))) == expected
