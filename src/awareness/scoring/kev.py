"""CISA's Known Exploited Vulnerabilities catalogue read into plain records; an entry it cannot
read is refused with its reason, the rest of the catalogue still counts. Pure: parsed JSON in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from awareness.scoring.csaf import AdvisoryError, digest_of

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str
    vendor: str
    product: str
    name: str
    date_added: date
    due_date: date | None
    ransomware: bool  # knownRansomwareCampaignUse == "Known"
    description: str
    action: str
    digest: str


def parse_kev(document: Mapping[str, Any]) -> list[KevEntry]:
    """The readable entries of the catalogue (see `parse_kev_entries` for the refused)."""
    return parse_kev_entries(document)[0]


def parse_kev_entries(
    document: Mapping[str, Any],
) -> tuple[list[KevEntry], list[tuple[str, str]]]:
    """(entries, refused as (CVE or "#index", reason)); `AdvisoryError` when the file is not a
    KEV catalogue at all."""
    if not isinstance(document, Mapping):
        raise AdvisoryError("catalogue: expected a JSON object")
    rows = document.get("vulnerabilities")
    if not isinstance(rows, list):
        raise AdvisoryError("vulnerabilities: expected a list")
    entries: list[KevEntry] = []
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        label = f"#{index}"
        try:
            if not isinstance(row, Mapping):
                raise AdvisoryError("expected an object")
            label = str(row.get("cveID") or label)
            entry = _entry(row)
            if entry.cve in seen:
                raise AdvisoryError("listed twice in the catalogue")
        except AdvisoryError as error:
            refused.append((label, f"vulnerabilities[{index}]: {error}"))
            continue
        seen.add(entry.cve)
        entries.append(entry)
    return entries, refused


def _entry(row: Mapping[str, Any]) -> KevEntry:
    cve = _text(row, "cveID").upper()
    if not _CVE.match(cve):
        raise AdvisoryError(f"cveID: not a CVE id: {cve!r}")
    due = row.get("dueDate")
    return KevEntry(
        cve=cve,
        vendor=_text(row, "vendorProject"),
        product=_text(row, "product"),
        name=_text(row, "vulnerabilityName", required=False),
        date_added=_date(row.get("dateAdded"), "dateAdded"),
        due_date=_date(due, "dueDate") if due else None,
        ransomware=str(row.get("knownRansomwareCampaignUse", "")).strip().casefold() == "known",
        description=_text(row, "shortDescription", required=False),
        action=_text(row, "requiredAction", required=False),
        digest=digest_of(row),
    )


def _text(row: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise AdvisoryError(f"{key}: expected a non-empty string")
    return value.strip()


def _date(value: Any, key: str) -> date:
    if not isinstance(value, str):
        raise AdvisoryError(f"{key}: expected a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise AdvisoryError(f"{key}: not a YYYY-MM-DD date: {value!r}") from error
