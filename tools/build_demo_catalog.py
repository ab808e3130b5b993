"""Build `src/awareness/demo/catalog.json` from public CISA and MITRE data sets.
The demo shows real products, CVEs and ATT&CK for ICS techniques without shipping the 17 MB
sources. Rerun after editing demo_catalog_picks.toml; `--check` only compares."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from demo_catalog_data import KNOWN_SNAPSHOTS
from demo_catalog_inputs import (
    InputError,
    build_techniques,
    load_csaf,
    load_sector_ids,
    require,
)
from demo_catalog_products import MAX_CVES, build_it_products, build_ot_products

# Developer tool, run from the repository root: never imported or run by the service or the
# tests. Same inputs, byte-identical output (sorted keys). The inputs default to the copies in
# ../shared/data (see its README.md); demo_catalog_inputs.DOWNLOAD_HINTS names the upstreams.
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_CSAF = (
    SHARED_DATA / "cisa-csaf-ot" / "cisa_csaf_ot_2023.jsonl",
    SHARED_DATA / "cisa-csaf-ot" / "cisa_csaf_ot_2024.jsonl",
)
DEFAULT_KEV = SHARED_DATA / "cisa-kev" / "known_exploited_vulnerabilities.json"
DEFAULT_ATTACK = SHARED_DATA / "mitre-attack-ics" / "ics-attack.json"
DEFAULT_OUTPUT = REPO_ROOT / "src" / "awareness" / "demo" / "catalog.json"
SECTORS_TOML = REPO_ROOT / "config" / "profiles" / "us-ppd21.toml"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def source_entry(
    paths: list[Path], repository: str, files: str, date: str, licence: str
) -> dict[str, Any]:
    hashes = [sha256_of(p) for p in paths]
    known = [KNOWN_SNAPSHOTS.get(h) for h in hashes]
    commits = sorted({k["commit"] for k in known if k})
    return {
        "repository": repository,
        "files": files,
        "commit": commits[0] if len(commits) == 1 and all(known) else None,
        "commit_date": known[0]["commit_date"] if known and all(known) else None,
        "date": date,
        "sha256": hashes,
        "licence": licence,
    }


# Written into the catalog verbatim. "KIND_RULES" below is now the [[kind_rules]] table of
# demo_catalog_picks.toml (demo_catalog_data.KIND_RULES): fix the text on the next real rebuild.
NOTES = {
    "kind": (
        "Asset kind from an ordered keyword table over 'vendor product' (first match wins): "
        "safety controllers (Safety, GuardLogix), historians (Historian, PI Server), engineering "
        "software (Studio, Workbench, TIA Portal, GX Works, Control Expert, CODESYS...), "
        "SCADA/DCS servers (SCADA, WinCC OA, PCS 7, 800xA, Experion, CENTUM...), HMIs (HMI, "
        "WinCC, PanelView, InTouch, iFIX...), IoT and field devices (door, camera, NVR, meters, "
        "medical devices), PLCs (PLC, Logix, S7-xxxx, Modicon, MELSEC...), RTUs and IEDs (RTU, "
        "TBox, STARDOM, SIPROTEC), network devices (SCALANCE, RUGGEDCOM, Stratix, router, "
        "firewall, FortiOS, IOS...), servers (server, manager, NMS...), workstations (Windows, "
        "Chrome, Office), else other. See tools/build_demo_catalog.py KIND_RULES."
    ),
    "sectors": (
        "OT products: union of the CISA advisories' 'Critical infrastructure sectors' notes, "
        "mapped to the ids of config/profiles/us-ppd21.toml; 'Multiple' means every sector. "
        "IT products from KEV are run by every sector and list all 16."
    ),
    "cves": (
        f"At most {MAX_CVES} real CVE ids per product: KEV ones first (for IT products, those "
        "also named in ICS advisories first), ransomware-linked first, then by CVSS and recency. "
        "'kev' is the subset in the CISA KEV catalog; 'ransomware' is true when one of them has "
        "knownRansomwareCampaignUse = Known."
    ),
    "advisory": (
        "The CISA ICS advisory (ICSA/ICSMA id) that best covers the listed CVEs. For IT "
        "products, an advisory about an OT product embedding them (e.g. FortiOS in RUGGEDCOM "
        "APE1808), or null when none of their CVEs appears in an ICS advisory."
    ),
    "cvss": (
        "Highest CVSS v3 base score in the advisories: over every CVE of the product for OT "
        "products, over the listed CVEs for IT products; null when unknown (KEV has no scores)."
    ),
}


def build(
    csaf_paths: list[Path], kev_path: Path, attack_path: Path, sectors_path: Path
) -> dict[str, Any]:
    for path in csaf_paths:
        require(path, "csaf")
    require(kev_path, "kev")
    require(attack_path, "attack")
    all_sectors = load_sector_ids(sectors_path)
    kev_doc = json.loads(kev_path.read_text(encoding="utf-8"))
    kev = {v["cveID"]: v for v in kev_doc["vulnerabilities"]}
    unknown: set[str] = set()
    index = load_csaf(csaf_paths, all_sectors, unknown)
    if unknown:
        print(f"note: unmapped sector terms ignored: {sorted(unknown)}", file=sys.stderr)
    products = build_ot_products(index, kev, all_sectors) + build_it_products(
        index, kev, all_sectors
    )
    products.sort(key=lambda p: (p["vendor"].casefold(), p["product"].casefold()))
    attack = json.loads(attack_path.read_text(encoding="utf-8"))
    attack_date = max(o.get("modified", "") for o in attack["objects"])[:10]
    return {
        "notes": NOTES,
        "products": products,
        "techniques": build_techniques(attack),
        "sources": {
            "cisa_csaf_ot": source_entry(
                csaf_paths,
                "https://github.com/cisagov/CSAF",
                "csaf_files/OT/white/2023/*.json, csaf_files/OT/white/2024/*.json",
                index.last_release[:10],
                "US Government work (17 U.S.C. 105), TLP:WHITE; see NOTICE.md",
            )
            | {"advisories": index.advisories},
            "cisa_kev": source_entry(
                [kev_path],
                "https://github.com/cisagov/kev-data",
                "known_exploited_vulnerabilities.json",
                kev_doc["dateReleased"][:10],
                "CC0-1.0; see NOTICE.md",
            )
            | {"catalog_version": kev_doc["catalogVersion"]},
            "mitre_attack_ics": source_entry(
                [attack_path],
                "https://github.com/mitre/cti",
                "ics-attack/ics-attack.json",
                attack_date,
                "MITRE ATT&CK terms of use; see NOTICE.md",
            ),
        },
    }


def render(catalog: dict[str, Any]) -> str:
    return json.dumps(catalog, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csaf",
        type=Path,
        nargs="+",
        default=list(DEFAULT_CSAF),
        help="CSAF OT advisories: JSON Lines files or folders of .json (default: ../shared/data)",
    )
    parser.add_argument("--kev", type=Path, default=DEFAULT_KEV, help="KEV catalog JSON")
    parser.add_argument("--attack", type=Path, default=DEFAULT_ATTACK, help="ics-attack.json")
    parser.add_argument(
        "--sectors", type=Path, default=SECTORS_TOML, help="config/profiles/us-ppd21.toml"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="catalog to write")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the output file is not up to date"
    )
    args = parser.parse_args(argv)
    try:
        text = render(build(args.csaf, args.kev, args.attack, args.sectors))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; rebuild it", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    catalog = json.loads(text)
    print(
        f"wrote {args.output} ({len(text.encode())} bytes, {len(catalog['products'])} products, "
        f"{len(catalog['techniques'])} techniques)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
