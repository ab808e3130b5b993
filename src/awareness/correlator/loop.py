"""The correlator's life in a server process: wait for leadership, then run batches whenever
reports arrive (notification) or at the latest every poll interval (safety net), and evaluate
time-driven changes when idle. After each commit it announces the new events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from awareness.background import stop_politely
from awareness.clock import Clock
from awareness.correlator.batch import BatchOutcome, run_batch, run_ticks
from awareness.correlator.leader import Leadership, lead
from awareness.db.engine import Database
from awareness.metrics import Counts
from awareness.settings import Settings

log = logging.getLogger(__name__)


class Correlator:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        clock: Clock,
        on_events: Callable[[int], None],
        counts: Counts | None = None,
    ) -> None:
        self._settings = settings
        self._options = settings.correlator
        self._database = database
        self._clock = clock
        self._on_events = on_events
        self._counts = counts or Counts()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._stop = asyncio.Event()
        # Rounds of the loop: started, and the last one that found nothing to do.
        self._round = 0
        self._idle_round = 0
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="correlator")

    async def stop(self) -> None:
        """Finish the batch in hand, then leave; cancel only if that takes too long (the batch
        then rolls back and the next leader replays it)."""
        await stop_politely(self._task, stop=self._stop, wake=self._wake)
        self._task = None

    def wake(self, _value: int | None = None) -> None:
        self._wake.set()

    async def settle(self) -> None:
        """Wait until every report committed before this call has been correlated (at most a
        minute: a correlator that cannot catch up by then is a failure to report)."""
        # A round already running may have looked before the caller's commit: wait for an idle
        # round that started after this call.
        start = self._round
        self.wake()
        async with asyncio.timeout(60):
            while self._idle_round <= start:
                self._idle.clear()
                await self._idle.wait()

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                async with lead(self._database) as leadership:
                    if leadership is not None:
                        self.is_leader = self._counts.leader = True
                        log.info("correlator leading")
                        await self._lead(leadership)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("correlator stopped; retrying")
            finally:
                if self.is_leader:
                    log.info("correlator no longer leading")
                self.is_leader = self._counts.leader = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._options.retry_seconds)

    async def _lead(self, leadership: Leadership) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._round += 1
            current = self._round
            outcome = await self._once(leadership)
            if outcome.processed:
                continue
            self._idle_round = current
            self._idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._options.poll_seconds)

    async def _once(self, leadership: Leadership) -> BatchOutcome:
        now = self._clock.now()
        async with leadership.transaction() as conn:
            outcome = await run_batch(
                conn, settings=self._settings, limit=self._options.batch_size, now=now
            )
            if not outcome.processed:
                until = now - timedelta(seconds=self._options.tick_grace_seconds)
                outcome = await run_ticks(conn, settings=self._settings, until=until, now=now)
        self._counts.correlated += outcome.processed
        self._counts.events += len(outcome.appended)
        if outcome.processed:
            log.debug("batch correlated", extra={"reports": outcome.processed})
        if outcome.appended:
            self._on_events(max(outcome.appended))
        return outcome
