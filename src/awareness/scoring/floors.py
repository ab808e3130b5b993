"""Floors (docs/scoring.md section 3): the levels a sector cannot be below whatever its score, each
a named record that says why it holds. Every floor rests on the sector's own reports; the
campaign floor lives with campaigns, and dependencies are no floor at all (`scoring.dependency`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from awareness.scoring.config import ScoringConfig
from awareness.scoring.levels import Level
from awareness.scoring.window import Mark, RecentWindow

SEVERE = "severe_incident"
SIGNIFICANT = "significant_incident"
BREADTH = "breadth"
BREADTH_WIDE = "breadth_wide"
CAMPAIGN = "campaign"


@dataclass(frozen=True, slots=True)
class Floor:
    """A rule that holds: its name, the level it imposes, a sentence, and JSON-ready facts."""

    rule: str
    level: Level
    detail: str
    evidence: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level.label,
            "detail": self.detail,
            "evidence": self.evidence,
        }


def incident_floors(
    window: RecentWindow, at: datetime, *, org_count: int, cfg: ScoringConfig
) -> list[Floor]:
    """Severe, significant, breadth and wide-breadth floors that hold at `at`.

    `org_count` is the number of registered organizations in the sector; if fewer than those
    that reported (registrations lag), the reporters are the denominator, so a share never
    exceeds 100 %. Every floor that holds is returned, even when a stronger one also does.
    """
    rules = cfg.floors
    window_h = f"{rules.window_hours:g} h"
    found: list[Floor] = []
    for rule, tier, threshold, level in (
        (SEVERE, "severe", rules.severe_severity, rules.severe_level),
        (SIGNIFICANT, "significant", rules.significant_severity, rules.significant_level),
    ):
        marks = list(window.marks(tier, at).values())
        if marks:
            strongest = max(marks, key=lambda m: (m.severity, -m.incident_id))
            detail = (
                f"{len(marks)} organization(s) reported severity >= {threshold:g} in the last "
                f"{window_h} (strongest: incident {strongest.incident_id}, "
                f"severity {strongest.severity:.1f})"
            )
            found.append(Floor(rule, level, detail, _marks_evidence(marks, threshold)))
    broad = list(window.marks("breadth", at).values())
    total = max(org_count, len(broad))
    for rule, min_orgs, min_share, level in (
        (BREADTH, rules.breadth_min_orgs, rules.breadth_min_share, rules.breadth_level),
        (
            BREADTH_WIDE,
            rules.breadth_wide_min_orgs,
            rules.breadth_wide_min_share,
            rules.breadth_wide_level,
        ),
    ):
        if broad and len(broad) >= min_orgs and len(broad) >= min_share * total:
            detail = (
                f"{len(broad)} of {total} organizations reported severity >= "
                f"{rules.breadth_severity:g} in the last {window_h} "
                f"(needs {min_orgs} and {min_share:.0%})"
            )
            evidence = _marks_evidence(broad, rules.breadth_severity)
            evidence.update(sector_organizations=total, share=len(broad) / total)
            found.append(Floor(rule, level, detail, evidence))
    return found


def _marks_evidence(marks: list[Mark], threshold: float) -> dict[str, Any]:
    ordered = sorted(marks, key=lambda m: (-m.severity, m.incident_id))
    return {
        "threshold": threshold,
        "organizations": len(marks),
        "incidents": [{"id": m.incident_id, "severity": m.severity} for m in ordered],
    }
