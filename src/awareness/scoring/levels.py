"""Threat levels and a sector's held level: the ordered words of the contract, and the state the
hysteresis of `scoring.bands` moves over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from awareness.timestamps import require_aware, time_from_json, time_to_json


class Level(IntEnum):
    """Ordered so that `max` gives the most severe; the labels are `vocabulary.LEVELS`."""

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


_LABELS = {level: level.name.lower() for level in Level}  # read for every floor of every tick


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
