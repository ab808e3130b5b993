"""Section 5: product and CVE keys, once per organization and key per 7 days, evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awareness.scoring.config import ScoringConfig
from awareness.scoring.exposure import (
    exposure_due,
    exposure_evidence,
    exposure_level,
    involved_recently,
    product_key,
)
from awareness.scoring.levels import Level

CFG = ScoringConfig()
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def test_product_key_ignores_case_and_space() -> None:
    key = product_key("Siemens", "SIMATIC S7-1500")
    assert key == "siemens|simatics7-1500"
    assert product_key(" SIEMENS ", "simatic  s7 -1500") == key
    assert product_key("Sie\tmens", "Simatic\u00a0S7-1500") == key  # any whitespace
    assert product_key("STRASSE", "x") == product_key("Straße", "X")  # casefold, not lower


@pytest.mark.parametrize(("vendor", "product"), [(None, "x"), ("x", None), ("  ", "x"), ("x", "")])
def test_product_key_needs_both_parts(vendor: str | None, product: str | None) -> None:
    assert product_key(vendor, product) is None


def test_one_warning_per_organization_and_key_per_7_days() -> None:
    assert exposure_due(None, T0, cfg=CFG)
    assert not exposure_due(T0, T0 + 6 * DAY, cfg=CFG)
    assert not exposure_due(T0, T0 + 7 * DAY - timedelta(microseconds=1), cfg=CFG)
    assert exposure_due(T0, T0 + 7 * DAY, cfg=CFG)
    assert not exposure_due(T0 + DAY, T0, cfg=CFG)  # a later warning already went out
    with pytest.raises(ValueError, match="timezone-aware"):
        exposure_due(None, datetime(2024, 5, 1), cfg=CFG)  # noqa: DTZ001


def test_an_asset_is_flagged_for_incidents_of_the_last_7_days() -> None:
    assert involved_recently(T0, T0 + 6 * DAY, cfg=CFG)
    assert not involved_recently(T0, T0 + 7 * DAY, cfg=CFG)


def test_exposure_level_is_the_incident_band_at_least_blue() -> None:
    assert exposure_level(5, cfg=CFG) == Level.BLUE
    assert exposure_level(65, cfg=CFG) == Level.ORANGE


def test_evidence_names_the_match_and_the_addressee_assets_only() -> None:
    evidence = exposure_evidence(
        matched_on="product",
        key="siemens|simatics7-1500",
        vendor="Siemens",
        product="SIMATIC S7-1500",
        source_sector="energy",
        source_severity=72.5,
        source_detected_at=T0,
        target_asset_ids=["plc-2", "plc-1", "plc-2"],
        trigger="incident",
        cfg=CFG,
    )
    assert evidence["assets"] == ["plc-1", "plc-2"]
    assert evidence["source_level"] == "orange"
    assert evidence["source_detected_at"] == "2024-05-01T12:00:00Z"
    assert json.loads(json.dumps(evidence)) == evidence
    with pytest.raises(ValueError, match="matched_on"):
        exposure_evidence(
            matched_on="hash",
            key="x",
            source_sector="energy",
            source_severity=1,
            source_detected_at=T0,
            target_asset_ids=[],
            trigger="incident",
            cfg=CFG,
        )


@given(
    last=st.integers(min_value=0, max_value=30 * 24),
    gap=st.integers(min_value=0, max_value=30 * 24),
)
def test_dedup_allows_exactly_after_the_window(last: int, gap: int) -> None:
    previous = T0 + timedelta(hours=last)
    assert exposure_due(previous, previous + timedelta(hours=gap), cfg=CFG) is (gap >= 7 * 24)
