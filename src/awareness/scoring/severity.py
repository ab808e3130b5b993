"""Incident severity (docs/scoring.md section 1): a weighted mean, 0 to 100, of the categories a
reporter supplies plus asset criticality and cross-sector dependency, which we derive."""

from __future__ import annotations

from collections.abc import Iterable

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


def severity_components(
    *,
    functional_impact: str,
    location: str = "unknown",
    information_impact: str = "none",
    recoverability: str = "regular",
    asset_criticalities: Iterable[str | None] = (),
    sector: str,
    sectors: SectorsConfig,
    cfg: ScoringConfig,
) -> dict[str, float]:
    """The value of each category, keyed like `CategoryWeights`: the evidence of a severity."""
    values = cfg.severity.values
    return {
        "functional_impact": _lookup(
            values.functional_impact, functional_impact, "functional impact"
        ),
        "location": _lookup(values.location, location, "location"),
        "information_impact": _lookup(
            values.information_impact, information_impact, "information impact"
        ),
        "recoverability": _lookup(values.recoverability, recoverability, "recoverability"),
        "asset_criticality": asset_criticality_value(asset_criticalities, cfg=cfg),
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
    *,
    functional_impact: str,
    location: str = "unknown",
    information_impact: str = "none",
    recoverability: str = "regular",
    asset_criticalities: Iterable[str | None] = (),
    sector: str,
    sectors: SectorsConfig,
    cfg: ScoringConfig,
) -> float:
    """Severity 0-100 of one report; defaults are the contract's defaults for optional fields."""
    components = severity_components(
        functional_impact=functional_impact,
        location=location,
        information_impact=information_impact,
        recoverability=recoverability,
        asset_criticalities=asset_criticalities,
        sector=sector,
        sectors=sectors,
        cfg=cfg,
    )
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
