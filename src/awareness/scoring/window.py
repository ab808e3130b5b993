"""The recent incidents of one sector that floors look at (docs/scoring.md section 3), bounded by
the number of organizations: per organization, only its latest incident above each threshold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from awareness.scoring.config import ScoringConfig
from awareness.timestamps import require_aware, time_from_json, time_to_json

STATE_VERSION = 1
TIERS = ("severe", "significant", "breadth")


@dataclass(frozen=True, slots=True)
class Mark:
    """The incident that proves an organization had a severe/significant/broad-enough report."""

    incident_id: int
    severity: float
    detected_at: datetime

    def order(self) -> tuple[datetime, float, int]:
        # Latest wins; ties go to the stronger, then to the older id, so replays agree.
        return (self.detected_at, self.severity, -self.incident_id)


def tier_thresholds(*, cfg: ScoringConfig) -> dict[str, float]:
    floors = cfg.floors
    return {
        "severe": floors.severe_severity,
        "significant": floors.significant_severity,
        "breadth": floors.breadth_severity,
    }


class RecentWindow:
    """Per organization and tier, the latest incident at or above the tier's severity.

    Whether a floor holds only needs "is there such an incident inside the window", and the
    latest one answers that for as long as any does, so older ones are not kept. An incident
    counts while `at - detected_at < window_hours` (it expires exactly at 24 h).
    """

    def __init__(self, *, cfg: ScoringConfig) -> None:
        self._cfg = cfg
        self._thresholds = tier_thresholds(cfg=cfg)
        self._marks: dict[str, dict[str, Mark]] = {}

    def add(self, incident_id: int, org_id: str, severity: float, detected_at: datetime) -> None:
        if not org_id:
            raise ValueError("org_id must be a non-empty string")
        mark = Mark(int(incident_id), float(severity), require_aware(detected_at, "detected_at"))
        for tier, threshold in self._thresholds.items():
            if mark.severity < threshold:
                continue
            org = self._marks.setdefault(org_id, {})
            current = org.get(tier)
            if current is None or mark.order() > current.order():
                org[tier] = mark

    def prune(self, at: datetime) -> None:
        """Forget what has left the window; call with the evaluation time before reading."""
        cutoff = self._cutoff(at)
        for org_id in list(self._marks):
            org = self._marks[org_id]
            for tier in [t for t, mark in org.items() if mark.detected_at <= cutoff]:
                del org[tier]
            if not org:
                del self._marks[org_id]

    def marks(self, tier: str, at: datetime) -> dict[str, Mark]:
        """Organization -> its latest mark of `tier` still inside the window at `at`."""
        if tier not in self._thresholds:
            raise ValueError(f"unknown tier {tier!r}: expected one of {TIERS}")
        cutoff = self._cutoff(at)
        return {
            org_id: org[tier]
            for org_id, org in sorted(self._marks.items())
            if tier in org and org[tier].detected_at > cutoff
        }

    def _cutoff(self, at: datetime) -> datetime:
        """A mark is inside while `at - detected_at < window`, i.e. `detected_at > cutoff`."""
        return require_aware(at, "at") - timedelta(hours=self._cfg.floors.window_hours)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "thresholds": dict(self._thresholds),
            "orgs": {
                org_id: {
                    tier: {
                        "incident_id": mark.incident_id,
                        "severity": mark.severity,
                        "detected_at": time_to_json(mark.detected_at),
                    }
                    for tier, mark in sorted(org.items())
                }
                for org_id, org in sorted(self._marks.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, cfg: ScoringConfig) -> RecentWindow:
        """Refuse state built under other thresholds: the kept marks would answer the wrong
        question. Rebuild it from the last `window_hours` of incidents instead."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported recent window state version {data.get('version')!r}")
        window = cls(cfg=cfg)
        stored = {tier: float(value) for tier, value in data["thresholds"].items()}
        if stored != window._thresholds:
            raise ValueError(
                f"recent window was built with thresholds {stored}, config has "
                f"{window._thresholds}: rebuild it from the recent incidents"
            )
        for org_id, org in data["orgs"].items():
            window._marks[str(org_id)] = {
                tier: Mark(
                    int(mark["incident_id"]),
                    float(mark["severity"]),
                    time_from_json(mark["detected_at"], "detected_at"),
                )
                for tier, mark in org.items()
                if tier in window._thresholds
            }
        return window
