"""Dependency risk (docs/scoring.md section 3b): a sector's dependencies are impact, not threat.
They never raise its level; they are shown beside it, and an upstream's rise to each risk level
is announced once to everyone concerned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from awareness.scoring.config import ScoringConfig, SectorsConfig, Strength
from awareness.scoring.levels import Level

_STRENGTH_ORDER = {Strength.STRONG: 0, Strength.MODERATE: 1}


@dataclass(frozen=True, slots=True)
class Risk:
    """An upstream sector at a risk level, and how strongly the dependent leans on it."""

    sector: str
    level: Level
    strength: Strength

    def to_json(self) -> dict[str, str]:
        return {"sector": self.sector, "level": self.level.label, "strength": self.strength.value}


def dependency_risk(
    sector: str, levels: Mapping[str, Level], *, sectors: SectorsConfig, cfg: ScoringConfig
) -> list[Risk]:
    """The sectors `sector` depends on whose level is `risk_level` or above, strongest
    dependency first, then the higher level. `levels` are every sector's current levels (a
    sector missing from it is at none); they rest on each sector's own reports, so a risk never
    travels further than one hop."""
    found = [
        Risk(upstream, level, strength)
        for upstream, strength in sectors.providers_of(sector).items()
        if (level := Level.parse(levels.get(upstream, Level.NONE))) >= cfg.dependency.risk_level
    ]
    return sorted(found, key=lambda r: (_STRENGTH_ORDER[r.strength], -r.level, r.sector))


def dependents_by_strength(upstream: str, *, sectors: SectorsConfig) -> list[tuple[str, Strength]]:
    """Who depends on `upstream`: strong dependents first, each group by name."""
    return sorted(
        sectors.dependents_of(upstream).items(),
        key=lambda item: (_STRENGTH_ORDER[item[1]], item[0]),
    )


def dependency_announcement(
    announced: Level, level: Level, *, cfg: ScoringConfig
) -> tuple[bool, Level]:
    """Whether a sector now at `level` warns its dependents, and the announced level to keep.
    One warning per rise to each risk level: none again for this sector until it has fallen
    below the first risk level and risen again, however it moves above it meanwhile."""
    if level < cfg.dependency.risk_level:
        return False, Level.NONE
    if level > announced:
        return True, level
    return False, announced


def dependency_title(upstream: str, level: Level, *, sectors: SectorsConfig) -> str:
    dependents = dependents_by_strength(upstream, sectors=sectors)
    strong = [name for name, strength in dependents if strength is Strength.STRONG]
    moderate = [name for name, strength in dependents if strength is Strength.MODERATE]
    parts = []
    if strong:
        parts.append(f"strongly dependent: {', '.join(strong)}")
    if moderate:
        parts.append(f"{len(moderate)} more moderately")
    return f"Dependency: {upstream} is {level.label}; " + "; ".join(parts)


def dependency_evidence(
    upstream: str,
    level: Level,
    *,
    upstream_evidence: Mapping[str, Any],
    sectors: SectorsConfig,
) -> dict[str, Any]:
    """Section 9 evidence: the upstream's level and why (its score and the rules that hold),
    and every dependent with the strength of its dependency."""
    return {
        "upstream": upstream,
        "level": level.label,
        "dependents": [
            {"sector": name, "strength": strength.value}
            for name, strength in dependents_by_strength(upstream, sectors=sectors)
        ],
        "upstream_score": upstream_evidence.get("score"),
        "upstream_rules": sorted(
            {floor["rule"] for floor in upstream_evidence.get("floors", []) if "rule" in floor}
        ),
    }
