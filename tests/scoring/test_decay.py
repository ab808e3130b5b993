"""Section 2: decay and the incremental sector score, against hand-computed numbers and a
from-scratch reference over the same inputs."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awareness.scoring.config import ScoringConfig
from awareness.scoring.decay import SectorScore, decayed

CFG = ScoringConfig()
SMALL = ScoringConfig.model_validate({"sector_score": {"max_per_org": 2, "max_terms": 5}})
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
Incident = tuple[int, str, float, datetime]


def test_decay_halves_every_half_life() -> None:
    assert decayed(80, T0, T0, cfg=CFG) == 80
    assert decayed(80, T0, T0 + 24 * HOUR, cfg=CFG) == pytest.approx(40)
    assert decayed(80, T0, T0 + 48 * HOUR, cfg=CFG) == pytest.approx(20)
    assert decayed(80, T0, T0 + 12 * HOUR, cfg=CFG) == pytest.approx(80 / math.sqrt(2))  # 56.57
    six = ScoringConfig(half_life_hours=6)
    assert decayed(80, T0, T0 + 24 * HOUR, cfg=six) == pytest.approx(5)  # 80 / 2^4


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decayed(80, datetime(2024, 5, 1), T0, cfg=CFG)  # noqa: DTZ001
    score = SectorScore(cfg=CFG)
    with pytest.raises(ValueError, match="timezone-aware"):
        score.add(1, "a", 50, datetime(2024, 5, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        score.score(datetime(2024, 5, 1))  # noqa: DTZ001


def test_one_incident() -> None:
    score = SectorScore(cfg=CFG)
    score.add(1, "a", 80, T0)
    # 80 / 1^1.5 / 2.612 = 30.6279
    assert score.score(T0) == pytest.approx(80 / 2.612)
    assert score.score(T0) == pytest.approx(30.6279, abs=1e-4)
    # a day later: 40 / 2.612 = 15.3139
    assert score.score(T0 + 24 * HOUR) == pytest.approx(15.3139, abs=1e-4)


def test_two_organizations_diminish() -> None:
    score = SectorScore(cfg=CFG)
    score.add(1, "a", 60, T0)
    score.add(2, "b", 80, T0)
    # (80/1 + 60/2^1.5) / 2.612 = (80 + 21.2132) / 2.612 = 38.7493
    assert score.score(T0) == pytest.approx(38.7493, abs=1e-4)
    assert [c.incident_id for c in score.top(T0, 5)] == [2, 1]


def test_order_follows_decayed_value_not_arrival() -> None:
    score = SectorScore(cfg=CFG)
    score.add(1, "a", 80, T0)
    score.add(2, "b", 50, T0 + 24 * HOUR)
    at = T0 + 24 * HOUR
    # at: incident 1 is 40, incident 2 is 50: (50 + 40/2.8284) / 2.612 = 64.1421 / 2.612
    assert score.score(at) == pytest.approx(24.5567, abs=1e-4)
    top = score.top(at, 1)
    assert [(c.incident_id, c.severity) for c in top] == [(2, 50)]
    assert top[0].decayed == pytest.approx(50)
    assert top[0].term == pytest.approx(50 / 2.612)


def test_at_most_three_per_organization() -> None:
    score = SectorScore(cfg=CFG)
    for incident_id in range(1, 5):
        score.add(incident_id, "noisy", 50, T0)
    # only 3 enter: (50 + 50/2^1.5 + 50/3^1.5) / 2.612
    # = (50 + 17.6777 + 9.6225) / 2.612 = 77.3002 / 2.612 = 29.5942
    assert len(score) == 3
    assert score.score(T0) == pytest.approx(29.5942, abs=1e-4)
    # a stronger fourth displaces the weakest of the three (ties: the highest id is weakest)
    score.add(9, "noisy", 70, T0)
    assert [c.incident_id for c in score.top(T0, 5)] == [9, 1, 2]


def test_severity_zero_contributes_nothing() -> None:
    score = SectorScore(cfg=CFG)
    score.add(1, "a", 0, T0)
    assert len(score) == 0
    assert score.score(T0) == 0
    score.add(2, "a", 0.0, T0)
    score.add(3, "a", 30, T0)
    assert score.score(T0) == pytest.approx(30 / 2.612)


def test_adding_twice_is_harmless() -> None:
    score = SectorScore(cfg=CFG)
    score.add(1, "a", 70, T0)
    score.add(1, "a", 70, T0)
    assert len(score) == 1


def test_bad_inputs_are_refused() -> None:
    score = SectorScore(cfg=CFG)
    with pytest.raises(ValueError, match="0 to 100"):
        score.add(1, "a", 101, T0)
    with pytest.raises(ValueError, match="0 to 100"):
        score.add(1, "a", float("nan"), T0)
    with pytest.raises(ValueError, match="org_id"):
        score.add(1, "", 50, T0)
    with pytest.raises(TypeError, match="incident_id"):
        score.add("1", "a", 50, T0)  # type: ignore[arg-type]


def test_json_state_is_plain_and_exact() -> None:
    score = SectorScore(cfg=CFG)
    score.add(7, "a", 70.66666666666667, T0 + timedelta(microseconds=1))
    score.add(8, "b", 0.1 + 0.2, T0)
    stored = json.loads(json.dumps(score.to_json()))
    again = SectorScore.from_json(stored, cfg=CFG)
    assert again.to_json() == score.to_json()
    assert again.score(T0 + HOUR) == score.score(T0 + HOUR)
    with pytest.raises(ValueError, match="version"):
        SectorScore.from_json({"version": 99, "terms": []}, cfg=CFG)


def test_reloading_under_smaller_limits_trims() -> None:
    score = SectorScore(cfg=CFG)
    for incident_id in range(10):
        score.add(incident_id, f"org{incident_id}", 10 + incident_id, T0)
    trimmed = SectorScore.from_json(score.to_json(), cfg=SMALL)
    assert [c.incident_id for c in trimmed.top(T0, 10)] == [9, 8, 7, 6, 5]


# ---- properties --------------------------------------------------------------------------

# Hypothesis takes naive bounds and attaches the timezone itself.
times = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=datetime(2024, 1, 20),  # noqa: DTZ001
    timezones=st.just(UTC),
)
severities = st.one_of(st.just(0.0), st.floats(min_value=0, max_value=100, allow_nan=False))
orgs = st.sampled_from(["a", "b", "c", "d", "e", "f", "g"])
incident_lists = st.lists(st.tuples(orgs, severities, times), max_size=60).map(
    lambda rows: [(i, org, sev, at) for i, (org, sev, at) in enumerate(rows)]
)
configs = st.sampled_from([CFG, SMALL, ScoringConfig(half_life_hours=3)])


def build(incidents: list[Incident], cfg: ScoringConfig) -> SectorScore:
    score = SectorScore(cfg=cfg)
    for incident in incidents:
        score.add(*incident)
    return score


def reference_score(incidents: list[Incident], at: datetime, cfg: ScoringConfig) -> float:
    """From scratch: decay everything, keep each org's strongest, the strongest overall, sum."""
    by_org: dict[str, list[float]] = defaultdict(list)
    for _, org, severity, detected_at in incidents:
        if severity > 0:
            age_hours = (at - detected_at).total_seconds() / 3600
            by_org[org].append(severity * 2 ** (-age_hours / cfg.half_life_hours))
    limits = cfg.sector_score
    kept = sorted(
        (
            v
            for values in by_org.values()
            for v in sorted(values, reverse=True)[: limits.max_per_org]
        ),
        reverse=True,
    )[: limits.max_terms]
    total = sum(v / k**limits.exponent for k, v in enumerate(kept, start=1))
    return min(100.0, total / limits.normalizer)


