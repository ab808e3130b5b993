"""Wake-ups between stages. A notification carries a number only (the newest report id or event
seq): receivers always read the tables, so a lost or coalesced notification loses nothing."""

from awareness.notify.base import EVENTS, REPORTS, Notifier, open_notifier

__all__ = ["EVENTS", "REPORTS", "Notifier", "open_notifier"]
