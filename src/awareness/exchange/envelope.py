"""A TAXII envelope's STIX 2.1 objects read as incident reports, without storing anything: each
object on its own (its id, version and indicators, or why it is refused), then the groups of
linked objects that make one report each, then each report's fields as `POST /v1/incidents`
takes them. The mapping is described in `exchange/inbox.py`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from awareness.exchange.patterns import (
    OBSERVABLE_TYPES,
    Unsupported,
    observable_indicators,
    pattern_indicators,
)
from awareness.ingest.indicators import normalize_cve
from awareness.ingest.schemas import Indicator
from awareness.timestamps import time_to_json

INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
REPORTED = ("incident", "indicator", "sighting", "vulnerability", "observed-data")
# What MISP (misp-stix) wraps an event's objects in: they report together.
CONTAINERS = ("report", "grouping")
# TLP 2.0's marking definitions, and TLP 1.0's (white is clear).
TLP_MARKINGS = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
_TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")
_CATEGORY_WORDS = {
    "ransomware": "ransomware",
    **dict.fromkeys(("malware", "malicious-code", "worm", "virus", "trojan"), "malware"),
    **dict.fromkeys(("ddos", "dos", "denial-of-service"), "ddos"),
    **dict.fromkeys(("phishing", "spear-phishing", "spearphishing"), "phishing"),
    **dict.fromkeys(
        ("intrusion", "compromised-system", "unauthorized-access", "account-compromise"),
        "intrusion",
    ),
    **dict.fromkeys(("data-breach", "data-exfiltration", "data-leak", "data-theft"), "data_breach"),
    **dict.fromkeys(("insider", "insider-threat"), "insider"),
    **dict.fromkeys(("supply-chain", "supply-chain-compromise"), "supply_chain"),
    "equipment-failure": "equipment_failure",
}
_ENUMERATED = ("category", "functional_impact", "information_impact", "recoverability", "location")


@dataclass
class Entry:
    """One object of the envelope, as read."""

    id: str
    version: str  # as given, for the status
    key: str  # the canonical version, for storage ("" when it has none)
    type: str
    raw: dict[str, Any]
    indicators: list[tuple[str, str]] = field(default_factory=list)
    refused: str | None = None
    accepted: str | None = None  # success without storing (a TLP marking definition)


@dataclass
class Group:
    """Objects that make one report: an incident and what is linked to it, or objects linked
    to no incident and to each other."""

    members: list[Entry]
    links: list[Entry] = field(default_factory=list)

    @property
    def incident(self) -> Entry | None:
        first = self.members[0]
        return first if first.type == "incident" else None

    @property
    def entries(self) -> list[Entry]:
        return [*self.members, *self.links]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _checked(found: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each pair validated and normalized as a report's indicator is; `Unsupported` naming the
    first invalid one."""
    checked: list[tuple[str, str]] = []
    for kind, value in found:
        try:
            indicator = Indicator.model_validate({"type": kind, "value": value})
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise Unsupported(f"{kind} {value!r}: {reason}") from None
        checked.append((indicator.type, indicator.value))
    return checked


def _cves(raw: dict[str, Any]) -> list[tuple[str, str]]:
    references = raw.get("external_references")
    found = [
        ("cve", str(ref.get("external_id", "")))
        for ref in (references if isinstance(references, list) else ())
        if isinstance(ref, dict) and str(ref.get("source_name", "")).lower() == "cve"
    ]
    if not found and isinstance(raw.get("name"), str):
        with suppress(ValueError):
            found = [("cve", normalize_cve(raw["name"]))]
    if not found:
        raise Unsupported("no CVE: name it in external_references with source_name 'cve'")
    return found


def _read(raw: Any) -> Entry:
    """An envelope's object as an entry: its id, version and own indicators, or why it is
    refused."""
    if not isinstance(raw, dict):
        return Entry("", "", "", "", {}, refused="not a STIX object (a JSON object)")
    kind, oid = raw.get("type"), raw.get("id")
    kind = kind if isinstance(kind, str) else ""
    oid = oid if isinstance(oid, str) else ""
    given = raw.get("modified", raw.get("created"))
    version = given if isinstance(given, str) else ""
    entry = Entry(oid, version, "", kind, raw)
    try:
        uuid.UUID(oid.removeprefix(f"{kind}--"))
        well_formed = bool(kind) and oid.startswith(f"{kind}--")
    except ValueError:
        well_formed = False
    if not well_formed:
        entry.refused = "id must be the object's type, '--' and a UUID"
    elif raw.get("spec_version", "2.1") != "2.1":
        entry.refused = f"spec_version {raw.get('spec_version')!r}: only STIX 2.1 is read"
    elif kind not in OBSERVABLE_TYPES and _time(version) is None:
        entry.refused = "modified (or created) must be an RFC 3339 time: it is the version"
    if entry.refused is not None:
        return entry
    moment = _time(version)
    entry.key = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment is not None else ""
    try:
        entry.indicators = _checked(_own_indicators(entry))
    except Unsupported as exc:
        entry.refused = str(exc)
    return entry


