"""Picking and classifying the demo catalog's products: the CVEs, sectors, kind and advisory of
each hand-picked OT product (from CSAF advisories) and IT product (from KEV)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from demo_catalog_data import IT_PICKS, KIND_RULES, OT_PICKS, Pick
from demo_catalog_inputs import CsafIndex

# CVEs listed per product (the catalog's notes say so too).
MAX_CVES = 5

KIND_PATTERNS = tuple((kind, re.compile(rx, re.IGNORECASE)) for kind, rx in KIND_RULES)


def classify_kind(vendor: str, product: str) -> str:
    """The asset kind of a product, from the first matching rule of `KIND_RULES` (TOML)."""
    text = f"{vendor} {product}"
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return "other"


def cve_order(cve: str) -> tuple[int, int]:
    """(year, number) of a CVE id, for numeric ordering."""
    _, year, number = cve.split("-")
    return int(year), int(number)


def select_cves(
    candidates: set[str],
    kev: dict[str, dict[str, Any]],
    scores: dict[str, float],
    preferred: frozenset[str] = frozenset(),
) -> list[str]:
    """At most `MAX_CVES` CVEs: KEV first, then `preferred`, ransomware-linked, CVSS, newest."""

    def key(cve: str) -> tuple[bool, bool, bool, float, str, int, int]:
        entry = kev.get(cve)
        ransomware = bool(entry and entry["knownRansomwareCampaignUse"] == "Known")
        year, number = cve_order(cve)
        added = entry["dateAdded"] if entry else ""
        # Descending date: invert the characters of the ISO date string.
        inverted = "".join(chr(0x7F - ord(ch)) for ch in added)
        return (entry is None, cve not in preferred, not ransomware, -scores.get(cve, 0.0),
                inverted, -year, -number)  # fmt: skip

    return sorted(candidates, key=key)[:MAX_CVES]


def product_entry(
    pick: Pick,
    cves: list[str],
    kev: dict[str, dict[str, Any]],
    sectors: list[str],
    advisory: str | None,
    cvss: float | None,
) -> dict[str, Any]:
    kev_cves = [c for c in cves if c in kev]
    return {
        "vendor": pick.vendor,
        "product": pick.product,
        "kind": classify_kind(pick.vendor, pick.product),
        "sectors": sectors,
        "cves": sorted(cves, key=cve_order),
        "kev": sorted(kev_cves, key=cve_order),
        "ransomware": any(kev[c]["knownRansomwareCampaignUse"] == "Known" for c in kev_cves),
        "advisory": advisory,
        "cvss": cvss,
    }


def best_advisory(
    advisories: dict[str, set[str]], cves: list[str], kev: dict[str, dict[str, Any]]
) -> str | None:
    """The advisory naming most of the chosen KEV CVEs, then most chosen CVEs, then newest."""
    if not advisories:
        return None
    chosen = set(cves)
    chosen_kev = {c for c in cves if c in kev}
    return max(
        sorted(advisories),
        key=lambda a: (len(advisories[a] & chosen_kev), len(advisories[a] & chosen), a),
    )


def build_ot_products(
    index: CsafIndex, kev: dict[str, dict[str, Any]], all_sectors: tuple[str, ...]
) -> list[dict[str, Any]]:
    products = []
    for pick in OT_PICKS:
        pattern = re.compile(pick.match)
        matched = [
            entry for (v, p), entry in index.products.items() if pattern.search(f"{v} | {p}")
        ]
        if not matched:
            raise SystemExit(f"OT pick {pick.vendor} {pick.product!r} matches no CSAF product")
        sectors: set[str] = set()
        advisories: dict[str, set[str]] = defaultdict(set)
        for entry in matched:
            sectors |= entry.sectors
            for advisory, advisory_cves in entry.advisory_cves.items():
                advisories[advisory] |= advisory_cves
        if not sectors:
            raise SystemExit(f"OT pick {pick.vendor} {pick.product!r} has no sector note")
        candidates: set[str] = set().union(*advisories.values())
        scores = {c: index.cvss[c] for c in candidates if c in index.cvss}
        cves = select_cves(candidates, kev, scores)
        products.append(
            product_entry(
                pick,
                cves,
                kev,
                [s for s in all_sectors if s in sectors],
                best_advisory(advisories, cves, kev),
                max(scores.values()) if scores else None,
            )
        )
    return products


def build_it_products(
    index: CsafIndex, kev: dict[str, dict[str, Any]], all_sectors: tuple[str, ...]
) -> list[dict[str, Any]]:
    products = []
    for pick in IT_PICKS:
        pattern = re.compile(pick.match)
        candidates = {
            cve
            for cve, entry in kev.items()
            if pattern.search(f"{entry['vendorProject'].strip()} | {entry['product'].strip()}")
        }
        if not candidates:
            raise SystemExit(f"IT pick {pick.vendor} {pick.product!r} matches no KEV entry")
        # CVEs also named in ICS advisories come first: they tie IT and OT exposure together.
        in_advisories = frozenset(c for c in candidates if c in index.cve_advisories)
        scores = {c: index.cvss[c] for c in candidates if c in index.cvss}
        cves = select_cves(candidates, kev, scores, preferred=in_advisories)
        advisories = {
            a: {c for c in cves if a in index.cve_advisories.get(c, ())}
            for c in cves
            for a in index.cve_advisories.get(c, ())
        }
        chosen_scores = [scores[c] for c in cves if c in scores]
        products.append(
            product_entry(
                pick,
                cves,
                kev,
                list(all_sectors),
                best_advisory(advisories, cves, kev),
                max(chosen_scores) if chosen_scores else None,
            )
        )
    return products
