"""The back-off as the issue states it: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h and 24 h (repeating), each within its jitter; `Retry-After` honoured on 429 and 503; 410
and five days of failures disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from awareness.delivery.schedule import Answer, judge, retry_after
from awareness.settings import DeliverySettings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCHEDULE = DeliverySettings().retry_schedule
FIVE_DAYS = timedelta(hours=DeliverySettings().disable_after_hours)
ISSUE_WAITS = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


def verdict(answer: Answer, attempt: int = 1, since: datetime | None = None, draw: float = 0.0):  # type: ignore[no-untyped-def]
    return judge(
        answer, attempt=attempt, failing_since=since, now=NOW, schedule=SCHEDULE, jitter=0.1,
        draw=draw, disable_after=FIVE_DAYS,
    )  # fmt: skip


def test_the_default_schedule_is_the_issue_s() -> None:
    assert list(SCHEDULE) == ISSUE_WAITS


@given(st.integers(200, 299))
def test_any_2xx_delivers(status: int) -> None:
    assert verdict(Answer(status)).outcome == "delivered"


def test_mail_accepted_by_the_relay_is_delivered() -> None:
    assert verdict(Answer(None, accepted=True)).outcome == "delivered"


@given(
    attempt=st.integers(1, 40),
    draw=st.floats(-1, 1),
    status=st.sampled_from([None, 400, 401, 404, 408, 500, 502, 504]),
)
def test_a_failure_waits_its_turn_of_the_schedule_within_the_jitter(
    attempt: int, draw: float, status: int | None
) -> None:
    found = verdict(Answer(status, "boom", retry_after=30), attempt=attempt, draw=draw)
    assert found.outcome == "failed"
    assert found.failing_since == NOW
    assert found.next_attempt_at is not None
    wait = (found.next_attempt_at - NOW).total_seconds()
    base = ISSUE_WAITS[min(attempt, len(ISSUE_WAITS)) - 1]
    assert base * 0.9 - 1e-6 <= wait <= base * 1.1 + 1e-6


@given(status=st.sampled_from([429, 503]), seconds=st.integers(0, 86_400))
def test_retry_after_is_honoured_on_429_and_503(status: int, seconds: int) -> None:
    wait = retry_after(str(seconds), now=NOW)
    found = verdict(Answer(status, None, wait), attempt=1, draw=1.0)
    assert found.next_attempt_at == NOW + timedelta(seconds=seconds)


def test_retry_after_as_an_http_date_and_unreadable() -> None:
    assert retry_after("Mon, 02 Mar 2026 09:02:00 GMT", now=NOW) == 120
    assert retry_after("Mon, 02 Mar 2026 08:00:00 GMT", now=NOW) == 0
    assert retry_after("soon", now=NOW) is None
    assert retry_after(None, now=NOW) is None
    assert retry_after("99999999", now=NOW) == 86_400


def test_410_disables_at_once() -> None:
    found = verdict(Answer(410, "gone"))
    assert found.outcome == "disabled"
    assert found.disabled_reason is not None
    assert "410" in found.disabled_reason


def test_five_days_of_failures_disable_and_say_since_when() -> None:
    almost = verdict(Answer(500), attempt=12, since=NOW - FIVE_DAYS + timedelta(seconds=1))
    assert almost.outcome == "failed"
    found = verdict(Answer(None, "connection refused"), attempt=13, since=NOW - FIVE_DAYS)
    assert found.outcome == "disabled"
    assert found.disabled_reason is not None
    assert "120 hours" in found.disabled_reason
    assert "2026-02-25T09:00:00Z" in found.disabled_reason
    assert "connection refused" in found.disabled_reason
