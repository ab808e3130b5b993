"""Score bands and the hysteresis that moves a sector between levels over time (docs/scoring.md
sections 2 and 6). Pure: the caller supplies the score, the floors that hold and the instant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from awareness.scoring.config import ScoringConfig
from awareness.scoring.levels import Level, LevelState
from awareness.timestamps import require_aware


class HasLevel(Protocol):
    @property
    def level(self) -> Level: ...


def band_thresholds(*, cfg: ScoringConfig) -> dict[Level, float]:
    """Lowest score of each band; `none` starts at 0."""
    bands = cfg.bands
    return {
        Level.NONE: 0.0,
        Level.BLUE: bands.blue,
        Level.YELLOW: bands.yellow,
        Level.ORANGE: bands.orange,
        Level.RED: bands.red,
    }


def band_for_score(score: float, *, cfg: ScoringConfig) -> Level:
    """Band of a sector score or of one incident's severity (the same bands serve both)."""
    level = Level.NONE
    for candidate, threshold in band_thresholds(cfg=cfg).items():
        if score >= threshold:
            level = candidate
    return level


def highest_level(score: float, floors: Iterable[HasLevel], *, cfg: ScoringConfig) -> Level:
    """The level a sector should have right now, before hysteresis: band or strongest floor."""
    return max([band_for_score(score, cfg=cfg), *(floor.level for floor in floors)])


def next_level(
    state: LevelState,
    score: float,
    floors: Iterable[HasLevel],
    at: datetime,
    *,
    cfg: ScoringConfig,
) -> LevelState:
    """Escalate at once; de-escalate only when all three hysteresis conditions hold.

    A de-escalation goes straight to the target (the highest of the score's band and the
    floors that still hold), not one step at a time: once the score is clearly below the
    band and nothing pins the level, lingering one hour per step would keep a stale alarm.
    Time that runs backwards (an earlier `at` than `state.since`) never de-escalates.
    An unchanged level returns `state` itself, so `since` keeps counting.
    """
    at = require_aware(at, "at")
    floors = list(floors)
    target = highest_level(score, floors, cfg=cfg)
    if target > state.level:
        return LevelState(target, at)
    if target == state.level or not may_deescalate(state, score, floors, at, cfg=cfg):
        return state
    return LevelState(target, at)


def may_deescalate(
    state: LevelState,
    score: float,
    floors: Iterable[HasLevel],
    at: datetime,
    *,
    cfg: ScoringConfig,
) -> bool:
    """Section 6: score clearly below the current band, no floor at this level, held long enough."""
    if state.level == Level.NONE:
        return False
    hysteresis = cfg.hysteresis
    lower = band_thresholds(cfg=cfg)[state.level]
    clearly_below = score <= lower - hysteresis.margin
    pinned = any(floor.level >= state.level for floor in floors)
    held = require_aware(at, "at") - state.since >= timedelta(minutes=hysteresis.min_hold_minutes)
    return clearly_below and not pinned and held
