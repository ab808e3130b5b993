"""Levels, bands and section 6 hysteresis as a pure transition."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awareness.scoring.bands import band_for_score, next_level
from awareness.scoring.config import ScoringConfig
from awareness.scoring.levels import Level, LevelState
from awareness.vocabulary import LEVELS

CFG = ScoringConfig()
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Pin:
    level: Level


def test_level_labels_and_parsing() -> None:
    assert [level.label for level in Level] == ["none", "blue", "yellow", "orange", "red"]
    assert Level.parse("Orange") is Level.ORANGE
    assert Level.parse(" red ") is Level.RED
    assert Level.parse(2) is Level.YELLOW
    assert Level.parse(Level.BLUE) is Level.BLUE
    for bad in ("purple", 7, True, None, 2.0):
        with pytest.raises(ValueError, match="unknown level"):
            Level.parse(bad)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, Level.NONE),
        (19.999, Level.NONE),
        (20, Level.BLUE),
        (39.9, Level.BLUE),
        (40, Level.YELLOW),
        (60, Level.ORANGE),
        (79.99, Level.ORANGE),
        (80, Level.RED),
        (100, Level.RED),
    ],
)
def test_bands(score: float, level: Level) -> None:
    assert band_for_score(score, cfg=CFG) is level


def test_escalation_is_immediate() -> None:
    state = LevelState.initial(T0)
    state = next_level(state, 45, [], T0 + MINUTE, cfg=CFG)
    assert state == LevelState(Level.YELLOW, T0 + MINUTE)
    # a floor escalates as well, straight past intermediate levels
    state = next_level(state, 45, [Pin(Level.RED)], T0 + 2 * MINUTE, cfg=CFG)
    assert state == LevelState(Level.RED, T0 + 2 * MINUTE)


def test_deescalation_needs_the_margin() -> None:
    yellow = LevelState(Level.YELLOW, T0)
    later = T0 + 2 * timedelta(hours=1)
    # yellow starts at 40; 40 - 5 = 35: 35.01 is inside the margin, 35 is out
    assert next_level(yellow, 35.01, [], later, cfg=CFG) is yellow
    assert next_level(yellow, 35, [], later, cfg=CFG) == LevelState(Level.BLUE, later)


def test_deescalation_needs_the_hold_time() -> None:
    orange = LevelState(Level.ORANGE, T0)
    assert next_level(orange, 0, [], T0 + 59 * MINUTE, cfg=CFG) is orange
    # held exactly 60 minutes: allowed, and it goes straight to the score's band (none)
    assert next_level(orange, 0, [], T0 + 60 * MINUTE, cfg=CFG) == LevelState(
        Level.NONE, T0 + 60 * MINUTE
    )


def test_deescalation_is_blocked_by_a_floor_at_the_current_level() -> None:
    orange = LevelState(Level.ORANGE, T0)
    later = T0 + 3 * timedelta(hours=1)
    assert next_level(orange, 0, [Pin(Level.ORANGE)], later, cfg=CFG) is orange
    # a floor below the current level does not block; the level lands on that floor
    assert next_level(orange, 0, [Pin(Level.YELLOW)], later, cfg=CFG) == LevelState(
        Level.YELLOW, later
    )
    # the score's band wins when it is above the remaining floors: 50 <= 60 - 5, band yellow
    assert next_level(orange, 50, [Pin(Level.BLUE)], later, cfg=CFG) == LevelState(
        Level.YELLOW, later
    )


def test_time_running_backwards_never_deescalates() -> None:
    red = LevelState(Level.RED, T0)
    assert next_level(red, 0, [], T0 - timedelta(hours=5), cfg=CFG) is red


def test_unchanged_level_keeps_its_since() -> None:
    blue = LevelState(Level.BLUE, T0)
    assert next_level(blue, 25, [], T0 + timedelta(days=3), cfg=CFG) is blue


def test_level_state_json_round_trip_and_naive_refused() -> None:
    state = LevelState(Level.ORANGE, T0 + timedelta(microseconds=7))
    stored = json.loads(json.dumps(state.to_json()))
    assert stored == {"level": "orange", "since": "2024-05-01T12:00:00.000007Z"}
    assert LevelState.from_json(stored) == state
    with pytest.raises(ValueError, match="timezone-aware"):
        LevelState(Level.RED, datetime(2024, 5, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        next_level(state, 0, [], datetime(2024, 5, 1), cfg=CFG)  # noqa: DTZ001


# ---- properties --------------------------------------------------------------------------

steps = st.lists(st.integers(min_value=0, max_value=180), min_size=1, max_size=80)


def run(scores: list[float], minutes: list[int]) -> list[LevelState]:
    state = LevelState.initial(T0)
    at = T0
    states = []
    for score, step in zip(scores, minutes, strict=False):
        at += step * MINUTE
        state = next_level(state, score, [], at, cfg=CFG)
        states.append(state)
    return states


@settings(deadline=None)
@given(
    scores=st.lists(st.floats(min_value=0, max_value=19.999), min_size=1, max_size=80),
    minutes=steps,
)
def test_noise_below_a_band_never_escalates(scores: list[float], minutes: list[int]) -> None:
    assert all(state.level == Level.NONE for state in run(scores, minutes))


@settings(deadline=None)
@given(
    band=st.sampled_from([Level.BLUE, Level.YELLOW, Level.ORANGE, Level.RED]),
    data=st.data(),
    minutes=steps,
)
def test_no_flapping_inside_the_margin(
    band: Level, data: st.DataObject, minutes: list[int]
) -> None:
    thresholds = {Level.BLUE: 20, Level.YELLOW: 40, Level.ORANGE: 60, Level.RED: 80}
    low = thresholds[band] - CFG.hysteresis.margin
    high = thresholds.get(Level(band + 1), 100.0) if band < Level.RED else 100.0
    inside = st.floats(min_value=low, max_value=high, exclude_min=True, exclude_max=True)
    first = data.draw(st.floats(min_value=thresholds[band], max_value=high, exclude_max=True))
    rest = data.draw(st.lists(inside, max_size=len(minutes) - 1))
    states = run([first, *rest], minutes)
    assert {state.level for state in states} == {band}
    assert len({state.since for state in states}) == 1  # one change, then held


@settings(deadline=None)
@given(
    scores=st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=80),
    minutes=steps,
)
def test_level_is_at_least_the_band_and_changes_only_by_the_rules(
    scores: list[float], minutes: list[int]
) -> None:
    previous = LevelState.initial(T0)
    for state, score in zip(run(scores, minutes), scores, strict=False):
        assert state.level >= band_for_score(score, cfg=CFG)
        if state.level < previous.level:
            assert state.since - previous.since >= timedelta(hours=1)
            assert score <= {1: 20, 2: 40, 3: 60, 4: 80}[previous.level] - 5
        previous = state


def test_levels_are_the_contracts_words_in_order() -> None:
    assert tuple(level.label for level in sorted(Level)) == LEVELS
