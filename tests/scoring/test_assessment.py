"""A whole evaluation: own levels, one-hop dependency floors, hysteresis and evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from awareness.scoring.assessment import SectorInput, assess_sectors
from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.decay import SectorScore
from awareness.scoring.floors import Floor, incident_floors
from awareness.scoring.levels import Level, LevelState
from awareness.scoring.window import RecentWindow

CFG = ScoringConfig()
SECTORS = SectorsConfig()
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def energy_red_by_floor() -> SectorInput:
    return SectorInput(score=10, floors=(Floor("breadth_wide", Level.RED, "3 of 4", {}),))


def test_dependency_floors_are_one_hop() -> None:
    outcomes = assess_sectors({"energy": energy_red_by_floor()}, {}, T0, sectors=SECTORS, cfg=CFG)
    levels = {sector: outcome.state.level for sector, outcome in outcomes.items()}
    assert levels["energy"] == Level.RED
    assert levels["water"] == Level.ORANGE  # strong on energy: red - 1
    assert levels["communications"] == Level.ORANGE  # strong on energy
    assert levels["chemical"] == Level.YELLOW  # moderate on energy: red - 2
    # financial services: strong on communications, but communications is orange only by a
    # dependency floor, which never propagates: moderate on energy gives yellow
    assert levels["financial_services"] == Level.YELLOW
    assert len(outcomes) == 16
    assert outcomes["water"].escalated
    assert outcomes["water"].changed


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
