"""The correlator sizes its batches to a time budget: a backlog is worked off in large batches,
and costly reports never hold a warning back for much longer than the budget."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from awareness.correlator.correlator import MIN_BATCH, next_limit


def test_a_full_quick_batch_grows_the_next_at_most_fourfold() -> None:
    # 100 reports in 10 ms: 2,500 would fit in 0.25 s, but one batch only earns 4x.
    assert next_limit(100, processed=100, seconds=0.01, target=0.25, most=2000) == 400
    assert next_limit(400, processed=400, seconds=0.04, target=0.25, most=2000) == 1600
    assert next_limit(1600, processed=1600, seconds=0.16, target=0.25, most=2000) == 2000


def test_a_slow_batch_shrinks_the_next_to_the_budget() -> None:
    # 500 reports took 2.5 s (5 ms each, a campaign-heavy flood): 50 fit in 0.25 s.
    assert next_limit(500, processed=500, seconds=2.5, target=0.25, most=2000) == 50


def test_a_partial_batch_within_budget_keeps_the_size() -> None:
    # Three reports whose 30 ms are mostly the batch's fixed cost say nothing about pace.
    assert next_limit(800, processed=3, seconds=0.03, target=0.25, most=2000) == 800


def test_a_partial_batch_over_budget_shrinks_it() -> None:
    assert next_limit(800, processed=300, seconds=1.5, target=0.25, most=2000) == 50


def test_never_below_the_floor_nor_above_the_setting() -> None:
    assert next_limit(100, processed=100, seconds=60.0, target=0.25, most=2000) == MIN_BATCH
    assert next_limit(5, processed=5, seconds=0.001, target=0.25, most=5) == 5
    assert next_limit(5, processed=5, seconds=60.0, target=0.25, most=5) == 5


@given(
    limit=st.integers(1, 10_000),
    share=st.floats(0.0, 1.0),
    seconds=st.floats(0.0001, 100.0),
    target=st.floats(0.01, 10.0),
    most=st.integers(1, 10_000),
)
def test_the_size_stays_in_bounds(
    limit: int, share: float, seconds: float, target: float, most: int
) -> None:
    limit = min(limit, most)
    processed = max(1, int(limit * share))
    size = next_limit(limit, processed=processed, seconds=seconds, target=target, most=most)
    assert min(MIN_BATCH, most) <= size <= most or size == limit
    assert size <= max(limit * 4, MIN_BATCH)