@settings(deadline=None)
@given(incidents=incident_lists, at=times, cfg=configs, order=st.randoms(use_true_random=False))
def test_incremental_equals_from_scratch(
    incidents: list[Incident], at: datetime, cfg: ScoringConfig, order: object
) -> None:
    shuffled = list(incidents)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    incremental = build(shuffled, cfg).score(at)
    assert incremental == pytest.approx(reference_score(incidents, at, cfg), rel=1e-9, abs=1e-12)
    assert build(incidents, cfg).to_json() == build(shuffled, cfg).to_json()


@settings(deadline=None)
@given(incidents=incident_lists, at=times, cfg=configs, n=st.integers(min_value=0, max_value=70))
def test_score_is_exactly_the_sum_of_the_evidence_terms(
    incidents: list[Incident], at: datetime, cfg: ScoringConfig, n: int
) -> None:
    # The board shows the top terms as the reason for the score: they must be the same
    # numbers, bit for bit, that the level was decided on.
    score = build(incidents, cfg)
    every = score.contributions(at)
    assert score.score(at) == min(100.0, sum(c.term for c in every))
    assert score.top(at, n) == every[:n]


@settings(deadline=None)
@given(incidents=incident_lists, offset=st.floats(min_value=0, max_value=24 * 30))
def test_score_never_exceeds_100_nor_strongest_decayed(
    incidents: list[Incident], offset: float
) -> None:
    latest = max((d for *_, d in incidents), default=T0)
    at = latest + timedelta(hours=offset)
    score = build(incidents, CFG)
    strongest = max((c.decayed for c in score.contributions(at)), default=0.0)
    value = score.score(at)
    assert 0 <= value <= 100
    assert value <= strongest * (1 + 1e-12)


@settings(deadline=None)
@given(
    severity=st.floats(min_value=0, max_value=100, allow_nan=False),
    count=st.integers(min_value=1, max_value=400),
    detected=times,
    organizations=st.integers(min_value=1, max_value=200),
)
def test_any_number_of_equal_reports_stays_at_or_below_their_severity(
    severity: float, count: int, detected: datetime, organizations: int
) -> None:
    score = SectorScore(cfg=CFG)
    for incident_id in range(count):
        score.add(incident_id, f"org{incident_id % organizations}", severity, detected)
    assert score.score(detected) <= severity * (1 + 1e-12)
    if severity < CFG.bands.blue:
        assert score.score(detected) < CFG.bands.blue


@given(
    severity=st.floats(min_value=0, max_value=100, allow_nan=False),
    detected=times,
    first=st.floats(min_value=0, max_value=24 * 365),
    extra=st.floats(min_value=0, max_value=24 * 365),
)
def test_decay_is_monotone_in_time(
    severity: float, detected: datetime, first: float, extra: float
) -> None:
    earlier = detected + timedelta(hours=first)
    later = earlier + timedelta(hours=extra)
    assert decayed(severity, detected, later, cfg=CFG) <= decayed(
        severity, detected, earlier, cfg=CFG
    )
    assert decayed(severity, detected, earlier, cfg=CFG) <= severity


@settings(deadline=None)
@given(incidents=incident_lists, cfg=configs, at=times)
def test_json_round_trip_is_exact(
    incidents: list[Incident], cfg: ScoringConfig, at: datetime
) -> None:
    score = build(incidents, cfg)
    stored = json.loads(json.dumps(score.to_json()))
    again = SectorScore.from_json(stored, cfg=cfg)
    assert again.to_json() == score.to_json()
    assert again.score(at) == score.score(at)
