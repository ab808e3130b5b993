"""Incident severity (docs/scoring.md section 1): a weighted mean, 0 to 100, of the categories a
reporter supplies plus asset criticality and cross-sector dependency, which we derive."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Required, TypedDict, Unpack

from awareness.scoring.bands import band_for_score
from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.levels import Level


def cross_sector_dependency(sector: str, *, sectors: SectorsConfig, cfg: ScoringConfig) -> float:
    """Share of the OTHER sectors that depend on `sector` (strong 1, moderate 0.5), 0-100.

    The denominator is every other sector, so a sector everyone leans on strongly scores 100.
    """
    others = len(sectors.sectors) - 1
    if others <= 0:
        sectors.dependents_of(sector)  # still reject an unknown sector
        return 0.0
    weights = cfg.dependency
    total = sum(weights.weight(strength) for strength in sectors.dependents_of(sector).values())
    return 100.0 * total / others


def asset_criticality_value(criticalities: Iterable[str | None], *, cfg: ScoringConfig) -> float:
    """Value of the most critical affected asset; an unrated asset, or none listed, is medium."""
    table = cfg.severity.values.asset_criticality
    default = cfg.severity.default_asset_criticality
    values = [_lookup(table, level or default, "asset criticality") for level in criticalities]
    return max(values, default=table[default])


class Answers(TypedDict, total=False):
    """What a report says, as the categories need it; absent optional answers take the
    contract's defaults."""

    functional_impact: Required[str]
    location: str
    information_impact: str
    recoverability: str
    asset_criticalities: Iterable[str | None]


def severity_components(
    *, sector: str, sectors: SectorsConfig, cfg: ScoringConfig, **answers: Unpack[Answers]
) -> dict[str, float]:
    """The value of each category, keyed like `CategoryWeights`: the evidence of a severity."""
    values = cfg.severity.values
    return {
        "functional_impact": _lookup(
            values.functional_impact, answers["functional_impact"], "functional impact"
        ),
        "location": _lookup(values.location, answers.get("location", "unknown"), "location"),
        "information_impact": _lookup(
            values.information_impact,
            answers.get("information_impact", "none"),
            "information impact",
        ),
        "recoverability": _lookup(
            values.recoverability, answers.get("recoverability", "regular"), "recoverability"
        ),
        "asset_criticality": asset_criticality_value(
            answers.get("asset_criticalities", ()), cfg=cfg
        ),
        "cross_sector_dependency": cross_sector_dependency(sector, sectors=sectors, cfg=cfg),
    }


def weighted_severity(components: dict[str, float], *, cfg: ScoringConfig) -> float:
    """`sum(w_c * v_c) / sum(w_c)`, clamped to 0-100 against float rounding."""
    weights = cfg.severity.weights.model_dump()
    if set(components) != set(weights):
        raise ValueError(f"components must be exactly {sorted(weights)}")
    total = sum(float(weights[name]) * value for name, value in components.items())
    return min(100.0, max(0.0, total / sum(float(w) for w in weights.values())))


def incident_severity(
    *, sector: str, sectors: SectorsConfig, cfg: ScoringConfig, **answers: Unpack[Answers]
) -> float:
    """Severity 0-100 of one report."""
    components = severity_components(sector=sector, sectors=sectors, cfg=cfg, **answers)
    return weighted_severity(components, cfg=cfg)


def incident_level(severity: float, *, cfg: ScoringConfig) -> Level:
    """An incident's own level: the sector bands applied to its severity."""
    return band_for_score(severity, cfg=cfg)


def _lookup(table: dict[str, float], answer: str, category: str) -> float:
    try:
        return table[answer]
    except KeyError:
        raise ValueError(
            f"unknown {category} {answer!r}: expected one of {sorted(table)}"
        ) from None
