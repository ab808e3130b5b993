"""What a running service holds: settings, database, clock and the shared objects built from
them. Built once by the app factory or the CLI and passed down; no module keeps globals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from awareness.auth.keys import KeyStore
from awareness.auth.limits import RateLimiter
from awareness.clock import Clock, SystemClock
from awareness.db.engine import Database, open_database
from awareness.metrics import Metrics
from awareness.notify import Notifier, open_notifier
from awareness.settings import Settings

if TYPE_CHECKING:
    from awareness.correlator.loop import Correlator
    from awareness.feed.broadcaster import Broadcaster


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock
    keys: KeyStore
    limiter: RateLimiter
    notifier: Notifier
    metrics: Metrics = field(default_factory=Metrics)
    correlator: Correlator | None = None
    broadcaster: Broadcaster | None = None
    # Called after reports commit, so the correlator wakes at once instead of at its next poll.
    report_listeners: list[Callable[[], None]] = field(default_factory=list)

    def acknowledged(self, kind: str, count: int) -> None:
        """Reports of `kind` are durable: count them and wake whoever waits for reports."""
        self.metrics.counts.reports[kind] += count
        for listener in self.report_listeners:
            listener()


def build_services(
    settings: Settings, *, clock: Clock | None = None, database: Database | None = None
) -> Services:
    database = database or open_database(settings.effective_database_url, settings.database)
    return Services(
        settings=settings,
        database=database,
        clock=clock or SystemClock(),
        keys=KeyStore(database, cache_seconds=settings.auth.cache_seconds),
        limiter=RateLimiter(
            per_second=settings.limits.requests_per_second, burst=settings.limits.burst
        ),
        notifier=open_notifier(database),
    )
