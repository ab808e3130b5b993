"""The signals of one process, and the base every backend extends: a backend relays what is
published here to other processes and dispatches what they publish."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

log = logging.getLogger(__name__)

REPORTS = "awareness_reports"
EVENTS = "awareness_events"

# Receives the number sent, or None when the backend may have missed signals (after a
# reconnect) and the receiver should catch up from the tables.
Listener = Callable[[int | None], None]


class Signals:
    """In-process fan-out: publishing calls every listener at once. Publish only after the
    commit that made the reports or events visible."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def reports_committed(self) -> None:
        self._publish(REPORTS, 0)

    def events_committed(self, seq: int) -> None:
        """Events up to `seq` are in the log."""
        self._publish(EVENTS, seq)

    def on_reports(self, listener: Callable[[], None]) -> None:
        self._listeners[REPORTS].append(lambda _value: listener())

    def on_events(self, listener: Listener) -> None:
        self._listeners[EVENTS].append(listener)

    def _publish(self, channel: str, value: int) -> None:
        self._dispatch(channel, value)

    def _dispatch(self, channel: str, value: int | None) -> None:
        for listener in self._listeners.get(channel, ()):
            try:
                listener(value)
            except Exception:
                log.exception("signal listener failed", extra={"channel": channel})
