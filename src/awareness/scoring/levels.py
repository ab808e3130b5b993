"""Threat levels, score bands and the hysteresis that moves a sector between levels over time.
Pure: the caller supplies the score, the floors that hold and the evaluation instant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol

from awareness.scoring.timestamps import require_aware, time_from_json, time_to_json

if TYPE_CHECKING:
    from awareness.scoring.config import ScoringConfig


class Level(IntEnum):
    """Ordered so that `max` gives the most severe; the labels are the contract's words."""

    NONE = 0
    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, value: object) -> Level:
        """Accept a label (any case), a number 0-4 or a `Level`; anything else is an error."""
        if isinstance(value, Level):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        if isinstance(value, str):
            member = cls.__members__.get(value.strip().upper())
            if member is not None:
                return member
        labels = ", ".join(level.label for level in cls)
        raise ValueError(f"unknown level {value!r}: expected one of {labels}")

    def lowered(self, steps: int) -> Level:
        """This level `steps` lower, stopping at none (dependency floors subtract levels)."""
        return Level(max(Level.NONE, self - steps))


_LABELS = {level: level.name.lower() for level in Level}  # read for every floor of every tick


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


@dataclass(frozen=True, slots=True)
class LevelState:
    """A sector's held level and the instant it was entered (the hold time counts from it)."""

    level: Level
    since: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", Level.parse(self.level))
        object.__setattr__(self, "since", require_aware(self.since, "since"))

    @classmethod
    def initial(cls, at: datetime) -> LevelState:
        return cls(Level.NONE, at)

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level.label, "since": time_to_json(self.since)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LevelState:
        return cls(Level.parse(data["level"]), time_from_json(data["since"], "since"))


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
