"""Refused authentications (401), tallied in memory per client address and written to the audit
trail as one record per address per window, with the count folded in. A refusal costs a
dictionary update, never a database write: a guesser sending thousands of bad keys a second
must not turn each into a write (and a lock on the chain). Each replica tallies its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from awareness.auth import audit
from awareness.db.engine import Database
from awareness.timestamps import time_to_json

# Refusals from addresses beyond this many in one window are folded into one tally, so that
# memory stays bounded under a spread-out attack; their count is kept, their addresses are not.
OTHERS = "(other addresses)"
ACTION = "auth.refused"


@dataclass(slots=True)
class Tally:
    address: str
    first_at: datetime
    last_at: datetime
    count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class RefusalLog:
    """A window opens at an address's first refusal and closes `window` later; its tally is
    written by the first `flush` after it closed (and every open one at shut-down)."""

    def __init__(self, *, window_seconds: float, max_addresses: int = 10_000) -> None:
        self._window = timedelta(seconds=window_seconds)
        self._max = max_addresses
        self._open: dict[str, Tally] = {}

    def note(self, address: str, *, at: datetime, reason: str) -> None:
        tally = self._open.get(address)
        if tally is None:
            if len(self._open) >= self._max:
                address = OTHERS
                tally = self._open.get(address)
            if tally is None:
                tally = self._open[address] = Tally(address, at, at)
        tally.count += 1
        tally.last_at = max(tally.last_at, at)
        tally.reasons[reason] = tally.reasons.get(reason, 0) + 1

    @property
    def pending(self) -> int:
        return len(self._open)

    def _closed(self, now: datetime, everything: bool) -> list[Tally]:
        due = [
            tally
            for tally in self._open.values()
            if everything or now >= tally.first_at + self._window
        ]
        for tally in due:
            del self._open[tally.address]
        return due

    async def flush(self, database: Database, *, now: datetime, everything: bool = False) -> int:
        """Writes the tallies whose window closed (all of them with `everything`), in one
        transaction; returns how many records it appended. A failed write puts them back."""
        due = self._closed(now, everything)
        if not due:
            return 0
        try:
            async with database.write() as conn:
                for tally in sorted(due, key=lambda t: (t.first_at, t.address)):
                    await audit.record(
                        conn, at=tally.first_at, actor=f"address:{tally.address}",
                        action=ACTION, target=f"address:{tally.address}",
                        details={
                            "count": tally.count, "reasons": tally.reasons,
                            "first_at": time_to_json(tally.first_at),
                            "last_at": time_to_json(tally.last_at),
                            "window_seconds": self._window.total_seconds(),
                        },
                    )  # fmt: skip
        except BaseException:
            for tally in due:
                self._merge(tally)
            raise
        return len(due)

    def _merge(self, tally: Tally) -> None:
        kept = self._open.get(tally.address)
        if kept is None:
            self._open[tally.address] = tally
            return
        kept.first_at = min(kept.first_at, tally.first_at)
        kept.last_at = max(kept.last_at, tally.last_at)
        kept.count += tally.count
        for reason, count in tally.reasons.items():
            kept.reasons[reason] = kept.reasons.get(reason, 0) + count
