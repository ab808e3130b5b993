"""STIX 2.1 objects from the read models: warnings, campaigns, exposure and incidents as plain
dicts with deterministic ids. Pure: no I/O, and nothing but what a view gave this reader (an
indicator value that is not in a view never becomes an object)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from awareness.exchange.ids import stix_id
from awareness.vocabulary import CVE_PATTERN

Obj = dict[str, Any]

# The date_added and created of what every collection shares (markings, the extension, sector
# identities): fixed and early, so they come first and never change version.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# TLP 2.0 as published by OASIS (cti-stix-common-objects, extension-definition-specifications/
# tlp-2.0): the same ids and content everywhere, so peers recognize them.
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_RANK = {tlp: rank for rank, tlp in enumerate(TLP_IDS)}
# The property extension carrying what STIX has no words for (a level none..red, the kind).
WARNING_EXTENSION = stix_id("extension-definition", "awareness-warning", "1")
SCHEMA_PATH = "/docs/stix-warning-extension.json"
# STIX's namespace for the deterministic ids of cyber-observables (STIX 2.1, 2.9).
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

# The service's sectors in STIX's industry-sector-ov, where one fits.
SECTOR_VOCABULARY = {
    "chemical": "chemical",
    "commercial_facilities": "commercial",
    "communications": "telecommunications",
    "critical_manufacturing": "manufacturing",
    "dams": "dams",
    "defense_industrial_base": "defense",
    "energy": "energy",
    "financial_services": "financial-services",
    "food_agriculture": "agriculture",
    "government_facilities": "government",
    "healthcare": "healthcare",
    "information_technology": "technology",
    "nuclear": "nuclear",
    "transportation": "transportation",
    "water": "water",
    # The cn-cii profile's (config/profiles/cn-cii.toml); its public services span several.
    "telecom": "telecommunications",
    "water_conservancy": "water",
    "finance": "financial-services",
    "e_government": "government",
    "defense_industry": "defense",
}
PATTERNS = {
    "ipv4": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "url": "url:value",
    "sha256": "file:hashes.'SHA-256'",
    "sha1": "file:hashes.'SHA-1'",
    "md5": "file:hashes.MD5",
    "email": "email-addr:value",
}
# Incident Core Extension (draft, cti-stix-common-objects incident-core).
INCIDENT_EXTENSION = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
CRITICALITY = {
    "none": 0, "no_impact_to_services": 10, "minimal_non_critical": 25, "minimal_critical": 40,
    "significant_non_critical": 55, "denial_non_critical": 70, "significant_critical": 85,
    "denial_critical": 100,
}  # fmt: skip


def stamp(moment: datetime) -> str:
    """A STIX and TAXII timestamp: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: Any, fallback: datetime) -> datetime:
    if not isinstance(text, str):
        return fallback
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return fallback
    return moment.astimezone(UTC) if moment.tzinfo else fallback


def stricter(*tlps: str) -> str:
    return max(tlps, key=lambda tlp: TLP_RANK.get(tlp, TLP_RANK["red"]))


def marked(tlp: str | None) -> list[str]:
    return [TLP_IDS.get(tlp or "amber", TLP_IDS["amber"])]


def tlp_markings() -> list[Obj]:
    return [
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking_id,
            "created": "2022-10-01T00:00:00.000Z",
            "name": f"TLP:{tlp.upper()}",
            "extensions": {TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp}},
        }
        for tlp, marking_id in TLP_IDS.items()
    ]


def warning_extension(public_url: str) -> Obj:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": WARNING_EXTENSION,
        "created_by_ref": service_identity_id(),
        "created": stamp(EPOCH),
        "modified": stamp(EPOCH),
        "name": "awareness warning",
        "description": "What an awareness early warning says that STIX has no words for: its "
        "level (none, blue, yellow, orange, red), kind, sectors, response state, id and seq.",
        "schema": public_url.rstrip("/") + SCHEMA_PATH,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
        "object_marking_refs": marked("clear"),
    }


