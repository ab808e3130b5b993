"""What one app is made of, each part built once, in order, by `create_app`: nothing is filled in
later, and a router asks for the part it needs (`api.deps`), never for the whole."""

from __future__ import annotations

from dataclasses import dataclass

from awareness.auth.keys import KeyStore
from awareness.auth.limits import RateLimiter
from awareness.auth.refusals import RefusalLog
from awareness.clock import Clock
from awareness.consumers.runner import Runner
from awareness.db.engine import Database
from awareness.delivery.dispatcher import Dispatcher
from awareness.delivery.secrets import Vault
from awareness.feed.broadcaster import Broadcaster
from awareness.feed.connection import REVOKED, UNAUTHENTICATED
from awareness.ingest.submit import Ingest
from awareness.metrics import Metrics
from awareness.settings import Settings
from awareness.signals import Signals


@dataclass(frozen=True, slots=True)
class Components:
    settings: Settings
    database: Database
    clock: Clock
    signals: Signals
    metrics: Metrics
    keys: KeyStore
    limiter: RateLimiter
    # Failed authentications per client address.
    failures: RateLimiter
    # Refused authentications tallied for the audit trail, one record per address per window.
    refusals: RefusalLog
    ingest: Ingest
    broadcaster: Broadcaster
    # The consumers this process runs: the correlator (unless disabled) and the feed.
    correlator: Runner | None
    feed: Runner
    # Encrypts and reads subscriptions' credentials.
    vault: Vault
    # Deliveries to subscriptions (unless disabled): one process per database sends.
    delivery: Runner | None
    # Reporting-clock reminders (unless disabled): one process per database sends them.
    reminders: Runner | None = None
    # Vulnerability warnings (unless disabled): one process per database matches assets.
    vulnerabilities: Runner | None = None

    def end_sessions(self, key_ids: set[int]) -> int:
        """Revoked keys: refused here at once (out of the cache), their feeds closed (4401).
        Returns how many feeds were closed."""
        for key_id in key_ids:
            self.keys.forget(key_id)
        return self.broadcaster.close_keys(key_ids, UNAUTHENTICATED, REVOKED)

    @property
    def consumers(self) -> tuple[Runner, ...]:
        runners = (self.correlator, self.feed, self.delivery, self.reminders, self.vulnerabilities)
        return tuple(runner for runner in runners if runner is not None)

    @property
    def dispatcher(self) -> Dispatcher | None:
        if self.delivery is None:
            return None
        assert isinstance(self.delivery.consumer, Dispatcher)
        return self.delivery.consumer
