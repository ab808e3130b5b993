"""Campaigns (docs/scoring.md section 4): one eligible indicator reported by enough distinct
organizations within the window, its announcement milestones, its floor and its evidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from awareness.scoring.config import ScoringConfig
from awareness.scoring.floors import CAMPAIGN, Floor
from awareness.scoring.indicators import may_form_campaign
from awareness.scoring.levels import Level
from awareness.timestamps import require_aware, time_to_json

DETECTED = "detected"
NEW_SECTOR = "new_sector"


@dataclass(frozen=True, slots=True)
class Sighting:
    """One incident that reported the indicator."""

    incident_id: int
    org_id: str
    sector: str
    severity: float
    detected_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What the window shows of one indicator. `org_ids` exists only to be counted: nothing
    that leaves this module (evidence, titles, floors) ever reads it."""

    indicator_type: str
    indicator_value: str
    org_ids: frozenset[str] = field(repr=False)
    sectors: tuple[str, ...]
    max_severity: float
    first_seen: datetime
    last_seen: datetime

    @property
    def org_count(self) -> int:
        return len(self.org_ids)


def summarize_sightings(
    indicator_type: str,
    indicator_value: str,
    sightings: Iterable[Sighting],
    at: datetime,
    *,
    cfg: ScoringConfig,
) -> CampaignFacts | None:
    """Facts over the sightings whose `detected_at` lies within `window_hours` before `at`
    (a few minutes after `at` also count: ingest tolerates that clock skew). None if none do."""
    at = require_aware(at, "at")
    window = timedelta(hours=cfg.campaign.window_hours)
    inside = [s for s in sightings if at - require_aware(s.detected_at, "detected_at") < window]
    if not inside:
        return None
    return CampaignFacts(
        indicator_type=indicator_type,
        indicator_value=indicator_value,
        org_ids=frozenset(s.org_id for s in inside),
        sectors=tuple(sorted({s.sector for s in inside})),
        max_severity=max(s.severity for s in inside),
        first_seen=min(s.detected_at for s in inside),
        last_seen=max(s.detected_at for s in inside),
    )


def is_campaign(facts: CampaignFacts | None, *, cfg: ScoringConfig) -> bool:
    """Enough distinct organizations, and an indicator that may form one at all."""
    return (
        facts is not None
        and facts.org_count >= cfg.campaign.min_orgs
        and may_form_campaign(facts.indicator_type, facts.indicator_value, cfg=cfg)
    )


@dataclass(frozen=True, slots=True)
class Announced:
    """What has been announced for a campaign: the most organizations and every sector."""

    org_count: int
    sectors: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"org_count": self.org_count, "sectors": list(self.sectors)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Announced:
        return cls(int(data["org_count"]), tuple(str(s) for s in data["sectors"]))


@dataclass(frozen=True, slots=True)
class MilestoneCheck:
    """Reasons for a new event (empty: none), the sectors new to it, the state to store."""

    reasons: tuple[str, ...]
    new_sectors: tuple[str, ...]
    announced: Announced | None


def check_milestones(
    announced: Announced | None, facts: CampaignFacts | None, *, cfg: ScoringConfig
) -> MilestoneCheck:
    """Compare the window with what was announced. Reasons: `detected` (first reaching
    `min_orgs`), `new_sector`, `reached_<m>_orgs` for each milestone crossed; all reasons of one
    observation go into one event. The stored count and sectors only grow, so a count that
    dips below a milestone and comes back is not announced twice. The caller passes None as
    `announced` for a campaign it considers over, so a later comeback is `detected` again."""
    if facts is None or not is_campaign(facts, cfg=cfg):
        return MilestoneCheck((), (), announced)
    previous_count = announced.org_count if announced else 0
    previous_sectors = set(announced.sectors) if announced else set()
    reasons: list[str] = [] if announced else [DETECTED]
    new_sectors = tuple(s for s in facts.sectors if s not in previous_sectors)
    if announced and new_sectors:
        reasons.append(NEW_SECTOR)
    reasons += [
        f"reached_{m}_orgs"
        for m in cfg.campaign.org_milestones
        if previous_count < m <= facts.org_count
    ]
    state = Announced(
        max(previous_count, facts.org_count),
        tuple(sorted(previous_sectors | set(facts.sectors))),
    )
    return MilestoneCheck(tuple(reasons), new_sectors, state)


def campaign_level(facts: CampaignFacts, *, cfg: ScoringConfig) -> Level:
    """Yellow; orange with an incident at `severe_severity`; red when also wide."""
    rules = cfg.campaign
    if facts.max_severity < rules.severe_severity:
        return rules.level
    if facts.org_count >= rules.wide_min_orgs:
        return max(rules.wide_level, rules.severe_level, rules.level)
    return max(rules.severe_level, rules.level)


def campaign_floor(
    facts: CampaignFacts | None,
    sector: str,
    *,
    cfg: ScoringConfig,
    campaign_id: int | None = None,
) -> Floor | None:
    """The floor this campaign imposes on `sector`, if it is a campaign that touches it."""
    if facts is None or sector not in facts.sectors or not is_campaign(facts, cfg=cfg):
        return None
    detail = f"campaign: {campaign_title(facts)}"
    evidence = campaign_evidence(facts, cfg=cfg, campaign_id=campaign_id)
    return Floor(CAMPAIGN, campaign_level(facts, cfg=cfg), detail, evidence)


def campaign_title(facts: CampaignFacts) -> str:
    return (
        f"{facts.indicator_type} {facts.indicator_value} reported by {facts.org_count} "
        f"organizations in {', '.join(facts.sectors)}"
    )


def campaign_evidence(
    facts: CampaignFacts,
    *,
    cfg: ScoringConfig,
    reasons: Iterable[str] = (),
    campaign_id: int | None = None,
) -> dict[str, Any]:
    """Section 9 evidence: the indicator, the organization COUNT and the sectors. Built field
    by field from non-identifying facts (no incident ids either: they lead to their org)."""
    return {
        "campaign_id": campaign_id,
        "indicator": {"type": facts.indicator_type, "value": facts.indicator_value},
        "organizations": facts.org_count,
        "sectors": list(facts.sectors),
        "max_severity": facts.max_severity,
        "level": campaign_level(facts, cfg=cfg).label,
        "first_seen": time_to_json(facts.first_seen),
        "last_seen": time_to_json(facts.last_seen),
        "window_hours": cfg.campaign.window_hours,
        "reasons": list(reasons),
    }


def announced_from_json(data: dict[str, Any] | None) -> Announced | None:
    """Stored state may be null for a campaign not yet (or no longer) announced."""
    return None if data is None else Announced.from_json(data)