def warning_extension_schema() -> dict[str, Any]:
    """The JSON schema the extension definition points to."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "awareness warning (STIX 2.1 property extension)",
        "type": "object",
        "required": ["extension_type", "level", "kind", "sector", "warning_id", "seq"],
        "properties": {
            "extension_type": {"const": "property-extension"},
            "level": {"enum": ["none", "blue", "yellow", "orange", "red"]},
            "kind": {"type": "string", "description": "sector_level, campaign, exposure, ..."},
            "sector": {"type": "string"},
            "sectors": {"type": "array", "items": {"type": "string"}},
            "state": {"enum": ["new", "acknowledged", "responding", "resolved"]},
            "warning_id": {"type": "integer"},
            "seq": {"type": "integer"},
        },
    }


def service_identity_id() -> str:
    return stix_id("identity", "service", "awareness")


def service_identity() -> Obj:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": service_identity_id(),
        "created": stamp(EPOCH),
        "modified": stamp(EPOCH),
        "name": "awareness",
        "identity_class": "system",
        "object_marking_refs": marked("clear"),
    }


def sector_id(sector: str) -> str:
    return stix_id("identity", "sector", sector)


def sector_identity(sector: str) -> Obj:
    found: Obj = {
        "type": "identity",
        "spec_version": "2.1",
        "id": sector_id(sector),
        "created": stamp(EPOCH),
        "modified": stamp(EPOCH),
        "name": f"{sector.replace('_', ' ')} sector",
        "identity_class": "class",
        "object_marking_refs": marked("clear"),
    }
    if sector in SECTOR_VOCABULARY:
        found["sectors"] = [SECTOR_VOCABULARY[sector]]
    return found


def shared_objects(sectors: Iterable[str], *, public_url: str) -> list[Obj]:
    """What every collection starts with."""
    return [
        *tlp_markings(),
        service_identity(),
        warning_extension(public_url),
        *(sector_identity(sector) for sector in sorted(sectors)),
    ]


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def indicator_id(kind: str, value: str, *scope: str) -> str:
    return stix_id("vulnerability" if kind == "cve" else "indicator", *scope, kind, value)


def indicator_object(
    kind: str, value: str, *, tlp: str, created: datetime, modified: datetime, scope: Sequence[str]
) -> Obj | None:
    """An indicator with its STIX pattern, or a CVE as a `vulnerability`; None for a type STIX
    cannot express (or a CVE that is not one)."""
    base: Obj = {
        "spec_version": "2.1",
        "id": indicator_id(kind, value, *scope),
        "created": stamp(created),
        "modified": stamp(max(created, modified)),
        "object_marking_refs": marked(tlp),
    }
    if kind == "cve":
        if not CVE_PATTERN.match(value):
            return None
        reference = {"source_name": "cve", "external_id": value}
        return {"type": "vulnerability", **base, "name": value, "external_references": [reference]}
    path = PATTERNS.get(kind)
    if path is None:
        return None
    return {
        "type": "indicator",
        **base,
        "name": f"{kind} {value}",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[{path} = {_quoted(value)}]",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": stamp(created),
    }


def relationship(
    kind: str, source: str, target: str, *, tlp: str, created: datetime, modified: datetime
) -> Obj:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": stix_id("relationship", kind, source, target),
        "created": stamp(created),
        "modified": stamp(max(created, modified)),
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
        "object_marking_refs": marked(tlp),
    }


def visible_indicators(warning: Any) -> list[tuple[str, str, str]]:
    """(type, value, tlp) of each indicator the view shows this reader."""
    found = []
    for item in warning.indicators or ():
        tlp = getattr(item, "tlp", None) or warning.tlp
        found.append((item.type, item.value, tlp))
    return found


def campaign_objects(warning: Any) -> list[Obj]:
    """A campaign warning as a version of its campaign (modified: the warning's time), its
    visible indicators and what ties them: `indicates` (indicator to campaign), `targets`
    (campaign to vulnerability)."""
    at: datetime = warning.created_at
    evidence: Mapping[str, Any] = warning.evidence or {}
    created = min(parse_time(evidence.get("first_seen"), at), at)
    shown = visible_indicators(warning)
    campaign_tlp: str = warning.tlp
    campaign_ref = stix_id("campaign", str(warning.campaign_id))
    name = f"{shown[0][0]} {shown[0][1]}" if shown else f"Campaign {warning.campaign_id}"
    campaign: Obj = {
        "type": "campaign",
        "spec_version": "2.1",
        "id": campaign_ref,
        "created": stamp(created),
        "modified": stamp(at),
        "name": name,
        "description": _campaign_description(warning, evidence),
        "first_seen": stamp(created),
        "last_seen": stamp(max(created, parse_time(evidence.get("last_seen"), at))),
        "object_marking_refs": marked(campaign_tlp),
    }
    found = [campaign]
    for kind, value, tlp in shown:
        indicator = indicator_object(kind, value, tlp=tlp, created=created, modified=at, scope=())
        if indicator is None:
            continue
        found.append(indicator)
        if indicator["type"] == "vulnerability":
            link = ("targets", campaign_ref, indicator["id"])
        else:
            link = ("indicates", indicator["id"], campaign_ref)
        found.append(
            relationship(*link, tlp=stricter(tlp, campaign_tlp), created=created, modified=at)
        )
    return found


def _campaign_description(warning: Any, evidence: Mapping[str, Any]) -> str:
    organizations = evidence.get("organizations")
    sectors = ", ".join(warning.sectors)
    pace = warning.pace or evidence.get("pace") or "fast"
    return f"{pace} campaign reported by {organizations} organizations in {sectors}"


def warning_report(warning: Any, refs: Sequence[str]) -> Obj:
    at = stamp(warning.created_at)
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": stix_id("report", "warning", str(warning.id)),
        "created_by_ref": service_identity_id(),
        "created": at,
        "modified": at,
        "published": at,
        "name": warning.title,
        "report_types": ["threat-report"],
        "object_refs": list(dict.fromkeys(refs)),
        "object_marking_refs": marked(warning.tlp),
        "extensions": {
            WARNING_EXTENSION: {
                "extension_type": "property-extension",
                "level": warning.level,
                "kind": warning.kind,
                "sector": warning.sector,
                "sectors": list(warning.sectors),
                "state": warning.state,
                "warning_id": warning.id,
                "seq": warning.seq,
            }
        },
    }


def warning_objects(warning: Any) -> list[Obj]:
    """The `warnings` collection's objects of one warning: its report, then for a campaign
    warning the campaign's objects the report refers to."""
    related: list[Obj] = []
    if warning.kind == "campaign":
        related = campaign_objects(warning)
    elif warning.kind == "vulnerability":
        related = vulnerability_objects(warning)
    refs = [sector_id(s) for s in warning.sectors] + [o["id"] for o in related]
    return [warning_report(warning, refs), *related]


def vulnerability_objects(warning: Any) -> list[Obj]:
    """A vulnerability warning's CVEs, which its report refers to (the KEV and advisory details
    stay in the report's description and extension)."""
    found = []
    for item in (warning.evidence or {}).get("vulnerabilities") or ():
        obj = indicator_object(
            "cve", str(item.get("cve")), tlp=warning.tlp, created=EPOCH,
            modified=warning.created_at, scope=(),
        )  # fmt: skip
        if obj is not None:
            found.append(obj)
    return found


def sighting_objects(warning: Any) -> list[Obj]:
    """One sighting per visible campaign indicator: where (sector classes, never
    organizations), how many organizations, when."""
    at: datetime = warning.created_at
    evidence: Mapping[str, Any] = warning.evidence or {}
    first = min(parse_time(evidence.get("first_seen"), at), at)
    last = max(first, parse_time(evidence.get("last_seen"), at))
    count = evidence.get("organizations")
    where = [sector_id(s) for s in evidence.get("sectors") or warning.sectors]
    found = []
    for kind, value, tlp in visible_indicators(warning):
        if kind != "cve" and kind not in PATTERNS:
            continue
        sighting: Obj = {
            "type": "sighting",
            "spec_version": "2.1",
            "id": stix_id("sighting", str(warning.campaign_id), kind, value),
            "created": stamp(first),
            "modified": stamp(at),
            "first_seen": stamp(first),
            "last_seen": stamp(last),
            "sighting_of_ref": indicator_id(kind, value),
            "where_sighted_refs": where,
            "object_marking_refs": marked(tlp),
        }
        if isinstance(count, int) and 0 <= count <= 999_999_999:
            sighting["count"] = count
        found.append(sighting)
    return found


_CPE_PART = re.compile(r"^[a-z0-9_.\-]+$")


def _cpe(vendor: str, product: str) -> str | None:
    parts = ["_".join(text.lower().split()) for text in (vendor, product)]
    if not all(_CPE_PART.match(part) for part in parts):
        return None
    return f"cpe:2.3:a:{parts[0]}:{parts[1]}:*:*:*:*:*:*:*:*"


def software_object(vendor: str, product: str, *, tlp: str) -> Obj:
    contributing: Obj = {"name": product, "vendor": vendor}
    cpe = _cpe(vendor, product)
    if cpe:
        contributing["cpe"] = cpe
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {
        "type": "software",
        "spec_version": "2.1",
        "id": f"software--{uuid.uuid5(SCO_NAMESPACE, canonical)}",
        **contributing,
        "object_marking_refs": marked(tlp),
    }


def exposure_key(warning: Any) -> tuple[str, str] | None:
    """What an exposure warning matched on, unless the reader may not see it."""
    evidence: Mapping[str, Any] = warning.evidence or {}
    if getattr(warning, "withheld", None):
        return None
    matched_on, key = evidence.get("matched_on"), evidence.get("key")
    if not isinstance(matched_on, str) or not isinstance(key, str):
        return None
    return matched_on, key


def exposure_objects(warning: Any) -> list[Obj]:
    """An exposure warning's vulnerability (a CVE) and software (vendor and product), and the
    software `has` the vulnerability when both are known. Withheld items never appear."""
    matched = exposure_key(warning)
    if matched is None:
        return []
    evidence: Mapping[str, Any] = warning.evidence
    at: datetime = warning.created_at
    tlp: str = warning.tlp
    found: list[Obj] = []
    if matched[0] == "cve":
        vulnerability = indicator_object(
            "cve", matched[1], tlp=tlp, created=EPOCH, modified=at, scope=()
        )
        if vulnerability is not None:
            found.append(vulnerability)
    vendor, product = evidence.get("vendor"), evidence.get("product")
    if isinstance(vendor, str) and isinstance(product, str) and vendor and product:
        software = software_object(vendor, product, tlp=tlp)
        found.append(software)
        if found[0]["type"] == "vulnerability":
            found.append(
                relationship(
                    "has", software["id"], found[0]["id"], tlp=tlp, created=EPOCH, modified=at
                )
            )
    return found


def organization_id(org_id: str) -> str:
    return stix_id("identity", "organization", org_id)


def organization_identity(
    org_id: str, name: str, sector: str, *, created: datetime, tlp: str
) -> Obj:
    found: Obj = {
        "type": "identity",
        "spec_version": "2.1",
        "id": organization_id(org_id),
        "created": stamp(created),
        "modified": stamp(created),
        "name": name,
        "identity_class": "organization",
        "object_marking_refs": marked(tlp),
    }
    if sector in SECTOR_VOCABULARY:
        found["sectors"] = [SECTOR_VOCABULARY[sector]]
    return found


def incident_objects(incident: Any) -> list[Obj]:
    """An incident report as an `incident` with the Incident Core Extension, and its visible
    indicators (ids of this incident's own), each `related-to` it."""
    at: datetime = incident.received_at
    tlp: str = incident.tlp
    incident_ref = stix_id("incident", str(incident.id))
    core: Obj = {
        "extension_type": "property-extension",
        "determination": "confirmed",
        "investigation_status": "open",
        "criticality": CRITICALITY.get(incident.functional_impact, 50),
        "recoverability": incident.recoverability.replace("_", "-"),
    }
    found: Obj = {
        "type": "incident",
        "spec_version": "2.1",
        "id": incident_ref,
        "created_by_ref": organization_id(incident.org_id),
        "created": stamp(at),
        "modified": stamp(at),
        "name": incident.reference or f"Incident {incident.id}",
        "labels": [incident.category],
        "object_marking_refs": marked(tlp),
        "extensions": {INCIDENT_EXTENSION: core},
    }
    if incident.summary:
        found["description"] = incident.summary
    objects = [found]
    for item in incident.indicators or ():
        indicator = indicator_object(
            item.type, item.value, tlp=tlp, created=at, modified=at,
            scope=("incident", str(incident.id)),
        )  # fmt: skip
        if indicator is None:
            continue
        objects.append(indicator)
        objects.append(
            relationship("related-to", indicator["id"], incident_ref, tlp=tlp, created=at,
                         modified=at)
        )  # fmt: skip
    return objects


def version_of(obj: Mapping[str, Any], date_added: str) -> str:
    """An object's version for TAXII: `modified`, else `created`, else when it was added."""
    return str(obj.get("modified") or obj.get("created") or date_added)