def _own_indicators(entry: Entry) -> list[tuple[str, str]]:
    raw, kind = entry.raw, entry.type
    if kind == "indicator":
        if raw.get("pattern_type", "stix") != "stix":
            raise Unsupported(f"pattern_type {raw.get('pattern_type')!r}: only stix is read")
        pattern = raw.get("pattern")
        if not isinstance(pattern, str):
            raise Unsupported("an indicator needs a pattern")
        return pattern_indicators(pattern)
    if kind == "vulnerability":
        return _cves(raw)
    if kind in OBSERVABLE_TYPES:
        return observable_indicators(raw)
    if kind == "observed-data":
        embedded = raw.get("objects")
        found: list[tuple[str, str]] = []
        for sco in embedded.values() if isinstance(embedded, dict) else ():
            if isinstance(sco, dict) and sco.get("type") in OBSERVABLE_TYPES:
                found += observable_indicators(sco)
        return found
    if kind == "marking-definition":
        if entry.id not in TLP_MARKINGS:
            raise Unsupported("only the TLP marking definitions are read")
        entry.accepted = "a TLP marking definition: it marks the objects naming it"
        return []
    if kind in CONTAINERS:
        entry.accepted = "a container: the objects it refers to make one report together"
        return []
    if kind not in (*REPORTED, "relationship"):
        mapped = ", ".join((*REPORTED, "relationship", *OBSERVABLE_TYPES))
        raise Unsupported(f"type {kind!r} is not mapped to incident reports (mapped: {mapped})")
    return []


def read_envelope(objects: Sequence[Any]) -> list[Entry]:
    """Every object read on its own; the same id and version twice is refused the second
    time."""
    entries = [_read(raw) for raw in objects]
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.refused is None:
            if (entry.id, entry.key) in seen:
                entry.refused = "the same id and version appears earlier in this envelope"
            seen.add((entry.id, entry.key))
    return entries


