"""Instants the scoring core accepts: timezone-aware, held in UTC, and their exact JSON form.
Naive datetimes are refused here so that no rule ever guesses a timezone."""

from __future__ import annotations

from datetime import UTC, datetime


def require_aware(moment: datetime, name: str = "time") -> datetime:
    """Return `moment` in UTC, or refuse it: a naive time would silently shift scores."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def time_to_json(moment: datetime) -> str:
    """RFC 3339 text in UTC; `time_from_json` gives back an equal datetime, microseconds kept."""
    return require_aware(moment).isoformat()


def time_from_json(text: str, name: str = "time") -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"{name} must be an RFC 3339 string, got {text!r}")
    return require_aware(datetime.fromisoformat(text), name)


def hours_between(earlier: datetime, later: datetime) -> float:
    """Signed hours from `earlier` to `later`; both must be aware."""
    delta = require_aware(later, "later") - require_aware(earlier, "earlier")
    return delta.total_seconds() / 3600.0
