"""Every number of the scoring model (docs/scoring.md) as validated configuration:
`ScoringConfig` (`config/scoring.toml`) and `SectorsConfig` (`config/profiles/*.toml`)."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from awareness import vocabulary
from awareness.scoring.levels import Level
from awareness.scoring.sectors import SectorsConfig, Strength

__all__ = ["LevelName", "ScoringConfig", "SectorsConfig", "Strength"]

LevelName = Annotated[
    Level,
    BeforeValidator(Level.parse),
    PlainSerializer(lambda level: level.label, return_type=str),
]
Score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

FUNCTIONAL_IMPACT = {
    "none": 0.0,
    "no_impact_to_services": 5.0,
    "minimal_non_critical": 20.0,
    "minimal_critical": 35.0,
    "significant_non_critical": 50.0,
    "denial_non_critical": 65.0,
    "significant_critical": 85.0,
    "denial_critical": 100.0,
}
LOCATION = {
    "unknown": 30.0,
    "business_dmz": 10.0,
    "business_network": 20.0,
    "business_network_management": 35.0,
    "critical_system_dmz": 50.0,
    "critical_system_management": 70.0,
    "critical_systems": 85.0,
    "safety_systems": 100.0,
}
INFORMATION_IMPACT = {
    "none": 0.0,
    "suspected": 10.0,
    "privacy_breach": 30.0,
    "proprietary_breach": 40.0,
    "destruction_non_critical": 50.0,
    "critical_data_breach": 70.0,
    "credential_compromise": 80.0,
    "destruction_critical": 100.0,
}
RECOVERABILITY = {"regular": 10.0, "supplemented": 40.0, "extended": 70.0, "not_recoverable": 100.0}
ASSET_CRITICALITY = {"low": 10.0, "medium": 40.0, "high": 70.0, "critical": 100.0}
# Obviously benign values (ours), the same as config/scoring.toml: public resolvers, vendor
# update and time hosts, the hashes of the empty file.
CAMPAIGN_ALLOW_LIST = (
    "8.8.8.8",
    "8.8.4.4",
    "2001:4860:4860::8888",
    "2001:4860:4860::8844",
    "1.1.1.1",
    "1.0.0.1",
    "2606:4700:4700::1111",
    "2606:4700:4700::1001",
    "9.9.9.9",
    "149.112.112.112",
    "2620:fe::fe",
    "208.67.222.222",
    "208.67.220.220",
    "windowsupdate.com",
    "update.microsoft.com",
    "download.microsoft.com",
    "delivery.mp.microsoft.com",
    "time.windows.com",
    "swscan.apple.com",
    "mesu.apple.com",
    "pool.ntp.org",
    "time.google.com",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "d41d8cd98f00b204e9800998ecf8427e",
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryWeights(_Section):
    functional_impact: float = Field(0.30, ge=0, allow_inf_nan=False)
    location: float = Field(0.20, ge=0, allow_inf_nan=False)
    information_impact: float = Field(0.15, ge=0, allow_inf_nan=False)
    recoverability: float = Field(0.15, ge=0, allow_inf_nan=False)
    asset_criticality: float = Field(0.10, ge=0, allow_inf_nan=False)
    cross_sector_dependency: float = Field(0.10, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one category weight must be positive")
        return self


class CategoryValues(_Section):
    """The value of each answer; the answers themselves are fixed by the report contract."""

    functional_impact: dict[str, Score] = Field(default_factory=lambda: dict(FUNCTIONAL_IMPACT))
    location: dict[str, Score] = Field(default_factory=lambda: dict(LOCATION))
    information_impact: dict[str, Score] = Field(default_factory=lambda: dict(INFORMATION_IMPACT))
    recoverability: dict[str, Score] = Field(default_factory=lambda: dict(RECOVERABILITY))
    asset_criticality: dict[str, Score] = Field(default_factory=lambda: dict(ASSET_CRITICALITY))

    @model_validator(mode="after")
    def _every_answer_valued(self) -> Self:
        expected = {
            "functional_impact": vocabulary.FUNCTIONAL_IMPACTS,
            "location": vocabulary.LOCATIONS,
            "information_impact": vocabulary.INFORMATION_IMPACTS,
            "recoverability": vocabulary.RECOVERABILITIES,
            "asset_criticality": vocabulary.CRITICALITIES,
        }
        for category, answers in expected.items():
            given = set(getattr(self, category))
            if given != set(answers):
                missing = sorted(set(answers) - given)
                unknown = sorted(given - set(answers))
                raise ValueError(f"{category}: missing {missing}, unknown {unknown}")
        return self


class SeverityConfig(_Section):
    default_asset_criticality: str = "medium"
    weights: CategoryWeights = CategoryWeights()
    values: CategoryValues = CategoryValues()

    @model_validator(mode="after")
    def _known_default(self) -> Self:
        if self.default_asset_criticality not in self.values.asset_criticality:
            raise ValueError(f"unknown asset criticality {self.default_asset_criticality!r}")
        return self


class DependencyConfig(_Section):
    """How much a dependency counts in severity, and from which level a sector is a risk to
    the sectors that depend on it (never a floor on their levels: section 3b)."""

    strong_weight: Share = 1.0
    moderate_weight: Share = 0.5
    risk_level: LevelName = Level.ORANGE

    def weight(self, strength: Strength) -> float:
        return self.strong_weight if strength is Strength.STRONG else self.moderate_weight


class SectorScoreConfig(_Section):
    max_per_org: int = Field(3, ge=1)
    max_terms: int = Field(100, ge=1)
    exponent: Positive = 1.5
    normalizer: Positive = 2.612

    @model_validator(mode="after")
    def _never_above_strongest(self) -> Self:
        # The score must not exceed the strongest term even with every slot filled at it.
        weights = sum(k**-self.exponent for k in range(1, self.max_terms + 1))
        if self.normalizer < weights:
            raise ValueError(
                f"normalizer {self.normalizer} is below sum of k^-{self.exponent} for "
                f"k=1..{self.max_terms} ({weights:.4f}): the score could exceed its inputs"
            )
        return self


class Bands(_Section):
    blue: Score = 20.0
    yellow: Score = 40.0
    orange: Score = 60.0
    red: Score = 80.0

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        if not 0 < self.blue < self.yellow < self.orange < self.red:
            raise ValueError("band thresholds must increase strictly: 0 < blue < ... < red")
        return self


class FloorsConfig(_Section):
    window_hours: Positive = 24.0
    severe_severity: Score = 80.0
    severe_level: LevelName = Level.ORANGE
    significant_severity: Score = 60.0
    significant_level: LevelName = Level.YELLOW
    breadth_severity: Score = 40.0
    breadth_min_orgs: int = Field(2, ge=1)
    breadth_min_share: Share = 0.25
    breadth_level: LevelName = Level.ORANGE
    breadth_wide_min_orgs: int = Field(3, ge=1)
    breadth_wide_min_share: Share = 0.50
    breadth_wide_level: LevelName = Level.RED

    @model_validator(mode="after")
    def _wide_is_wider(self) -> Self:
        if self.breadth_wide_min_orgs < self.breadth_min_orgs:
            raise ValueError("breadth_wide_min_orgs must be at least breadth_min_orgs")
        if self.breadth_wide_min_share < self.breadth_min_share:
            raise ValueError("breadth_wide_min_share must be at least breadth_min_share")
        return self


class CampaignConfig(_Section):
    min_orgs: int = Field(3, ge=2)
    window_hours: Positive = 72.0
    org_milestones: tuple[int, ...] = (5, 10)
    level: LevelName = Level.YELLOW
    severe_severity: Score = 60.0
    severe_level: LevelName = Level.ORANGE
    wide_min_orgs: int = Field(5, ge=2)
    wide_level: LevelName = Level.RED
    slow_window_days: float = Field(90.0, ge=0, allow_inf_nan=False)
    slow_level: LevelName = Level.YELLOW
    join_min_orgs: int = Field(2, ge=1)
    join_min_share: Share = 0.5
    allow_list: tuple[str, ...] = CAMPAIGN_ALLOW_LIST

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        steps = (self.min_orgs, *self.org_milestones)
        if any(b <= a for a, b in pairwise(steps)):
            raise ValueError("org_milestones must increase strictly and exceed min_orgs")
        if self.wide_min_orgs < self.min_orgs:
            raise ValueError("wide_min_orgs must be at least min_orgs")
        if self.slow_window_days and self.slow_window_days * 24 <= self.window_hours:
            raise ValueError("slow_window_days must be longer than window_hours (or 0: off)")
        return self

    @property
    def widest_hours(self) -> float:
        """How far back sightings matter: the slow window when on, else the fast one."""
        return max(self.window_hours, self.slow_window_days * 24)

    @field_validator("allow_list")
    @classmethod
    def _normalized(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        # Indicator values arrive lower-cased and without a trailing dot: match that form.
        cleaned = tuple(entry.strip().casefold().rstrip(".") for entry in entries)
        if any(not entry for entry in cleaned):
            raise ValueError("allow_list entries must not be blank")
        return cleaned


class HysteresisConfig(_Section):
    margin: float = Field(5.0, ge=0, le=100, allow_inf_nan=False)
    min_hold_minutes: float = Field(60.0, ge=0, allow_inf_nan=False)
    evaluation_interval_seconds: Positive = 60.0


class ExposureConfig(_Section):
    dedup_days: Positive = 7.0
    lookback_days: Positive = 7.0
    min_level: LevelName = Level.BLUE


class VulnerabilityConfig(_Section):
    """A vulnerability warning's level: the worst of its CVEs'."""

    kev: LevelName = Level.ORANGE
    kev_ransomware: LevelName = Level.RED
    # An advisory's aggregate CVSS severity (CSAF `aggregate_severity`, else the worst score's).
    critical: LevelName = Level.ORANGE
    high: LevelName = Level.YELLOW
    medium: LevelName = Level.BLUE
    low: LevelName = Level.BLUE
    none: LevelName = Level.BLUE


class EvidenceConfig(_Section):
    top_incidents: int = Field(5, ge=0, le=100)
    decimals: int = Field(2, ge=0, le=15)


class ScoringConfig(_Section):
    """Root of `config/scoring.toml`; `half_life_hours` is top level for the env override."""

    half_life_hours: Positive = 24.0
    severity: SeverityConfig = SeverityConfig()
    dependency: DependencyConfig = DependencyConfig()
    sector_score: SectorScoreConfig = SectorScoreConfig()
    bands: Bands = Bands()
    floors: FloorsConfig = FloorsConfig()
    campaign: CampaignConfig = CampaignConfig()
    hysteresis: HysteresisConfig = HysteresisConfig()
    exposure: ExposureConfig = ExposureConfig()
    vulnerability: VulnerabilityConfig = VulnerabilityConfig()
    evidence: EvidenceConfig = EvidenceConfig()

    @property
    def half_life_seconds(self) -> float:
        return self.half_life_hours * 3600.0
