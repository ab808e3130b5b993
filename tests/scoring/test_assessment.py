"""A whole evaluation: levels from each sector's own facts, hysteresis and evidence; and the risk
its dependencies put a sector at, shown beside its level, never in it (section 3b)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from awareness.scoring.assessment import SectorInput, assess_sectors
from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.decay import SectorScore
from awareness.scoring.dependency import (
    dependency_announcement,
    dependency_evidence,
    dependency_risk,
    dependency_title,
)
from awareness.scoring.floors import Floor, incident_floors
from awareness.scoring.levels import Level, LevelState
from awareness.scoring.window import RecentWindow

CFG = ScoringConfig()
SECTORS = SectorsConfig()
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def energy_red_by_floor() -> SectorInput:
    return SectorInput(score=10, floors=(Floor("breadth_wide", Level.RED, "3 of 4", {}),))


def test_no_sector_moves_without_reports_of_its_own() -> None:
    outcomes = assess_sectors({"energy": energy_red_by_floor()}, {}, T0, sectors=SECTORS, cfg=CFG)
    levels = {sector: outcome.state.level for sector, outcome in outcomes.items()}
    assert levels.pop("energy") == Level.RED
    assert set(levels.values()) == {Level.NONE}
    assert len(outcomes) == 16
    assert not any(
        floor.get("rule") == "dependency"
        for outcome in outcomes.values()
        for floor in outcome.evidence["floors"]
    )


def test_dependency_risk_lists_upstreams_at_orange_or_red_strongest_first() -> None:
    levels = {
        "energy": Level.ORANGE,
        "communications": Level.RED,
        "water": Level.RED,
        "transportation": Level.YELLOW,  # below orange: no risk
    }
    risk = dependency_risk("healthcare", levels, sectors=SECTORS, cfg=CFG)
    assert [r.to_json() for r in risk] == [
        {"sector": "water", "level": "red", "strength": "strong"},
        {"sector": "energy", "level": "orange", "strength": "strong"},
        {"sector": "communications", "level": "red", "strength": "moderate"},
    ]
    # one hop: financial services leans strongly on communications, which is red by its own
    # reports; energy's level reaches it only as energy's own (moderate) risk
    assert [r.sector for r in dependency_risk("financial_services", levels, sectors=SECTORS,
                                              cfg=CFG)] == ["communications", "energy"]  # fmt: skip
    assert dependency_risk("energy", {"energy": Level.RED}, sectors=SECTORS, cfg=CFG) == []


def test_one_dependency_warning_per_rise_to_orange_and_to_red() -> None:
    announced = Level.NONE
    said = []
    for level in (Level.YELLOW, Level.ORANGE, Level.RED, Level.ORANGE, Level.RED, Level.BLUE,
                  Level.RED, Level.ORANGE):  # fmt: skip
        warn, announced = dependency_announcement(announced, level, cfg=CFG)
        said.append((level.label, warn))
    assert said == [
        ("yellow", False),
        ("orange", True),
        ("red", True),
        ("orange", False),
        ("red", False),  # never fell below orange: already announced
        ("blue", False),
        ("red", True),  # fell below orange and rose again, straight to red: one warning
        ("orange", False),
    ]


def test_dependency_warning_names_the_upstream_and_its_dependents_by_strength() -> None:
    title = dependency_title("water", Level.RED, sectors=SECTORS)
    assert title == (
        "Dependency: water is red; strongly dependent: chemical, food_agriculture, healthcare; "
        "3 more moderately"
    )
    evidence = dependency_evidence(
        "water",
        Level.RED,
        upstream_evidence={"score": 12.5, "floors": [{"rule": "campaign"}, {"rule": "breadth"}]},
        sectors=SECTORS,
    )
    assert evidence == {
        "upstream": "water",
        "level": "red",
        "dependents": [
            {"sector": "chemical", "strength": "strong"},
            {"sector": "food_agriculture", "strength": "strong"},
            {"sector": "healthcare", "strength": "strong"},
            {"sector": "commercial_facilities", "strength": "moderate"},
            {"sector": "emergency_services", "strength": "moderate"},
            {"sector": "energy", "strength": "moderate"},
        ],
        "upstream_score": 12.5,
        "upstream_rules": ["breadth", "campaign"],
    }


def test_outcome_keeps_level_by_hysteresis_and_says_so() -> None:
    states = {"energy": LevelState(Level.ORANGE, T0)}
    outcomes = assess_sectors(
        {"energy": SectorInput(score=57)}, states, T0 + 2 * HOUR, sectors=SECTORS, cfg=CFG
    )
    energy = outcomes["energy"]
    # 57 > 60 - 5: orange is kept, nothing changed, and the evidence says why
    assert energy.state is states["energy"]
    assert not energy.changed
    assert energy.evidence["held_by"] == "hysteresis"
    assert energy.evidence["band"] == "yellow"


def test_end_to_end_evidence_explains_the_level() -> None:
    score = SectorScore(cfg=CFG)
    window = RecentWindow(cfg=CFG)
    for incident_id, org, severity in ((1, "a", 85.0), (2, "b", 45.0), (3, "c", 20.0)):
        score.add(incident_id, org, severity, T0)
        window.add(incident_id, org, severity, T0)
    at = T0 + HOUR
    floors = tuple(incident_floors(window, at, org_count=8, cfg=CFG))
    given = SectorInput(score.score(at), floors, tuple(score.top(at, 10)))
    outcome = assess_sectors({"energy": given}, {}, at, sectors=SECTORS, cfg=CFG)["energy"]
    evidence = outcome.evidence
    assert outcome.state == LevelState(Level.ORANGE, at)
    assert json.loads(json.dumps(evidence)) == evidence
    # (85 + 45/2^1.5 + 20/3^1.5) * 2^(-1/24) / 2.612
    # = (85 + 15.9099 + 3.8490) * 0.971532 / 2.612 = 104.7589 * 0.971532 / 2.612 = 38.965
    assert given.score == pytest.approx(38.965, abs=1e-3)
    assert evidence["score"] == round(given.score, 2)
    assert evidence["band"] == "blue"
    assert [i["id"] for i in evidence["top_incidents"]] == [1, 2, 3]
    assert evidence["top_incidents"][0]["decayed"] == 82.58  # 85 * 0.971532
    assert {f["rule"] for f in evidence["floors"]} == {
        "severe_incident",
        "significant_incident",
        "breadth",
    }
    assert "org" not in json.dumps(evidence["top_incidents"])
