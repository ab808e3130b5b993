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
    announced_from_json,
    campaign_evidence,
    campaign_floor,
    campaign_level,
    campaign_title,
    check_milestones,
    is_campaign,
    summarize_sightings,
)
from awareness.scoring.config import ScoringConfig, SectorsConfig, Strength
from awareness.scoring.decay import Contribution, SectorScore, decayed
from awareness.scoring.exposure import (
    exposure_due,
    exposure_evidence,
    exposure_level,
    involved_recently,
    product_key,
)
from awareness.scoring.floors import Floor, dependency_floors, incident_floors, own_level
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
    "ScoringConfig",
    "SectorInput",
    "SectorOutcome",
    "SectorScore",
    "SectorsConfig",
    "Sighting",
    "Strength",
    "announced_from_json",
    "assess_sector",
    "assess_sectors",
    "band_for_score",
    "campaign_evidence",
    "campaign_floor",
    "campaign_level",
    "campaign_title",
    "check_milestones",
    "cross_sector_dependency",
    "decayed",
    "dependency_floors",
    "exclusion_reason",
    "exposure_due",
    "exposure_evidence",
    "exposure_level",
    "highest_level",
    "incident_floors",
    "incident_level",
    "incident_severity",
    "involved_recently",
    "is_campaign",
    "may_deescalate",
    "may_form_campaign",
    "next_level",
    "own_level",
    "product_key",
    "sector_evidence",
    "severity_components",
    "summarize_sightings",
]
