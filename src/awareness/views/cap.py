"""Warnings as CAP 1.2 alerts (OASIS Common Alerting Protocol), for alerting systems that speak
it, and an Atom feed of them. Pure: a warning as its reader may see it, and the last step of
its response, in; XML out. A warning is first an `Alert`; acknowledged, assigned or escalated
it is an `Update`, resolved a `Cancel`, each referring to the first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"

# The level as CAP's severity and urgency (CAP 1.2 section 3.2.2).
SEVERITY = {"red": "Extreme", "orange": "Severe", "yellow": "Moderate", "blue": "Minor"}
URGENCY = {"red": "Immediate", "orange": "Immediate", "yellow": "Expected", "blue": "Future"}
# How sure the service is of what a kind of warning says.
CERTAINTY = {
    "sector_level": "Observed",
    "campaign": "Observed",
    "exposure": "Likely",
    "dependency": "Possible",
    "vulnerability": "Likely",
}
# Inside an Atom feed, each namespace's elements carry these prefixes.
ET.register_namespace("cap", CAP_NS)
ET.register_namespace("atom", ATOM_NS)

KIND_EVENT = {
    "sector_level": "Sector cyber threat level",
    "campaign": "Cyber attack campaign across organizations",
    "exposure": "Exposure to an exploited product",
    "dependency": "Impact expected from a sector it depends on",
    "vulnerability": "Known exploited vulnerability in an asset",
}


@dataclass(frozen=True, slots=True)
class Step:
    """The last step of a warning's response that changes its alert (not a note)."""

    seq: int
    at: datetime
    action: str


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: seconds, and an offset, never `Z` nor fractions (section 3.3.2)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def identifier(warning_id: int, step: Step | None = None) -> str:
    base = f"awareness-warning-{warning_id}"
    return base if step is None else f"{base}-{step.seq}"


def alert(
    warning: dict[str, Any], step: Step | None, *, sender: str, public_url: str
) -> ET.Element:
    """The warning (as `GET /v1/warnings` gives it to the reader) as one CAP alert."""
    raised = _parse(warning["created_at"])
    root = ET.Element(f"{{{CAP_NS}}}alert")

    def add(parent: ET.Element, name: str, text: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
        element.text = text
        return element

    add(root, "identifier", identifier(warning["id"], step))
    add(root, "sender", sender)
    add(root, "sent", cap_time(step.at if step is not None else raised))
    add(root, "status", "Actual")
    msg_type = "Alert" if step is None else ("Cancel" if step.action == "resolved" else "Update")
    add(root, "msgType", msg_type)
    add(root, "scope", "Restricted")
    add(
        root,
        "restriction",
        "For the awareness keys this warning is addressed to; do not pass on beyond them.",
    )
    if step is not None:
        add(root, "references", f"{sender},{identifier(warning['id'])},{cap_time(raised)}")
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    add(info, "language", "en-US")
    add(info, "category", "Infra" if warning["kind"] == "dependency" else "Security")
    add(info, "event", KIND_EVENT.get(warning["kind"], "Cyber security warning"))
    add(info, "responseType", "AllClear" if msg_type == "Cancel" else "Monitor")
    level = warning["level"]
    add(info, "urgency", "Past" if msg_type == "Cancel" else URGENCY.get(level, "Unknown"))
    add(info, "severity", SEVERITY.get(level, "Unknown"))
    add(info, "certainty", CERTAINTY.get(warning["kind"], "Unknown"))
    add(info, "senderName", "awareness")
    add(info, "headline", warning["title"][:160])
    state = warning.get("state", "new")
    lines = [
        warning["title"],
        f"Level {level} in {', '.join(warning['sectors'])}; state {state}"
        + (f", assigned to {warning['assignee']}" if warning.get("assignee") else "")
        + (f", escalated to tier {warning['escalated_tier']}"
           if warning.get("escalated_tier", 1) > 1 else "")
        + ".",
    ]  # fmt: skip
    lines += [f"Withheld: {item['reason']}." for item in warning.get("withheld") or ()]
    add(info, "description", "\n".join(lines))
    add(info, "web", f"{public_url.rstrip('/')}/#warning-{warning['id']}")
    for name, value in (
        ("awareness:level", level),
        ("awareness:kind", warning["kind"]),
        ("awareness:state", state),
        ("awareness:seq", str(warning["seq"])),
        # How the reader may share it (TLP 2.0): the most restrictive of what it shows.
        ("TLP", f"TLP:{str(warning.get('tlp') or 'green').upper()}"),
    ):
        parameter = ET.SubElement(info, f"{{{CAP_NS}}}parameter")
        add(parameter, "valueName", name)
        add(parameter, "value", value)
    for sector in warning["sectors"]:
        area = ET.SubElement(info, f"{{{CAP_NS}}}area")
        add(area, "areaDesc", f"{sector} sector")
    return root


def document(element: ET.Element) -> bytes:
    text: bytes = ET.tostring(
        element, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS
    )
    return text


def atom(
    alerts: Iterable[tuple[dict[str, Any], Step | None]],
    *,
    sender: str,
    public_url: str,
    self_url: str,
    updated: datetime,
) -> bytes:
    """An Atom feed whose entries carry the CAP alerts (newest first as given)."""
    feed = ET.Element(f"{{{ATOM_NS}}}feed")

    def add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs)
        element.text = text
        return element

    add(feed, "id", f"{public_url.rstrip('/')}/v1/warnings.atom")
    add(feed, "title", "awareness warnings (CAP 1.2)")
    add(feed, "updated", cap_time(updated))
    add(feed, "link", rel="self", href=self_url, type=ATOM_MEDIA_TYPE)
    author = add(feed, "author")
    add(author, "name", "awareness")
    for warning, step in alerts:
        entry = add(feed, "entry")
        add(entry, "id", f"urn:awareness:{identifier(warning['id'], step)}")
        add(entry, "title", warning["title"])
        changed = step.at if step is not None else _parse(warning["created_at"])
        add(entry, "updated", cap_time(changed))
        add(
            entry,
            "link",
            rel="alternate",
            type=CAP_MEDIA_TYPE,
            href=f"{public_url.rstrip('/')}/v1/warnings/{warning['id']}.cap",
        )
        content = add(entry, "content", type=CAP_MEDIA_TYPE)
        content.append(alert(warning, step, sender=sender, public_url=public_url))
    text: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return text
