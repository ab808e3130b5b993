"""The correlator as a consumer of the report log: one batch per step in a transaction of its
leadership, time-driven evaluations when no report waits, and a signal after each commit that
appended events."""

from __future__ import annotations

import logging
from datetime import timedelta

from awareness.clock import Clock
from awareness.consumers.leader import Leadership
from awareness.consumers.runner import Progress
from awareness.correlator.batch import run_batch, run_ticks
from awareness.metrics import Metrics
from awareness.scoring import ScoringConfig, SectorsConfig
from awareness.settings import CorrelatorSettings
from awareness.signals import Signals

log = logging.getLogger(__name__)


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

    async def step(self, leadership: Leadership) -> Progress:
        now = self._clock.now()
        scoring, sectors = self._scoring, self._sectors
        async with leadership.transaction() as conn:
            outcome = await run_batch(
                conn, scoring=scoring, sectors=sectors, limit=self._options.batch_size, now=now
            )
            if not outcome.processed:
                until = now - timedelta(seconds=self._options.tick_grace_seconds)
                outcome = await run_ticks(
                    conn, scoring=scoring, sectors=sectors, until=until, now=now
                )
        self._metrics.reports_correlated.inc(outcome.processed)
        self._metrics.events_appended.inc(len(outcome.appended))
        if outcome.processed:
            log.debug("batch correlated", extra={"reports": outcome.processed})
        if outcome.appended:
            self._signals.events_committed(max(outcome.appended))
        return Progress(outcome.processed, more=outcome.processed > 0)
