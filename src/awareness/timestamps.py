"""Instants as the service holds and writes them: timezone-aware, in UTC, and on the wire as
RFC 3339 ending in `Z`. Naive datetimes are refused so that no rule ever guesses a timezone;
every time the API, the feed and the stored evidence carry goes through `time_to_json`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def require_aware(moment: datetime, name: str = "time") -> datetime:
    """Return `moment` in UTC, or refuse it: a naive time would silently shift scores."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def time_to_json(moment: datetime) -> str:
    """RFC 3339 in UTC with `Z`; `time_from_json` gives back an equal datetime, microseconds
    kept."""
    return require_aware(moment).isoformat().replace("+00:00", "Z")


def time_from_json(text: str, name: str = "time") -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"{name} must be an RFC 3339 string, got {text!r}")
    return require_aware(datetime.fromisoformat(text), name)


# A datetime field of a response model: serialized by `time_to_json`, documented as such.
UtcTime = Annotated[
    datetime,
    PlainSerializer(time_to_json, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": "Z$",
         "examples": ["2026-11-30T08:30:00Z"]},
        mode="serialization",
    ),
]  # fmt: skip
