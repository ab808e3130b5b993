"""Running a consumer of a log in a server process: lead if it must run once per database, then
take steps whenever a signal says there is something new and at the latest every poll interval
(the safety net for a lost signal), and start over after an error. Every consumer (the
correlator on the report log, the feed and the durable consumers on the event log) runs here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from awareness.consumers.background import stop_politely
from awareness.consumers.leader import Leadership, Shared, lead
from awareness.db.engine import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Progress:
    """What one step did: how many entries it handled, and whether another step may find more
    at once (a full page) instead of waiting for a signal."""

    handled: int
    more: bool


class Consumer(Protocol):
    # Names its leadership, its durable cursor and its metrics.
    name: str
    # True: one process per database runs it (leader-elected); False: every process does.
    exclusive: bool

    async def step(self, leadership: Leadership) -> Progress:
        """Handle the next entries after the cursor and advance it, in one transaction of
        `leadership` for a consumer whose cursor is durable."""
        ...


class Runner:
    def __init__(
        self,
        consumer: Consumer,
        *,
        database: Database,
        poll_seconds: float,
        retry_seconds: float,
    ) -> None:
        self.consumer = consumer
        self._database = database
        self._poll = poll_seconds
        self._retry = retry_seconds
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._stop = asyncio.Event()
        # Rounds of the loop: started, and the last one that found nothing to do.
        self._round = 0
        self._idle_round = 0
        self._task: asyncio.Task[None] | None = None
        self.leading = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.consumer.name)

    async def stop(self) -> None:
        """Finish the step in hand, then leave; cancel only if that takes too long (its
        transaction then rolls back and the next run replays it)."""
        await stop_politely(self._task, stop=self._stop, wake=self._wake)
        self._task = None

    def wake(self, _value: int | None = None) -> None:
        self._wake.set()

    async def settle(self) -> None:
        """Wait until everything committed before this call has been handled (at most a
        minute: a consumer that cannot catch up by then is a failure to report)."""
        # A round already running may have looked before the caller's commit: wait for an idle
        # round that started after this call.
        start = self._round
        self.wake()
        async with asyncio.timeout(60):
            while self._idle_round <= start:
                self._idle.clear()
                await self._idle.wait()

    async def _run(self) -> None:
        name = self.consumer.name
        while not self._stop.is_set():
            try:
                if not self.consumer.exclusive:
                    await self._follow(Shared(self._database))
                    continue
                async with lead(self._database, name) as leadership:
                    if leadership is not None:
                        self.leading = True
                        log.info("leading", extra={"consumer": name})
                        await self._follow(leadership)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer stopped; retrying", extra={"consumer": name})
            finally:
                if self.leading:
                    log.info("no longer leading", extra={"consumer": name})
                self.leading = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._retry)

    async def _follow(self, leadership: Leadership) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._round += 1
            current = self._round
            progress = await self.consumer.step(leadership)
            if progress.more:
                continue
            self._idle_round = current
            self._idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
