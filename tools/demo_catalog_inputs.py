"""Reading the public data sets (CISA CSAF advisories, KEV, MITRE ATT&CK for ICS) into the few
facts the demo catalog needs, with a download hint when one is missing."""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo_catalog_data import (
    ALL_SECTOR_TERMS,
    IGNORED_SECTOR_TERMS,
    SECTOR_VARIANTS,
    TECHNIQUE_IDS,
)

DOWNLOAD_HINTS = {
    "csaf": (
        "CISA ICS advisories (CSAF 2.0): https://github.com/cisagov/CSAF, folders "
        "csaf_files/OT/white/2023 and csaf_files/OT/white/2024. Pass the folders themselves, "
        "or JSON Lines files with one advisory per line (as in shared/data/cisa-csaf-ot/)."
    ),
    "kev": (
        "CISA KEV catalog: known_exploited_vulnerabilities.json from "
        "https://github.com/cisagov/kev-data or "
        "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"
    ),
    "attack": (
        "MITRE ATT&CK for ICS: ics-attack/ics-attack.json from https://github.com/mitre/cti "
        "(keep its LICENSE.txt)"
    ),
}


class InputError(Exception):
    """A source data set is missing or unreadable."""


def load_sector_ids(path: Path) -> tuple[str, ...]:
    """The 16 sector ids of config/profiles/us-ppd21.toml, in file order."""
    with path.open("rb") as fh:
        return tuple(tomllib.load(fh)["sectors"])


def normalize_sector_term(term: str) -> str:
    text = re.sub(r"\bsectors?\b", " ", term.casefold())
    text = re.sub(r"[^a-z ]", " ", text)
    text = " ".join(text.split())
    return re.sub(r"^and ", "", text)


def map_sectors(note: str, all_sectors: tuple[str, ...], unknown: set[str]) -> set[str]:
    """Map one "Critical infrastructure sectors" note to sector ids (unknown terms collected)."""
    lookup = {v: sector for sector, variants in SECTOR_VARIANTS.items() for v in variants}
    note = re.sub(r"nuclear reactors,\s*materials,?\s*and waste", "nuclear", note, flags=re.I)
    found: set[str] = set()
    for part in re.split(r"[;,:]", note):
        term = normalize_sector_term(part)
        if not term or term in IGNORED_SECTOR_TERMS:
            continue
        if term in ALL_SECTOR_TERMS:
            found.update(all_sectors)
        elif term == "nuclear":
            found.add("nuclear")
        elif term in lookup:
            found.add(lookup[term])
        else:
            unknown.add(term)
    return found


def require(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"{what} data set not found at {path}.\nDownload: {DOWNLOAD_HINTS[what]}")
    return path


def iter_csaf_documents(path: Path) -> Iterator[dict[str, Any]]:
    if path.is_dir():
        for file in sorted(path.glob("*.json")):
            yield json.loads(file.read_text(encoding="utf-8"))
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@dataclass
class CsafProduct:
    """What the advisories say about one (vendor, product_name) branch."""

    sectors: set[str] = field(default_factory=set)
    advisory_cves: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class CsafIndex:
    products: dict[tuple[str, str], CsafProduct] = field(
        default_factory=lambda: defaultdict(CsafProduct)
    )
    cvss: dict[str, float] = field(default_factory=dict)
    cve_advisories: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    last_release: str = ""
    advisories: int = 0


def walk_branches(
    branches: list[dict[str, Any]],
    out: dict[str, tuple[str, str]],
    vendor: str = "",
    product: str = "",
) -> None:
    """Map each product id of a CSAF product tree to its (vendor, product_name) branch names."""
    for branch in branches:
        name = str(branch.get("name", "")).strip()
        v = name if branch.get("category") == "vendor" else vendor
        p = name if branch.get("category") == "product_name" else product
        leaf = branch.get("product")
        if leaf:
            out[leaf["product_id"]] = (v, p or str(leaf.get("name", "")).strip())
        walk_branches(branch.get("branches", []), out, v, p)


def load_csaf(paths: list[Path], all_sectors: tuple[str, ...], unknown: set[str]) -> CsafIndex:
    index = CsafIndex()
    for path in paths:
        for doc in iter_csaf_documents(path):
            document = doc["document"]
            advisory = document["tracking"]["id"]
            index.advisories += 1
            index.last_release = max(
                index.last_release, document["tracking"].get("current_release_date", "")
            )
            sectors: set[str] = set()
            for note in document.get("notes", []):
                if note.get("title") == "Critical infrastructure sectors":
                    sectors |= map_sectors(note.get("text", ""), all_sectors, unknown)
            ids: dict[str, tuple[str, str]] = {}
            walk_branches(doc.get("product_tree", {}).get("branches", []), ids)
            for vuln in doc.get("vulnerabilities", []):
                cve = vuln.get("cve")
                if not cve:
                    continue
                scores = [
                    float(s["cvss_v3"]["baseScore"])
                    for s in vuln.get("scores", [])
                    if "cvss_v3" in s
                ]
                if scores:
                    index.cvss[cve] = max(index.cvss.get(cve, 0.0), *scores)
                index.cve_advisories[cve].add(advisory)
                for pid in vuln.get("product_status", {}).get("known_affected", []):
                    if pid in ids:
                        entry = index.products[ids[pid]]
                        entry.sectors |= sectors
                        entry.advisory_cves[advisory].add(cve)
    return index


def build_techniques(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    objects = bundle["objects"]
    matrix = next(o for o in objects if o["type"] == "x-mitre-matrix")
    tactics = {o["id"]: o for o in objects if o["type"] == "x-mitre-tactic"}
    order = [tactics[ref]["x_mitre_shortname"] for ref in matrix["tactic_refs"]]
    names = {tactics[ref]["x_mitre_shortname"]: tactics[ref]["name"] for ref in tactics}
    by_id: dict[str, dict[str, Any]] = {}
    for obj in objects:
        if obj["type"] != "attack-pattern" or obj.get("revoked") or obj.get("x_mitre_deprecated"):
            continue
        ref = next(r for r in obj["external_references"] if r["source_name"] == "mitre-attack")
        by_id[ref["external_id"]] = obj | {"_url": ref["url"]}
    techniques = []
    for technique_id in TECHNIQUE_IDS:
        obj = by_id.get(technique_id)
        if obj is None:
            raise SystemExit(f"technique {technique_id} is missing, revoked or deprecated")
        phases = sorted(
            (p["phase_name"] for p in obj["kill_chain_phases"]), key=lambda p: order.index(p)
        )
        techniques.append(
            {
                "id": technique_id,
                "name": obj["name"],
                "tactic": names[phases[0]],
                "tactics": [names[p] for p in phases],
                "url": obj["_url"],
            }
        )
    return sorted(techniques, key=lambda t: t["id"])
