"""The words of the contract, once: report answers, indicator types, levels, warning kinds and
event types. Pure (no I/O, nothing of the service): ingest validates against these, scoring
values them, read models type their output with them, and the board reads them from
`GET /v1/vocabulary`."""

from __future__ import annotations

import re
from typing import Literal, get_args

Category = Literal[
    "malware", "ransomware", "intrusion", "ddos", "phishing", "data_breach", "insider",
    "supply_chain", "equipment_failure", "other",
]  # fmt: skip
FunctionalImpact = Literal[
    "none", "no_impact_to_services", "minimal_non_critical", "minimal_critical",
    "significant_non_critical", "denial_non_critical", "significant_critical", "denial_critical",
]  # fmt: skip
InformationImpact = Literal[
    "none", "suspected", "privacy_breach", "proprietary_breach", "destruction_non_critical",
    "critical_data_breach", "credential_compromise", "destruction_critical",
]  # fmt: skip
Recoverability = Literal["regular", "supplemented", "extended", "not_recoverable"]
Location = Literal[
    "business_dmz", "business_network", "business_network_management", "critical_system_dmz",
    "critical_system_management", "critical_systems", "safety_systems", "unknown",
]  # fmt: skip
Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]
IndicatorType = Literal["ipv4", "ipv6", "domain", "url", "sha256", "sha1", "md5", "email", "cve"]
AssetKind = Literal[
    "plc", "rtu", "hmi", "scada_server", "historian", "engineering_workstation",
    "safety_controller", "network_device", "server", "workstation", "iot", "other",
]  # fmt: skip
Criticality = Literal["low", "medium", "high", "critical"]
# Lowest first: the order of severity, which `scoring.levels.Level` numbers.
LevelName = Literal["none", "blue", "yellow", "orange", "red"]
WarningKind = Literal["sector_level", "campaign", "exposure", "dependency", "vulnerability"]
# A campaign's pace: seen within the fast window, or only within the slow one.
Pace = Literal["fast", "slow"]
# What an event of the log is: a level change, a warning, an acknowledgement of one, or another
# step of its response (assigned, resolved, a note, an escalation).
EventType = Literal["sector_level", "warning", "ack", "response"]
# Where the response to a warning stands, and what can be done about one.
WarningState = Literal["new", "acknowledged", "responding", "resolved"]
ResponseAction = Literal["acknowledged", "assigned", "resolved", "note", "escalated"]
# Where a subscription delivers, and whether at once or gathered into a periodic digest.
Channel = Literal["webhook", "pagerduty", "slack", "email"]
DeliveryMode = Literal["immediate", "digest"]

CATEGORIES: tuple[str, ...] = get_args(Category)
FUNCTIONAL_IMPACTS: tuple[str, ...] = get_args(FunctionalImpact)
INFORMATION_IMPACTS: tuple[str, ...] = get_args(InformationImpact)
RECOVERABILITIES: tuple[str, ...] = get_args(Recoverability)
LOCATIONS: tuple[str, ...] = get_args(Location)
TLPS: tuple[str, ...] = get_args(Tlp)
INDICATOR_TYPES: tuple[str, ...] = get_args(IndicatorType)
ASSET_KINDS: tuple[str, ...] = get_args(AssetKind)
CRITICALITIES: tuple[str, ...] = get_args(Criticality)
LEVELS: tuple[str, ...] = get_args(LevelName)
WARNING_KINDS: tuple[str, ...] = get_args(WarningKind)
PACES: tuple[str, ...] = get_args(Pace)
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
CHANNELS: tuple[str, ...] = get_args(Channel)

# An incident's asset criticality is its most critical affected asset's.
CRITICALITY_ORDER: dict[str, int] = {name: rank for rank, name in enumerate(CRITICALITIES)}

# CVE-YEAR-SEQUENCE: the sequence has at least four digits (CVE's own syntax since 2014) and, in
# practice, at most seven.
CVE_PATTERN = re.compile(r"^CVE-\d{4}-\d{4,7}$")
