"""Campaigns (docs/scoring.md section 4): the indicators of one intrusion set reported by enough
distinct organizations within the fast window, or within the slow one; the announcement
milestones, the floor and the evidence of each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from awareness.scoring.config import ScoringConfig
from awareness.scoring.floors import CAMPAIGN, Floor
from awareness.scoring.indicators import may_form_campaign
from awareness.scoring.levels import Level
from awareness.timestamps import require_aware, time_to_json

DETECTED = "detected"
NEW_SECTOR = "new_sector"
ACCELERATED = "accelerated"
FAST = "fast"
SLOW = "slow"

Indicator = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Sighting:
    """One incident that reported an indicator of the campaign."""

    incident_id: int
    org_id: str
    sector: str
    severity: float
    detected_at: datetime


@dataclass(frozen=True, slots=True)
class Summary:
    """What the slow window shows of some indicators, counted where they are stored (one row
    per organization, however many reported them): the window is long, and a busy indicator's
    reporters are many. `max_severity` and `first_seen` count from each organization's first
    report since it began reporting them, which may lie before the window; they are evidence
    only, since a slow campaign's floor does not depend on severity. `oldest_last_seen` is when
    the first organization leaves the window."""

    org_count: int
    sectors: tuple[str, ...]
    max_severity: float
    first_seen: datetime
    last_seen: datetime
    oldest_last_seen: datetime


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What one window shows of a campaign's indicators: how many organizations, never which,
    so nothing built from it (evidence, titles, floors) can name one."""

    indicators: tuple[Indicator, ...]
    pace: str
    window_hours: float
    org_count: int
    sectors: tuple[str, ...]
    max_severity: float
    first_seen: datetime
    last_seen: datetime


def window_facts(
    indicators: Iterable[Indicator],
    sightings: Iterable[Sighting],
    at: datetime,
    *,
    hours: float,
    pace: str,
) -> CampaignFacts | None:
    """Facts over the sightings whose `detected_at` lies within `hours` before `at` (a few
    minutes after `at` also count: ingest tolerates that clock skew). None if none do."""
    cutoff = require_aware(at, "at") - timedelta(hours=hours)
    inside = [s for s in sightings if s.detected_at > cutoff]
    if not inside:
        return None
    return CampaignFacts(
        indicators=tuple(indicators),
        pace=pace,
        window_hours=hours,
        org_count=len({s.org_id for s in inside}),
        sectors=tuple(sorted({s.sector for s in inside})),
        max_severity=max(s.severity for s in inside),
        first_seen=min(s.detected_at for s in inside),
        last_seen=max(s.detected_at for s in inside),
    )


def summarize(sightings: Iterable[Sighting], at: datetime, *, hours: float) -> Summary | None:
    """The `Summary` of a window from the sightings themselves, as the database counts it."""
    cutoff = at - timedelta(hours=hours)
    last: dict[str, Sighting] = {}
    inside = [s for s in sightings if s.detected_at > cutoff]
    for s in inside:
        if s.org_id not in last or s.detected_at > last[s.org_id].detected_at:
            last[s.org_id] = s
    if not inside:
        return None
    return Summary(
        org_count=len(last),
        sectors=tuple(sorted({s.sector for s in inside})),
        max_severity=max(s.severity for s in inside),
        first_seen=min(s.detected_at for s in inside),
        last_seen=max(s.detected_at for s in inside),
        oldest_last_seen=min(s.detected_at for s in last.values()),
    )


def campaign_facts(
    indicators: Iterable[Indicator],
    sightings: Iterable[Sighting],
    at: datetime,
    *,
    cfg: ScoringConfig,
    slow: Summary | None = None,
    last_fast_at: datetime | None = None,
) -> CampaignFacts | None:
    """The campaign these indicators make at `at`, or None.

    Fast when the fast window holds `min_orgs` organizations among `sightings` (at least those
    of the fast window). Otherwise slow when `slow`, the slow window's summary, does and the
    fast window never saw these indicators together within it (`last_fast_at`: the last time
    a fast campaign of them held): a campaign that was fast simply ends, rather than lingering
    for weeks as a slow one. The indicators must all be ones that may form a campaign."""
    indicators = tuple(indicators)
    sightings = list(sightings)
    rules = cfg.campaign
    if not indicators or not all(may_form_campaign(t, v, cfg=cfg) for t, v in indicators):
        return None
    fast = window_facts(indicators, sightings, at, hours=rules.window_hours, pace=FAST)
    if fast is not None and fast.org_count >= rules.min_orgs:
        return fast
    if not rules.slow_window_days:
        return None
    slow_hours = rules.slow_window_days * 24
    if slow is None:
        slow = summarize(sightings, at, hours=slow_hours)
    if slow is None or slow.org_count < rules.min_orgs:
        return None
    if last_fast_at is not None and at - last_fast_at < timedelta(hours=slow_hours):
        return None
    return CampaignFacts(
        indicators=indicators,
        pace=SLOW,
        window_hours=slow_hours,
        org_count=slow.org_count,
        sectors=slow.sectors,
        max_severity=slow.max_severity,
        first_seen=slow.first_seen,
        last_seen=slow.last_seen,
    )


