"""The shipped TOML files load into the models, match docs/scoring.md, and nonsense is refused."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from awareness.scoring.config import ScoringConfig, SectorsConfig, Strength
from awareness.scoring.levels import Level

CONFIG_DIR = Path(__file__).parents[2] / "config"


def load(name: str) -> dict[str, Any]:
    with (CONFIG_DIR / name).open("rb") as file:
        return tomllib.load(file)


def test_scoring_toml_is_the_code_default_and_scoring_md() -> None:
    cfg = ScoringConfig.model_validate(load("scoring.toml"))

    assert cfg == ScoringConfig()
    assert cfg.half_life_hours == 24
    weights = cfg.severity.weights
    assert (weights.functional_impact, weights.location) == (0.30, 0.20)
    assert (weights.information_impact, weights.recoverability) == (0.15, 0.15)
    assert (weights.asset_criticality, weights.cross_sector_dependency) == (0.10, 0.10)
    values = cfg.severity.values
    assert values.functional_impact["significant_critical"] == 85
    assert values.location["unknown"] == 30
    assert values.information_impact["credential_compromise"] == 80
    assert values.recoverability["not_recoverable"] == 100
    assert values.asset_criticality == {"low": 10, "medium": 40, "high": 70, "critical": 100}
    assert cfg.severity.default_asset_criticality == "medium"
    assert (cfg.sector_score.max_per_org, cfg.sector_score.max_terms) == (3, 100)
    assert (cfg.sector_score.exponent, cfg.sector_score.normalizer) == (1.5, 2.612)
    assert (cfg.bands.blue, cfg.bands.yellow, cfg.bands.orange, cfg.bands.red) == (20, 40, 60, 80)
    floors = cfg.floors
    assert (floors.window_hours, floors.severe_severity, floors.severe_level) == (
        24,
        80,
        Level.ORANGE,
    )
    assert (floors.significant_severity, floors.significant_level) == (60, Level.YELLOW)
    assert (floors.breadth_severity, floors.breadth_min_orgs, floors.breadth_min_share) == (
        40,
        2,
        0.25,
    )
    assert (floors.breadth_wide_min_orgs, floors.breadth_wide_min_share) == (3, 0.5)
    assert floors.breadth_wide_level == Level.RED
    campaign = cfg.campaign
    assert (campaign.min_orgs, campaign.window_hours, campaign.org_milestones) == (3, 72, (5, 10))
    assert (campaign.level, campaign.severe_level, campaign.wide_level) == (
        Level.YELLOW,
        Level.ORANGE,
        Level.RED,
    )
    assert {"8.8.8.8", "1.1.1.1", "9.9.9.9", "windowsupdate.com"} <= set(campaign.allow_list)
    assert (cfg.hysteresis.margin, cfg.hysteresis.min_hold_minutes) == (5, 60)
    assert cfg.hysteresis.evaluation_interval_seconds == 60
    assert (cfg.exposure.dedup_days, cfg.exposure.lookback_days) == (7, 7)
    assert cfg.dependency.risk_level == Level.ORANGE
    assert (campaign.slow_window_days, campaign.slow_level, campaign.join_min_orgs) == (
        90,
        Level.YELLOW,
        2,
    )
    assert campaign.widest_hours == 90 * 24


def test_the_default_profile_is_the_code_default_and_section_7() -> None:
    sectors = SectorsConfig.model_validate(load("profiles/us-ppd21.toml"))

    assert sectors.model_copy(update={"names": {}}) == SectorsConfig()
    assert set(sectors.names) == set(sectors.sectors)
    assert len(sectors.sectors) == 16
    assert sectors.strength("water", "energy") is Strength.STRONG
    assert sectors.strength("chemical", "energy") is Strength.MODERATE  # "every other sector"
    assert sectors.strength("energy", "energy") is None
    assert len(sectors.dependents_of("energy")) == 15
    assert sectors.strength("energy", "communications") is Strength.STRONG
    assert sectors.strength("water", "communications") is Strength.MODERATE
    assert sectors.dependents_of("water") == {
        "healthcare": Strength.STRONG,
        "food_agriculture": Strength.STRONG,
        "chemical": Strength.STRONG,
        "energy": Strength.MODERATE,
        "emergency_services": Strength.MODERATE,
        "commercial_facilities": Strength.MODERATE,
    }
    assert set(sectors.dependents_of("transportation").values()) == {Strength.MODERATE}
    assert len(sectors.dependents_of("transportation")) == 5
    assert sectors.strength("financial_services", "information_technology") is Strength.STRONG
    assert sectors.dependents_of("nuclear") == {}
    assert sectors.providers_of("financial_services") == {
        "energy": Strength.MODERATE,
        "communications": Strength.STRONG,
        "information_technology": Strength.STRONG,
    }


def test_env_style_strings_are_coerced() -> None:
    # AWARENESS_SCORING__HALF_LIFE_HOURS=6 arrives as a string.
    assert ScoringConfig.model_validate({"half_life_hours": "6"}).half_life_hours == 6.0
    assert ScoringConfig().half_life_seconds == 86_400.0


def test_levels_serialize_as_labels() -> None:
    dumped = ScoringConfig().model_dump(mode="json")
    assert dumped["floors"]["severe_level"] == "orange"
    assert ScoringConfig.model_validate(dumped) == ScoringConfig()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"half_life_hours": -1}, "greater than 0"),
        ({"half_life_hours": 0}, "greater than 0"),
        ({"half_life_hours": float("inf")}, "finite"),
        ({"half_lif_hours": 24}, "Extra inputs are not permitted"),
        ({"bands": {"blue": 20, "yellow": 60, "orange": 40, "red": 80}}, "increase strictly"),
        ({"bands": {"red": 101}}, "less than or equal to 100"),
        ({"floors": {"severe_level": "purple"}}, "unknown level 'purple'"),
        ({"floors": {"breadth_min_share": 1.5}}, "less than or equal to 1"),
        ({"floors": {"breadth_wide_min_orgs": 1}}, "breadth_wide_min_orgs"),
        ({"campaign": {"min_orgs": 1}}, "greater than or equal to 2"),
        ({"campaign": {"org_milestones": [10, 5]}}, "increase strictly"),
        ({"campaign": {"org_milestones": [3]}}, "exceed min_orgs"),
        ({"campaign": {"allow_list": ["  "]}}, "blank"),
        ({"sector_score": {"normalizer": 2.0}}, "could exceed its inputs"),
        ({"sector_score": {"exponent": 0.5, "max_terms": 100}}, "could exceed its inputs"),
        ({"severity": {"weights": {k: 0 for k in ("functional_impact", "location")}}}, None),
        ({"severity": {"values": {"recoverability": {"regular": 10}}}}, "missing"),
        ({"severity": {"values": {"location": {"unknown": 130}}}}, "less than or equal to 100"),
        ({"severity": {"default_asset_criticality": "extreme"}}, "unknown asset criticality"),
        ({"hysteresis": {"margin": -1}}, "greater than or equal to 0"),
    ],
)
def test_scoring_config_refuses_nonsense(data: dict[str, Any], message: str | None) -> None:
    if message is None:  # zeroing two weights is fine: the others still weigh
        ScoringConfig.model_validate(data)
        return
    with pytest.raises(ValidationError, match=message):
        ScoringConfig.model_validate(data)


def test_all_weights_zero_is_refused() -> None:
    zero = dict.fromkeys(ScoringConfig().severity.weights.model_dump(), 0)
    with pytest.raises(ValidationError, match="at least one category weight"):
        ScoringConfig.model_validate({"severity": {"weights": zero}})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sectors": ["a", "b"], "dependencies": {"c": {"strong": ["a"]}}}, "unknown sector 'c'"),
        ({"sectors": ["a", "b"], "dependencies": {"a": {"strong": ["z"]}}}, "unknown sector 'z'"),
        ({"sectors": ["a", "b"], "dependencies": {"a": {"strong": ["a"]}}}, "itself"),
        (
            {"sectors": ["a", "b"], "dependencies": {"a": {"strong": ["b"], "moderate": ["b"]}}},
            "more than once",
        ),
        (
            {"sectors": ["a", "b"], "dependencies": {"a": {"strong": ["*"], "moderate": ["*"]}}},
            "only one of",
        ),
        ({"sectors": ["a", "a"], "dependencies": {}}, "listed twice"),
        ({"sectors": [], "dependencies": {}}, "at least one sector"),
        ({"sectors": ["Energy"], "dependencies": {}}, "lower-case"),
        ({"sectors": ["a"], "dependencies": {"a": {"weak": []}}}, "Extra inputs"),
    ],
)
def test_sectors_config_refuses_nonsense(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SectorsConfig.model_validate(data)


def test_wildcard_expands_to_every_sector_not_named() -> None:
    sectors = SectorsConfig.model_validate(
        {
            "sectors": ["a", "b", "c", "d"],
            "dependencies": {"a": {"strong": ["*"], "moderate": ["b"]}},
        }
    )
    assert sectors.dependents_of("a") == {
        "b": Strength.MODERATE,
        "c": Strength.STRONG,
        "d": Strength.STRONG,
    }
    with pytest.raises(ValueError, match="unknown sector"):
        sectors.dependents_of("e")


def test_the_cn_cii_profile_names_the_regulations_eight_sectors_in_both_languages() -> None:
    sectors = SectorsConfig.model_validate(load("profiles/cn-cii.toml"))

    assert sectors.sectors == (
        "telecom", "energy", "transportation", "water_conservancy", "finance",
        "public_services", "e_government", "defense_industry",
    )  # fmt: skip
    assert {name["zh-CN"] for name in sectors.names.values()} == {
        "公共通信和信息服务", "能源", "交通", "水利", "金融", "公共服务", "电子政务",
        "国防科技工业",
    }  # fmt: skip
    assert all(name["en"] for name in sectors.names.values())
    # Power and networks run every other sector; water conservancy cools and drives power.
    assert sectors.strength("telecom", "energy") is Strength.STRONG
    assert sectors.strength("energy", "water_conservancy") is Strength.STRONG
    assert sectors.strength("energy", "telecom") is Strength.STRONG
    assert len(sectors.dependents_of("energy")) == 7
    assert sectors.name("e_government", "zh-CN") == "电子政务"


def test_names_must_be_of_known_sectors_and_have_english() -> None:
    with pytest.raises(ValueError, match=r"names\.mars: unknown sector"):
        SectorsConfig(sectors=("energy",), dependencies={}, names={"mars": {"en": "Mars"}})
    with pytest.raises(ValueError, match=r"names.energy: an English name \(en\) is needed"):
        SectorsConfig(sectors=("energy",), dependencies={}, names={"energy": {"zh-CN": "能源"}})
    unnamed = SectorsConfig(sectors=("food_agriculture",), dependencies={})
    assert unnamed.name("food_agriculture", "zh-CN") == "Food agriculture"
