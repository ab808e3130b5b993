"""Wake-ups between stages: reports committed (ingest -> correlator), events committed (the
correlator and acknowledgements -> the feed and every log consumer). A signal carries a number
at most (the newest event seq): receivers always read the tables, so a lost or coalesced signal
loses nothing."""

from __future__ import annotations

from awareness.db.engine import Database
from awareness.signals.local import Signals
from awareness.signals.postgres import PostgresSignals

__all__ = ["Signals", "open_signals"]


def open_signals(database: Database) -> Signals:
    """PostgreSQL: LISTEN/NOTIFY, so every replica hears every commit. SQLite: in process."""
    return Signals() if database.is_sqlite else PostgresSignals(database)
