"""Section 1: the weighted mean of the categories, with hand-computed values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.levels import Level
from awareness.scoring.severity import (
    asset_criticality_value,
    cross_sector_dependency,
    incident_level,
    incident_severity,
    severity_components,
)

CFG = ScoringConfig()
SECTORS = SectorsConfig()


@pytest.mark.parametrize(
    ("sector", "expected"),
    [
        # 8 strong + 7 moderate of 15 others: (8 + 7 * 0.5) / 15 * 100 = 76.666...
        ("energy", 100 * 11.5 / 15),
        # 4 strong + 11 moderate: (4 + 5.5) / 15 * 100 = 63.333...
        ("communications", 100 * 9.5 / 15),
        # 3 strong + 3 moderate: (3 + 1.5) / 15 * 100 = 30
        ("water", 30.0),
        # 5 moderate: 2.5 / 15 * 100 = 16.666...
        ("transportation", 100 * 2.5 / 15),
        # 1 strong + 3 moderate: 2.5 / 15 * 100 = 16.666...
        ("information_technology", 100 * 2.5 / 15),
        ("chemical", 0.0),
    ],
)
def test_cross_sector_dependency_is_share_of_other_sectors(sector: str, expected: float) -> None:
    assert cross_sector_dependency(sector, sectors=SECTORS, cfg=CFG) == pytest.approx(expected)


def test_cross_sector_dependency_of_a_lone_sector_is_zero() -> None:
    lone = SectorsConfig(sectors=("only",), dependencies={})
    assert cross_sector_dependency("only", sectors=lone, cfg=CFG) == 0.0
    with pytest.raises(ValueError, match="unknown sector"):
        cross_sector_dependency("other", sectors=lone, cfg=CFG)


def test_asset_criticality_takes_the_highest_and_defaults_to_medium() -> None:
    assert asset_criticality_value([], cfg=CFG) == 40  # none listed: medium
    assert asset_criticality_value([None], cfg=CFG) == 40  # unrated asset: medium
    assert asset_criticality_value(["low", None], cfg=CFG) == 40
    assert asset_criticality_value(["low", "critical", "high"], cfg=CFG) == 100
    assert asset_criticality_value(["low"], cfg=CFG) == 10
    with pytest.raises(ValueError, match="unknown asset criticality"):
        asset_criticality_value(["extreme"], cfg=CFG)


def test_severity_of_a_serious_energy_incident() -> None:
    severity = incident_severity(
        functional_impact="significant_critical",  # 85
        location="critical_systems",  # 85
        information_impact="none",  # 0
        recoverability="extended",  # 70
        asset_criticalities=["high", "critical"],  # 100
        sector="energy",  # 76.667
        sectors=SECTORS,
        cfg=CFG,
    )
    # 0.3*85 + 0.2*85 + 0.15*0 + 0.15*70 + 0.1*100 + 0.1*76.667
    # = 25.5 + 17 + 0 + 10.5 + 10 + 7.6667 = 70.6667, weights sum to 1
    assert severity == pytest.approx(70.6667, abs=1e-4)
    assert incident_level(severity, cfg=CFG) == Level.ORANGE


def test_severity_with_only_required_fields_uses_contract_defaults() -> None:
    severity = incident_severity(
        functional_impact="none", sector="chemical", sectors=SECTORS, cfg=CFG
    )
    # location unknown 30, information none 0, recoverability regular 10, asset medium 40,
    # chemical has no dependents 0: 0.2*30 + 0.15*10 + 0.1*40 = 6 + 1.5 + 4 = 11.5
    assert severity == pytest.approx(11.5)
    assert incident_level(severity, cfg=CFG) == Level.NONE


def test_worst_case_is_bounded_by_dependency_share() -> None:
    severity = incident_severity(
        functional_impact="denial_critical",
        location="safety_systems",
        information_impact="destruction_critical",
        recoverability="not_recoverable",
        asset_criticalities=["critical"],
        sector="nuclear",
        sectors=SECTORS,
        cfg=CFG,
    )
    # every category 100 except cross-sector dependency 0: 100 * 0.9 / 1.0 = 90
    assert severity == pytest.approx(90.0)


def test_weights_are_normalized() -> None:
    doubled = ScoringConfig.model_validate(
        {"severity": {"weights": {name: w * 2 for name, w in CFG.severity.weights}}}
    )
    args = {"functional_impact": "denial_critical", "sector": "water", "sectors": SECTORS}
    assert incident_severity(**args, cfg=doubled) == pytest.approx(
        incident_severity(**args, cfg=CFG)
    )


def test_unknown_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown functional impact 'total'"):
        incident_severity(functional_impact="total", sector="water", sectors=SECTORS, cfg=CFG)
    with pytest.raises(ValueError, match="unknown location"):
        severity_components(
            functional_impact="none", location="moon", sector="water", sectors=SECTORS, cfg=CFG
        )


values = CFG.severity.values


@given(
    functional=st.sampled_from(sorted(values.functional_impact)),
    location=st.sampled_from(sorted(values.location)),
    information=st.sampled_from(sorted(values.information_impact)),
    recoverability=st.sampled_from(sorted(values.recoverability)),
    assets=st.lists(st.sampled_from([*sorted(values.asset_criticality), None]), max_size=4),
    sector=st.sampled_from(SECTORS.sectors),
)
def test_severity_is_between_0_and_100(
    functional: str,
    location: str,
    information: str,
    recoverability: str,
    assets: list[str | None],
    sector: str,
) -> None:
    severity = incident_severity(
        functional_impact=functional,
        location=location,
        information_impact=information,
        recoverability=recoverability,
        asset_criticalities=assets,
        sector=sector,
        sectors=SECTORS,
        cfg=CFG,
    )
    assert 0 <= severity <= 100