def facts_until(
    sightings: Iterable[Sighting],
    at: datetime,
    *,
    cfg: ScoringConfig,
    slow: Summary | None = None,
) -> datetime:
    """Until when the facts at `at` hold without a new sighting: the first moment a sighting
    leaves the fast window, or an organization the slow one (`slow`, counted from `sightings`
    when not given)."""
    sightings = list(sightings)
    if slow is None and cfg.campaign.slow_window_days:
        slow = summarize(sightings, at, hours=cfg.campaign.slow_window_days * 24)
    window = timedelta(hours=cfg.campaign.window_hours)
    cutoff = at - window
    moments = [min((s.detected_at for s in sightings if s.detected_at > cutoff), default=None)]
    found = [moment + window for moment in moments if moment is not None]
    if slow is not None and cfg.campaign.slow_window_days:
        found.append(slow.oldest_last_seen + timedelta(days=cfg.campaign.slow_window_days))
    return min(found, default=at)


@dataclass(frozen=True, slots=True)
class Announced:
    """What has been announced for a campaign: the most organizations, every sector, the pace."""

    org_count: int
    sectors: tuple[str, ...]
    pace: str = FAST

    def to_json(self) -> dict[str, Any]:
        return {"org_count": self.org_count, "sectors": list(self.sectors), "pace": self.pace}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Announced:
        return cls(
            int(data["org_count"]),
            tuple(str(s) for s in data["sectors"]),
            str(data.get("pace", FAST)),
        )


@dataclass(frozen=True, slots=True)
class MilestoneCheck:
    """Reasons for a new event (empty: none), the sectors new to it, the state to store."""

    reasons: tuple[str, ...]
    new_sectors: tuple[str, ...]
    announced: Announced | None


def check_milestones(
    announced: Announced | None, facts: CampaignFacts | None, *, cfg: ScoringConfig
) -> MilestoneCheck:
    """Compare what the campaign is now with what was announced. Reasons: `detected` (first
    becoming a campaign), `accelerated` (a slow campaign turned fast), `new_sector`,
    `reached_<m>_orgs` for each milestone crossed; all reasons of one observation go into one
    event. The stored count and sectors only grow, so a count that dips below a milestone and
    comes back is not announced twice. The caller passes None as `announced` for a campaign
    it considers over, so a later comeback is `detected` again."""
    if facts is None:
        return MilestoneCheck((), (), announced)
    previous_count = announced.org_count if announced else 0
    previous_sectors = set(announced.sectors) if announced else set()
    reasons: list[str] = [] if announced else [DETECTED]
    if announced and announced.pace == SLOW and facts.pace == FAST:
        reasons.append(ACCELERATED)
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
        facts.pace,
    )
    return MilestoneCheck(tuple(reasons), new_sectors, state)


def campaign_level(facts: CampaignFacts, *, cfg: ScoringConfig) -> Level:
    """Slow: `slow_level`, never more on its own. Fast: yellow; orange with an incident at
    `severe_severity`; red when also wide."""
    rules = cfg.campaign
    if facts.pace == SLOW:
        return rules.slow_level
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
    """The floor this campaign imposes on `sector`, if it touches it."""
    if facts is None or sector not in facts.sectors:
        return None
    detail = f"campaign: {campaign_title(facts)}"
    evidence = campaign_evidence(facts, cfg=cfg, campaign_id=campaign_id)
    return Floor(CAMPAIGN, campaign_level(facts, cfg=cfg), detail, evidence)


def campaign_title(facts: CampaignFacts) -> str:
    kind, value = facts.indicators[0]
    more = len(facts.indicators) - 1
    named = f"{kind} {value}" + (f" and {more} more indicator{'s' * (more > 1)}" if more else "")
    over = f" over {facts.window_hours / 24:g} days" if facts.pace == SLOW else ""
    return (
        f"{named} reported by {facts.org_count} organizations in {', '.join(facts.sectors)}{over}"
    )


def campaign_evidence(
    facts: CampaignFacts,
    *,
    cfg: ScoringConfig,
    reasons: Iterable[str] = (),
    campaign_id: int | None = None,
) -> dict[str, Any]:
    """Section 9 evidence: the indicators, the organization COUNT and the sectors. Built field
    by field from non-identifying facts (no incident ids either: they lead to their org)."""
    kind, value = facts.indicators[0]
    return {
        "campaign_id": campaign_id,
        "pace": facts.pace,
        "indicator": {"type": kind, "value": value},
        "indicators": [{"type": t, "value": v} for t, v in facts.indicators],
        "organizations": facts.org_count,
        "sectors": list(facts.sectors),
        "max_severity": facts.max_severity,
        "level": campaign_level(facts, cfg=cfg).label,
        "first_seen": time_to_json(facts.first_seen),
        "last_seen": time_to_json(facts.last_seen),
        "window_hours": facts.window_hours,
        "reasons": list(reasons),
    }


def announced_from_json(data: dict[str, Any] | None) -> Announced | None:
    """Stored state may be null for a campaign not yet (or no longer) announced."""
    return None if data is None else Announced.from_json(data)
