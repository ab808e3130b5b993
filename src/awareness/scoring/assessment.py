"""One evaluation of sectors at one instant: each sector's level from its own score and floors,
with hysteresis, and the section 9 evidence of that level. Dependencies never enter it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from awareness.scoring.bands import band_for_score, next_level
from awareness.scoring.config import ScoringConfig, SectorsConfig
from awareness.scoring.decay import Contribution
from awareness.scoring.floors import Floor
from awareness.scoring.levels import Level, LevelState
from awareness.timestamps import require_aware, time_to_json


@dataclass(frozen=True, slots=True)
class SectorInput:
    """A sector's facts at the instant: score, floors that hold, top contributions."""

    score: float = 0.0
    floors: tuple[Floor, ...] = ()
    contributions: tuple[Contribution, ...] = ()


@dataclass(frozen=True, slots=True)
class SectorOutcome:
    sector: str
    score: float
    state: LevelState
    previous_level: Level
    floors: tuple[Floor, ...]
    evidence: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.state.level != self.previous_level

    @property
    def escalated(self) -> bool:
        """Escalations get a warning; de-escalations only a `sector_level` event."""
        return self.state.level > self.previous_level


def assess_sectors(
    inputs: Mapping[str, SectorInput],
    states: Mapping[str, LevelState],
    at: datetime,
    *,
    sectors: SectorsConfig,
    cfg: ScoringConfig,
    only: Iterable[str] | None = None,
) -> dict[str, SectorOutcome]:
    """The sectors of `only` (every configured sector by default); a sector missing from
    `inputs` has score 0 and no floors, one missing from `states` starts at none. Each sector
    is judged on its own: assessing some sectors never needs the others."""
    at = require_aware(at, "at")
    empty = SectorInput()
    return {
        sector: assess_sector(sector, inputs.get(sector, empty), states.get(sector), at, cfg=cfg)
        for sector in (sectors.sectors if only is None else only)
    }


def assess_sector(
    sector: str,
    given: SectorInput,
    previous: LevelState | None,
    at: datetime,
    *,
    cfg: ScoringConfig,
) -> SectorOutcome:
    previous = previous or LevelState.initial(at)
    state = next_level(previous, given.score, given.floors, at, cfg=cfg)
    evidence = sector_evidence(
        sector=sector,
        score=given.score,
        level=state.level,
        previous_level=previous.level,
        contributions=given.contributions,
        floors=given.floors,
        at=at,
        cfg=cfg,
    )
    return SectorOutcome(sector, given.score, state, previous.level, given.floors, evidence)


def sector_evidence(
    *,
    sector: str,
    score: float,
    level: Level,
    previous_level: Level,
    contributions: Sequence[Contribution],
    floors: Iterable[Floor],
    at: datetime,
    cfg: ScoringConfig,
) -> dict[str, Any]:
    """Answers "why is this sector at this level?": score and band, the strongest incidents
    (id, severity, decayed value; no organization), every floor that held. Numbers are rounded
    to `evidence.decimals` for reading; the state keeps full precision."""
    digits = cfg.evidence.decimals
    floors = list(floors)
    band = band_for_score(score, cfg=cfg)
    return {
        "sector": sector,
        "level": level.label,
        "previous_level": previous_level.label,
        "score": round(score, digits),
        "band": band.label,
        "held_by": "hysteresis" if level > max([band, *(f.level for f in floors)]) else None,
        "at": time_to_json(at),
        "half_life_hours": cfg.half_life_hours,
        "top_incidents": [
            {
                "id": c.incident_id,
                "severity": round(c.severity, digits),
                "decayed": round(c.decayed, digits),
                "contribution": round(c.term, digits),
            }
            for c in contributions[: cfg.evidence.top_incidents]
        ],
        "floors": [floor.to_json() for floor in floors],
    }
