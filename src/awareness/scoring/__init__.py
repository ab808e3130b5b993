"""Pure scoring core (docs/scoring.md): severity, decayed sector scores, floors, levels with
hysteresis, campaigns and exposure. No I/O, no clock: data, configuration and time go in."""

from awareness.scoring.assessment import (
    SectorInput,
    SectorOutcome,
    assess_sector,
    assess_sectors,
    sector_evidence,
)
from awareness.scoring.bands import band_for_score, highest_level, may_deescalate, next_level
from awareness.scoring.campaigns import (
    Announced,
    CampaignFacts,
    MilestoneCheck,
    Sighting,
    Summary,
    announced_from_json,
    campaign_evidence,
    campaign_facts,
    campaign_floor,
    campaign_level,
    campaign_title,
    check_milestones,
    facts_until,
    window_facts,
)
from awareness.scoring.config import ScoringConfig, SectorsConfig, Strength
from awareness.scoring.decay import Contribution, SectorScore, decayed
from awareness.scoring.dependency import (
    Risk,
    dependency_announcement,
    dependency_evidence,
    dependency_risk,
    dependency_title,
    dependents_by_strength,
)
from awareness.scoring.exposure import (
    exposure_due,
    exposure_evidence,
    exposure_level,
    involved_recently,
    product_key,
)
from awareness.scoring.floors import Floor, incident_floors
from awareness.scoring.indicators import exclusion_reason, may_form_campaign
from awareness.scoring.levels import Level, LevelState
from awareness.scoring.severity import (
    cross_sector_dependency,
    incident_level,
    incident_severity,
    severity_components,
)
from awareness.scoring.window import RecentWindow

__all__ = [
    "Announced",
    "CampaignFacts",
    "Contribution",
    "Floor",
    "Level",
    "LevelState",
    "MilestoneCheck",
    "RecentWindow",
    "Risk",
    "ScoringConfig",
    "SectorInput",
    "SectorOutcome",
    "SectorScore",
    "SectorsConfig",
    "Sighting",
    "Strength",
    "Summary",
    "announced_from_json",
    "assess_sector",
    "assess_sectors",
    "band_for_score",
    "campaign_evidence",
    "campaign_facts",
    "campaign_floor",
    "campaign_level",
    "campaign_title",
    "check_milestones",
    "cross_sector_dependency",
    "decayed",
    "dependency_announcement",
    "dependency_evidence",
    "dependency_risk",
    "dependency_title",
    "dependents_by_strength",
    "exclusion_reason",
    "exposure_due",
    "exposure_evidence",
    "exposure_level",
    "facts_until",
    "highest_level",
    "incident_floors",
    "incident_level",
    "incident_severity",
    "involved_recently",
    "may_deescalate",
    "may_form_campaign",
    "next_level",
    "product_key",
    "sector_evidence",
    "severity_components",
    "window_facts",
]