def _refs(raw: dict[str, Any], *names: str) -> list[str]:
    found: list[str] = []
    for name in names:
        value = raw.get(name)
        found += [value] if isinstance(value, str) else []
        found += [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    return found


def group_entries(entries: Sequence[Entry]) -> list[Group]:
    """The reports the envelope makes: each incident with what is linked to it (not through
    another incident), then each group of other objects linked together."""
    live = [e for e in entries if e.refused is None and e.accepted is None]
    observables = {e.id for e in live if e.type in OBSERVABLE_TYPES}
    for entry in live:
        refs = set(_refs(entry.raw, "object_refs"))
        if entry.type == "observed-data" and not entry.indicators and not refs & observables:
            entry.refused = "it observes nothing this service reads in this envelope"
    nodes = {e.id: e for e in live if e.refused is None and e.type != "relationship"}
    adjacent: dict[str, set[str]] = defaultdict(set)
    for entry in nodes.values():
        for ref in _refs(entry.raw, "sighting_of_ref", "observed_data_refs", "object_refs"):
            if ref in nodes and entry.type in ("sighting", "observed-data"):
                adjacent[entry.id].add(ref)
                adjacent[ref].add(entry.id)
    for container in entries:
        if container.type in CONTAINERS and container.refused is None:
            held = [ref for ref in _refs(container.raw, "object_refs") if ref in nodes]
            marked = _refs(container.raw, "object_marking_refs")
            for ref in held:
                # Its members are shared as it is, unless marked otherwise.
                if marked and not _refs(nodes[ref].raw, "object_marking_refs"):
                    nodes[ref].raw = nodes[ref].raw | {"object_marking_refs": marked}
            for other in held[1:]:
                adjacent[held[0]].add(other)
                adjacent[other].add(held[0])
    relationships = [e for e in live if e.type == "relationship"]
    for entry in relationships:
        ends = _refs(entry.raw, "source_ref", "target_ref")
        missing = [ref for ref in ends if ref not in nodes]
        if len(ends) != 2 or missing:
            entry.refused = (
                f"it links {missing[0] if missing else 'nothing'}, which is not an object of "
                "this envelope mapped to a report (see its own entry)"
            )
            continue
        adjacent[ends[0]].add(ends[1])
        adjacent[ends[1]].add(ends[0])

    groups: list[Group] = []
    claimed: set[str] = set()
    incidents = [e for e in nodes.values() if e.type == "incident"]
    for start in incidents:
        groups.append(Group(_reach(start.id, nodes, adjacent)))
        claimed |= {m.id for m in groups[-1].members}
    for entry in nodes.values():
        if entry.id not in claimed and entry.type != "incident":
            members = _reach(entry.id, nodes, adjacent)
            groups.append(Group(members))
            claimed |= {m.id for m in members}
    for entry in relationships:
        if entry.refused is None:
            linked = set(_refs(entry.raw, "source_ref", "target_ref"))
            within = [g for g in groups if linked <= {m.id for m in g.members}]
            for group in within:
                group.links.append(entry)
            if not within:
                entry.refused = "it links two incidents: each is a report of its own"
    return groups


def _reach(start: str, nodes: dict[str, Entry], adjacent: dict[str, set[str]]) -> list[Entry]:
    """`start` and every node linked to it, not through an incident."""
    members, seen, queue = [nodes[start]], {start}, [start]
    while queue:
        for ref in sorted(adjacent[queue.pop()]):
            if ref in seen or nodes[ref].type == "incident":
                continue
            seen.add(ref)
            members.append(nodes[ref])
            queue.append(ref)
    return members


def _tlp(entries: Iterable[Entry]) -> str:
    """The most restrictive TLP among the objects' markings; amber when none is marked."""
    found = {
        TLP_MARKINGS[ref]
        for entry in entries
        for ref in _refs(entry.raw, "object_marking_refs")
        if ref in TLP_MARKINGS
    }
    return max(found, key=_TLP_ORDER.index) if found else "amber"


def _word(value: Any) -> str:
    return str(value).strip().lower().replace("_", "-").replace(" ", "-")


def _category(raw: dict[str, Any], extension: dict[str, Any]) -> str:
    words = [
        *_refs(extension, "incident_types"),
        *_refs(raw, "incident_type", "incident_types", "labels"),
    ]
    for word in words:
        if (category := _CATEGORY_WORDS.get(_word(word))) is not None:
            return category
    return "other"


def _summary(entries: Iterable[Entry]) -> str | None:
    parts = [
        text
        for entry in entries
        for text in (entry.raw.get("name"), entry.raw.get("description"))
        if isinstance(text, str) and text.strip()
    ]
    return "\n\n".join(dict.fromkeys(parts))[:10_000] or None


def _detected(entry: Entry) -> datetime | None:
    raw = entry.raw
    return (
        _time(raw.get("first_seen"))
        or _time(raw.get("first_observed"))
        or _time(raw.get("created"))
    )


def report_fields(group: Group, *, now: datetime) -> dict[str, Any] | None:
    """The group's report as `POST /v1/incidents` takes it, JSON-ready (the same validation
    reads it); None when it has no incident and no indicator to report. Objects that carry no
    time at all (observables) were detected `now`, when they arrived."""
    indicators = list(dict.fromkeys(pair for m in group.members for pair in m.indicators))
    incident = group.incident
    if incident is None and not indicators:
        return None
    fields: dict[str, Any] = {
        "category": "other",
        "functional_impact": "none",
        "indicators": [{"type": kind, "value": value} for kind, value in indicators],
        "summary": _summary([incident] if incident is not None else group.members),
        "tlp": _tlp(group.entries),
        "reference": group.members[0].id,
    }
    if incident is None:
        times = [t for t in map(_detected, group.members) if t is not None]
        fields["detected_at"] = time_to_json(min(times, default=now))
        return fields
    raw = incident.raw
    extensions = raw.get("extensions")
    extension = extensions.get(INCIDENT_CORE) if isinstance(extensions, dict) else None
    extension = extension if isinstance(extension, dict) else {}
    fields["category"] = _category(raw, extension)
    fields["detected_at"] = raw.get("first_seen", raw.get("created"))
    for name in ("detected_at", "occurred_at", *_ENUMERATED):
        for source, key in ((extension, name), (raw, f"x_awareness_{name}")):
            if key in source:
                value = source[key]
                fields[name] = _word(value).replace("-", "_") if name in _ENUMERATED else value
                break
    return fields
