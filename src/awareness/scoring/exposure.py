"""Exposure (docs/scoring.md section 5): the matching key for products, the once-per-window
rule per organization and key, and the evidence of an exposure warning."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from awareness.scoring.bands import band_for_score
from awareness.scoring.config import ScoringConfig
from awareness.scoring.levels import Level
from awareness.timestamps import require_aware, time_to_json

PRODUCT = "product"
CVE = "cve"


def product_key(vendor: str | None, product: str | None) -> str | None:
    """`vendor|product` case-folded with all whitespace removed, so "Siemens", "SIEMENS " and
    "Sie mens" match; None when either part is missing or blank (no match is possible)."""
    parts = ["".join((text or "").casefold().split()) for text in (vendor, product)]
    if not all(parts):
        return None
    return "|".join(parts)


def exposure_due(last_warned_at: datetime | None, at: datetime, *, cfg: ScoringConfig) -> bool:
    """At most one warning per organization and key per `dedup_days`: True if one may go now.

    A last warning dated after `at` (replayed out of order) counts as recent: no duplicate.
    """
    at = require_aware(at, "at")
    if last_warned_at is None:
        return True
    elapsed = at - require_aware(last_warned_at, "last_warned_at")
    return elapsed >= timedelta(days=cfg.exposure.dedup_days)


def involved_recently(incident_at: datetime, at: datetime, *, cfg: ScoringConfig) -> bool:
    """Whether an incident still flags a newly reported asset (`lookback_days`, by detected_at)."""
    age = require_aware(at, "at") - require_aware(incident_at, "incident_at")
    return age < timedelta(days=cfg.exposure.lookback_days)


def exposure_level(severity: float, *, cfg: ScoringConfig) -> Level:
    """The triggering incident's own level, raised to `min_level`: an exposure is never none."""
    return max(band_for_score(severity, cfg=cfg), cfg.exposure.min_level)


def exposure_evidence(
    *,
    matched_on: str,
    key: str,
    vendor: str | None = None,
    product: str | None = None,
    source_sector: str,
    source_severity: float,
    source_detected_at: datetime,
    target_asset_ids: Iterable[str],
    trigger: str,
    cfg: ScoringConfig,
) -> dict[str, Any]:
    """What the addressed organization needs to act: what matched, which of ITS assets, and how
    bad and how recent the incident elsewhere was. Neither the other organization nor its
    incident id is named (the addressee could not open it, and it would identify the victim).
    `trigger` is `incident` (a report named the product/CVE) or `asset` (an inventory update
    matched a recent incident)."""
    if matched_on not in (PRODUCT, CVE):
        raise ValueError(f"matched_on must be {PRODUCT!r} or {CVE!r}, got {matched_on!r}")
    if trigger not in ("incident", "asset"):
        raise ValueError(f"trigger must be 'incident' or 'asset', got {trigger!r}")
    return {
        "matched_on": matched_on,
        "key": key,
        "vendor": vendor,
        "product": product,
        "source_sector": source_sector,
        "source_severity": source_severity,
        "source_level": band_for_score(source_severity, cfg=cfg).label,
        "source_detected_at": time_to_json(source_detected_at),
        "assets": sorted(set(target_asset_ids)),
        "trigger": trigger,
        "dedup_days": cfg.exposure.dedup_days,
    }
