"""CSAF 2.0 advisories (CISA's ICS advisories) read into plain records: the products of the
tree with their status, versions, CVEs and remediation. Pure: parsed JSON in, records out;
reading files and storing belong to the caller."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

AFFECTED, FIXED, NOT_AFFECTED = "known_affected", "fixed", "known_not_affected"
# CSAF's product_status lists, folded to the three the matcher acts on; "recommended" and
# "under_investigation" say nothing about whether a version is vulnerable.
_STATUSES = {
    "known_affected": AFFECTED, "first_affected": AFFECTED, "last_affected": AFFECTED,
    "fixed": FIXED, "first_fixed": FIXED, "known_not_affected": NOT_AFFECTED,
}  # fmt: skip
_SEVERITIES = ("none", "low", "medium", "high", "critical")


class AdvisoryError(ValueError):
    """A document or catalogue that cannot be read; the message names the JSON path."""


@dataclass(frozen=True, slots=True)
class AffectedProduct:
    vendor: str
    product: str
    versions: str | None  # a `vers:` range, an exact version, or None for every version
    status: str  # known_affected | fixed | known_not_affected
    cves: tuple[str, ...]
    remediation: str | None


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    title: str
    published: datetime
    updated: datetime
    cves: tuple[str, ...]
    criticality: str
    products: tuple[AffectedProduct, ...]
    digest: str


def digest_of(document: Any) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces): equal content, equal digest."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_csaf(document: Mapping[str, Any]) -> Advisory:
    doc = _field(document, "document", Mapping, "")
    tracking = _field(doc, "tracking", Mapping, "document")
    vulnerabilities = _optional(document, "vulnerabilities", list, "") or []
    leaves = _product_leaves(_optional(document, "product_tree", Mapping, "") or {})
    cves: set[str] = set()
    listed: dict[tuple[str, str], set[str]] = {}
    fixes: dict[tuple[str, str], list[str]] = {}
    worst = 0
    for index, vulnerability in enumerate(vulnerabilities):
        path = f"vulnerabilities[{index}]"
        if not isinstance(vulnerability, Mapping):
            raise AdvisoryError(f"{path}: expected an object")
        cve = _optional(vulnerability, "cve", str, path)
        if cve:
            cves.add(cve.strip().upper())
        worst = max(worst, _severity(vulnerability, path))
        remedies = _remediations(vulnerability, path)
        statuses = _optional(vulnerability, "product_status", Mapping, path) or {}
        for name, status in _STATUSES.items():
            for product_id in _optional(statuses, name, list, f"{path}.product_status") or []:
                if not isinstance(product_id, str) or product_id not in leaves:
                    where = f"{path}.product_status.{name}"
                    raise AdvisoryError(f"{where}: unknown product id {product_id!r}")
                key = (product_id, status)
                bucket = listed.setdefault(key, set())
                if cve:
                    bucket.add(cve.strip().upper())
                texts = fixes.setdefault(key, [])
                texts.extend(t for t in remedies.get(product_id, ()) if t not in texts)
    products = tuple(
        AffectedProduct(
            *leaves[product_id],
            status=status,
            cves=tuple(sorted(found)),
            remediation="\n\n".join(fixes[(product_id, status)]) or None,
        )
        for (product_id, status), found in listed.items()
    )
    return Advisory(
        id=_field(tracking, "id", str, "document.tracking").strip(),
        title=_field(doc, "title", str, "document").strip(),
        published=_time(tracking, "initial_release_date"),
        updated=_time(tracking, "current_release_date"),
        cves=tuple(sorted(cves)),
        criticality=_SEVERITIES[worst],
        products=products,
        digest=digest_of(document),
    )


Leaf = tuple[str, str, str | None]  # vendor, product, versions


def _product_leaves(tree: Mapping[str, Any]) -> dict[str, Leaf]:
    """Every product id of the tree: branch leaves (vendor > [family >] product name >
    version or range), `full_product_names`, and relationships (a firmware `installed_on` or
    `default_component_of` a device is the device, at the firmware's versions)."""
    leaves: dict[str, Leaf] = {}

    def walk(branches: Any, path: str, vendor: str, names: tuple[str, ...]) -> None:
        if not isinstance(branches, list):
            raise AdvisoryError(f"{path}: expected a list of branches")
        for index, branch in enumerate(branches):
            where = f"{path}[{index}]"
            category = _field(branch, "category", str, where)
            name = _field(branch, "name", str, where).strip()
            now_vendor, now_names, versions = vendor, names, None
            if category == "vendor":
                now_vendor = name
            elif category in {"product_family", "product_name"}:
                now_names = (*names, name)
            elif category == "product_version_range":
                versions = _range_text(name)
            elif category == "product_version":
                versions = name
            product = _optional(branch, "product", Mapping, where)
            if product is not None:
                product_id = _field(product, "product_id", str, f"{where}.product")
                leaves[product_id] = (now_vendor, " ".join(now_names), versions)
            if "branches" in branch:
                walk(branch["branches"], f"{where}.branches", now_vendor, now_names)

    walk(tree.get("branches", []), "product_tree.branches", "", ())
    for index, full in enumerate(_optional(tree, "full_product_names", list, "product_tree") or []):
        where = f"product_tree.full_product_names[{index}]"
        product_id = _field(full, "product_id", str, where)
        leaves[product_id] = ("", _field(full, "name", str, where).strip(), None)
    for index, relation in enumerate(_optional(tree, "relationships", list, "product_tree") or []):
        where = f"product_tree.relationships[{index}]"
        full = _field(relation, "full_product_name", Mapping, where)
        component = leaves.get(_field(relation, "product_reference", str, where))
        platform = leaves.get(_field(relation, "relates_to_product_reference", str, where))
        if component is None or platform is None:
            raise AdvisoryError(f"{where}: refers to an unknown product id")
        product_id = _field(full, "product_id", str, f"{where}.full_product_name")
        leaves[product_id] = (platform[0] or component[0], platform[1], component[2] or platform[2])
    return leaves


def _range_text(name: str) -> str | None:
    """A range leaf as a `vers:` string; CISA writes some without the `vers:all/` prefix."""
    text = name.strip()
    if not text.casefold().startswith("vers:"):
        text = f"vers:all/{text}"
    return None if text.partition("/")[2].strip() == "*" else text


def _remediations(vulnerability: Mapping[str, Any], path: str) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for index, remedy in enumerate(_optional(vulnerability, "remediations", list, path) or []):
        where = f"{path}.remediations[{index}]"
        details = _optional(remedy, "details", str, where)
        if not details:
            continue
        for product_id in _optional(remedy, "product_ids", list, where) or []:
            if not isinstance(product_id, str):
                raise AdvisoryError(f"{where}.product_ids: expected product ids")
            texts.setdefault(product_id, []).append(details.strip())
    return texts


def _severity(vulnerability: Mapping[str, Any], path: str) -> int:
    worst = 0
    for score in _optional(vulnerability, "scores", list, path) or []:
        for key in ("cvss_v3", "cvss_v2"):
            cvss = score.get(key) if isinstance(score, Mapping) else None
            if isinstance(cvss, Mapping):
                worst = max(worst, _severity_rank(cvss))
    return worst


def _severity_rank(cvss: Mapping[str, Any]) -> int:
    named = cvss.get("baseSeverity")
    if isinstance(named, str) and named.casefold() in _SEVERITIES:
        return _SEVERITIES.index(named.casefold())
    score = cvss.get("baseScore")
    if not isinstance(score, int | float) or score <= 0:
        return 0
    # CVSS v3 qualitative ratings; v2 scores carry no name and use the same bands here.
    return next(rank for rank, floor in ((4, 9.0), (3, 7.0), (2, 4.0), (1, 0.0)) if score >= floor)


def _time(tracking: Mapping[str, Any], key: str) -> datetime:
    text = _field(tracking, key, str, "document.tracking")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise AdvisoryError(f"document.tracking.{key}: not an ISO 8601 time: {text!r}") from error
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AdvisoryError(f"document.tracking.{key}: time without a timezone: {text!r}")
    return moment.astimezone(UTC)


def _field(obj: Any, key: str, kind: Any, path: str) -> Any:
    value = _optional(obj, key, kind, path)
    if value is None:
        raise AdvisoryError(f"{_join(path, key)}: missing")
    return value


def _optional(obj: Any, key: str, kind: Any, path: str) -> Any:
    if not isinstance(obj, Mapping):
        raise AdvisoryError(f"{path or 'document'}: expected an object")
    value = obj.get(key)
    if value is not None and not isinstance(value, kind):
        expected = {str: "a string", list: "a list", Mapping: "an object"}.get(kind, kind)
        raise AdvisoryError(f"{_join(path, key)}: expected {expected}")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
