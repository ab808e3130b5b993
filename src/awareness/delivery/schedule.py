"""What an attempt's answer means for a subscription: delivered, retried when, or disabled and
why. Pure functions of the answer, the subscription's failure streak and the time, so every
branch of the back-off is tested without a network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

# Retry-After larger than this is read as this: a peer cannot park a subscription for weeks.
MAX_RETRY_AFTER = 86_400.0


@dataclass(frozen=True, slots=True)
class Answer:
    """What one attempt got: an HTTP status (None when nothing answered, or for mail), an
    error to show, and the peer's `Retry-After` in seconds."""

    status: int | None
    error: str | None = None
    retry_after: float | None = None
    # Mail has no status code: a relay that took the message delivered it.
    accepted: bool = False

    @property
    def delivered(self) -> bool:
        return self.accepted or (self.status is not None and 200 <= self.status < 300)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Literal["delivered", "failed", "disabled"]
    next_attempt_at: datetime | None = None
    failing_since: datetime | None = None
    disabled_reason: str | None = None


def retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP date), or None when
    absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def judge(
    answer: Answer,
    *,
    attempt: int,
    failing_since: datetime | None,
    now: datetime,
    schedule: tuple[float, ...],
    jitter: float,
    draw: float,
    disable_after: timedelta,
) -> Verdict:
    """The verdict on attempt number `attempt` (1 for the first) at one event. `draw` in [-1, 1]
    places the wait within its jitter."""
    if answer.delivered:
        return Verdict("delivered")
    if answer.status == 410:
        return Verdict(
            "disabled",
            failing_since=failing_since or now,
            disabled_reason="the target answered 410 Gone: it takes no more deliveries",
        )
    since = failing_since or now
    if now - since >= disable_after:
        hours = disable_after.total_seconds() / 3600
        return Verdict(
            "disabled",
            failing_since=since,
            disabled_reason=f"failing for {hours:g} hours without a success since "
            f"{since.isoformat().replace('+00:00', 'Z')}; last error: {describe(answer)}",
        )
    if answer.retry_after is not None and answer.status in (429, 503):
        wait = answer.retry_after
    else:
        wait = schedule[min(attempt, len(schedule)) - 1] * (1 + jitter * max(-1.0, min(1.0, draw)))
    return Verdict("failed", next_attempt_at=now + timedelta(seconds=wait), failing_since=since)


def describe(answer: Answer) -> str:
    """The answer as the health page shows it."""
    if answer.error:
        return answer.error if answer.status is None else f"HTTP {answer.status}: {answer.error}"
    return f"HTTP {answer.status}" if answer.status is not None else "no answer"
