"""The pure rules of reporting clocks: windows, months, states, reportability, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from awareness.scoring.clocks import RegimesConfig, add_months, clocks_of, reminders_of
from awareness.settings import load_settings

AWARE = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def nis2() -> RegimesConfig:
    return load_settings().regimes


def test_the_shipped_regimes_load() -> None:
    regimes = nis2()
    assert regimes.names() == ["china", "china_cii", "circia", "nis2"]
    early = regimes.root["nis2"].stage("early_warning")
    assert early is not None
    assert (early.hours, early.fields) == (24, ("suspected_malicious", "cross_border"))


def test_months_are_calendar_months() -> None:
    assert add_months(AWARE, 1) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 15, tzinfo=UTC), 1) == datetime(2027, 1, 15, tzinfo=UTC)


def test_clocks_count_from_awareness_and_from_the_previous_stage() -> None:
    regime = nis2().root["nis2"]
    filed = {"notification": AWARE + timedelta(hours=80)}
    now = AWARE + timedelta(hours=100)
    clocks = {
        c.stage: c
        for c in clocks_of("nis2", regime, aware_at=AWARE, category="malware", filed=filed, now=now)
    }
    assert clocks["early_warning"].due_at == AWARE + timedelta(hours=24)
    assert clocks["early_warning"].state == "overdue"
    assert clocks["notification"].state == "met_late"
    # The final report counts from the notification as filed, not as due.
    assert clocks["final_report"].starts_at == AWARE + timedelta(hours=80)
    assert clocks["final_report"].state == "pending"


def test_reportable_by_severity_or_by_the_flag() -> None:
    regime = nis2().root["nis2"]
    assert regime.reportable(severity=60, significant=False)
    assert not regime.reportable(severity=59.9, significant=False)
    assert regime.reportable(severity=0, significant=True)


def test_a_stage_limited_to_categories() -> None:
    circia = nis2().root["circia"]
    now = AWARE
    ransomware = clocks_of(
        "circia", circia, aware_at=AWARE, category="ransomware", filed={}, now=now
    )
    malware = clocks_of("circia", circia, aware_at=AWARE, category="malware", filed={}, now=now)
    assert [c.stage for c in ransomware] == ["covered_incident", "ransom_payment"]
    assert [c.stage for c in malware] == ["covered_incident"]


def test_reminders_fall_at_three_quarters_and_at_the_deadline() -> None:
    regime = nis2().root["nis2"]
    clock = clocks_of("nis2", regime, aware_at=AWARE, category="malware", filed={}, now=AWARE)[1]
    assert reminders_of(clock, (75, 100)) == [
        (75, AWARE + timedelta(hours=54)),
        (100, AWARE + timedelta(hours=72)),
    ]


@pytest.mark.parametrize(
    "regimes",
    [
        {"x": {"name": "X", "stages": [{"id": "a", "name": "a", "hours": 1, "days": 1}]}},
        {"x": {"name": "X", "stages": [{"id": "a", "name": "a", "hours": 1, "from": "b"}]}},
        {"X!": {"name": "X", "stages": [{"id": "a", "name": "a", "hours": 1}]}},
        {"x": {"name": "X", "stages": [{"id": "a", "name": "a", "hours": 1, "categories": ["y"]}]}},
    ],
)
def test_malformed_regimes_are_refused(regimes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RegimesConfig.model_validate(regimes)
