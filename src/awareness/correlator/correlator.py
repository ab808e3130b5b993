"""The correlator as a consumer of the report log: one batch per step in a transaction of its
leadership, time-driven evaluations when no report waits, and a signal after each commit that
appended events."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from awareness.clock import Clock
from awareness.consumers.leader import Leadership
from awareness.consumers.runner import Progress
from awareness.correlator.batch import run_batch, run_ticks
from awareness.correlator.state import CorrelationState
from awareness.metrics import Metrics
from awareness.scoring import ScoringConfig, SectorsConfig
from awareness.settings import CorrelatorSettings
from awareness.signals import Signals

log = logging.getLogger(__name__)

# The smallest batch the sizing picks: below it a batch's fixed cost (state, cursor, commit)
# outweighs the reports' own.
MIN_BATCH = 20
# The first batch's size, before any pace is known.
FIRST_BATCH = 100


def next_limit(limit: int, *, processed: int, seconds: float, target: float, most: int) -> int:
    """The next batch's size from how long this one took: about `target` seconds' worth of
    reports at this batch's pace. Only a full batch can say a larger one would fit, and only
    one that overran says a smaller one is needed: a few reports' pace is mostly the batch's
    fixed cost. Growth is at most fourfold a step, so one cheap batch does not commit the next
    to a long one."""
    if processed == 0 or seconds <= 0:
        return limit
    if processed < limit and seconds <= target:
        return limit
    fits = int(target * processed / seconds)
    if processed < limit:
        fits = min(fits, limit)
    return max(min(MIN_BATCH, most), min(most, fits, limit * 4))


class Correlator:
    name = "correlator"
    exclusive = True

    def __init__(
        self,
        *,
        options: CorrelatorSettings,
        scoring: ScoringConfig,
        sectors: SectorsConfig,
        clock: Clock,
        signals: Signals,
        metrics: Metrics,
    ) -> None:
        self._options = options
        self._scoring = scoring
        self._sectors = sectors
        self._clock = clock
        self._signals = signals
        self._metrics = metrics
        self._limit = min(options.batch_size, FIRST_BATCH)
        self._carried: CorrelationState | None = None
        self._carried_for: Leadership | None = None

    async def step(self, leadership: Leadership) -> Progress:
        now = self._clock.now()
        scoring, sectors = self._scoring, self._sectors
        started = time.perf_counter()
        # The state a batch leaves serves the next one only under the same leadership, and
        # only once that batch has committed: a failed or lost one is read again.
        carried = self._carried if self._carried_for is leadership else None
        self._carried = self._carried_for = None
        async with leadership.transaction() as conn:
            outcome = await run_batch(
                conn, scoring=scoring, sectors=sectors, limit=self._limit, now=now,
                carried=carried, ledger_rows=self._options.ledger_rows,
            )  # fmt: skip
            if not outcome.processed:
                until = now - timedelta(seconds=self._options.tick_grace_seconds)
                outcome = await run_ticks(
                    conn, scoring=scoring, sectors=sectors, until=until, now=now,
                    carried=carried, ledger_rows=self._options.ledger_rows,
                )  # fmt: skip
        self._carried = outcome.state or carried
        self._carried_for = leadership
        seconds = time.perf_counter() - started
        if outcome.processed:
            self._metrics.correlator_batch_seconds.observe(seconds)
            self._limit = next_limit(
                self._limit,
                processed=outcome.processed,
                seconds=seconds,
                target=self._options.batch_seconds,
                most=self._options.batch_size,
            )
        self._metrics.correlator_batch_limit.set(self._limit)
        self._metrics.reports_correlated.inc(outcome.processed)
        self._metrics.events_appended.inc(len(outcome.appended))
        if outcome.processed:
            log.debug(
                "batch correlated",
                extra={
                    "reports": outcome.processed,
                    "seconds": round(seconds, 4),
                    "next_limit": self._limit,
                },
            )
        if outcome.appended:
            self._signals.events_committed(max(outcome.appended))
        return Progress(outcome.processed, more=outcome.processed > 0)
