"""The notifier interface and the in-process backend, used on SQLite where one process holds
every stage."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from awareness.db.engine import Database

log = logging.getLogger(__name__)

REPORTS = "awareness_reports"  # ingest -> correlator: reports committed
EVENTS = "awareness_events"  # correlator and acknowledgements -> feed: events committed

# Receives the number sent, or None when the backend may have missed notifications (after a
# reconnect) and the receiver should catch up from the tables.
Listener = Callable[[int | None], None]


class Notifier:
    """In-process fan-out: `notify` calls every listener of the channel at once."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def listen(self, channel: str, listener: Listener) -> None:
        self._listeners[channel].append(listener)

    def notify(self, channel: str, value: int) -> None:
        """Call only after the commit that made `value` visible."""
        self._dispatch(channel, value)

    def _dispatch(self, channel: str, value: int | None) -> None:
        for listener in self._listeners.get(channel, ()):
            try:
                listener(value)
            except Exception:
                log.exception("notification listener failed", extra={"channel": channel})


def open_notifier(database: Database) -> Notifier:
    """PostgreSQL: LISTEN/NOTIFY, so every replica hears every commit. SQLite: in process."""
    if database.is_sqlite:
        return Notifier()
    from awareness.notify.postgres import PostgresNotifier

    return PostgresNotifier(database)
