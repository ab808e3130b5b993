"""Build `src/awareness/demo/catalog.json` from public CISA and MITRE data sets.

Developer tool: never imported or run by the service or the tests. The demo needs real product
names, CVE ids and ATT&CK for ICS techniques, but users do not have the source data sets
(about 17 MB), so this script distils a small, deterministic catalog (same input, byte-identical
output, sorted keys) that ships inside the package. Inputs (see ../shared/data/README.md):

- CISA ICS advisories in CSAF 2.0 (`cisagov/CSAF`, `csaf_files/OT/white/<year>/*.json`), as JSON
  Lines (one document per line) or as a directory of `.json` files;
- the CISA Known Exploited Vulnerabilities catalog (`cisagov/kev-data`);
- MITRE ATT&CK for ICS (`mitre/cti`, `ics-attack/ics-attack.json`).

Products are a hand-picked list (`OT_PICKS`, `IT_PICKS`): each pick names a real product and a
regular expression selecting its entries in the CSAF product trees (OT) or in KEV (IT).
Conventions written into the catalog (also in its `notes`):

- `kind` comes from `classify_kind`: an ordered keyword table over "vendor product" (first match
  wins): safety controllers, historians, engineering software, SCADA/DCS servers, HMIs, IoT and
  field devices (cameras, door controllers, meters, medical devices), PLCs, RTUs and IEDs,
  network devices, servers, workstations, else `other`.
- `sectors` for OT products are the union of the advisories' "Critical infrastructure sectors"
  notes, normalized to the ids of config/sectors.toml ("Multiple" means all of them). IT products
  from KEV are used by every sector and list all of them.
- `cves`: at most `MAX_CVES`: KEV ones first (for IT products, those also named in an ICS
  advisory first: they tie IT and OT exposure together), ransomware-linked first, then by CVSS,
  then newest; `kev` is the subset in KEV, `ransomware` is true when one of those is marked
  "Known".

Rebuild: `.venv/bin/python tools/build_demo_catalog.py` from the repository root (paths default
to ../shared/data; `--check` only compares).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_CSAF = (
    SHARED_DATA / "cisa-csaf-ot" / "cisa_csaf_ot_2023.jsonl",
    SHARED_DATA / "cisa-csaf-ot" / "cisa_csaf_ot_2024.jsonl",
)
DEFAULT_KEV = SHARED_DATA / "cisa-kev" / "known_exploited_vulnerabilities.json"
DEFAULT_ATTACK = SHARED_DATA / "mitre-attack-ics" / "ics-attack.json"
DEFAULT_OUTPUT = REPO_ROOT / "src" / "awareness" / "demo" / "catalog.json"
SECTORS_TOML = REPO_ROOT / "config" / "sectors.toml"

MAX_CVES = 5

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

# Snapshots described in shared/data/README.md, keyed by SHA-256: they give the upstream commit.
KNOWN_SNAPSHOTS: dict[str, dict[str, str]] = {
    "c6519f1d7efde0b5521f7edbe4e00c4095c2504f86a3e404a90b107c68e394fb": {
        "commit": "6960219fd4e67623d40d32b2869c4a1782965b80",
        "commit_date": "2024-10-24",
    },
    "bd681decb2f68c8c009857eb90653a2d45dc1f963ba0ea7f7e271525b87d2ee5": {
        "commit": "6960219fd4e67623d40d32b2869c4a1782965b80",
        "commit_date": "2024-10-24",
    },
    "901b1f227941a3879a3e39fcb857bb6f7252bf9d71b63ef08d50a836d5ab1bd2": {
        "commit": "eacf03ec6637cc7be6d3d4ed50785493da5126a2",
        "commit_date": "2025-08-25",
    },
    "76655cd7c363ca9a7474a95e9d60522a0c3211eaf2efad5b5e9cd7f9e0365b51": {
        "commit": "2bbea5c3c77ddb0128955e8e284aac06fe000c83",
        "commit_date": "2025-11-13",
    },
}


@dataclass(frozen=True)
class Pick:
    """A catalog product: display names and a regex over "<source vendor> | <source product>"."""

    vendor: str
    product: str
    match: str


# OT/ICS products named in CISA ICS advisories (2023-2024), matched against the CSAF product
# trees as "<vendor branch> | <product_name branch>".
OT_PICKS: tuple[Pick, ...] = (
    # Siemens: its advisories say "Multiple" sectors.
    Pick("Siemens", "RUGGEDCOM APE1808", r"^Siemens \| RUGGEDCOM APE1808"),
    Pick(
        "Siemens",
        "SIMATIC S7-1500 CPU 1518-4 PN/DP MFP",
        r"^Siemens \| SIMATIC S7-1500 CPU 1518-4 PN/DP MFP",
    ),
    Pick("Siemens", "SIMATIC S7-1200 CPU family", r"^Siemens \| SIMATIC S7-1200 CPU"),
    Pick("Siemens", "SCALANCE M876-4", r"^Siemens \| SCALANCE M876-4"),
    Pick("Siemens", "SCALANCE S615", r"^Siemens \| SCALANCE S615"),
    Pick("Siemens", "SCALANCE XCM332", r"^Siemens \| SCALANCE XCM332"),
    Pick("Siemens", "SINEC NMS", r"^Siemens \| SINEC NMS"),
    Pick("Siemens", "SIMATIC WinCC", r"^Siemens \| SIMATIC WinCC V[78]"),
    Pick("Siemens", "SIMATIC WinCC OA", r"^Siemens \| SIMATIC WinCC OA"),
    Pick("Siemens", "SIMATIC PCS 7", r"^Siemens \| SIMATIC PCS 7"),
    Pick(
        "Siemens",
        "Totally Integrated Automation Portal (TIA Portal)",
        r"^Siemens \| Totally Integrated Automation Portal",
    ),
    Pick("Siemens", "SIPROTEC 5", r"^Siemens \| SIPROTEC 5 "),
    Pick("Siemens", "SIMATIC Process Historian", r"^Siemens \| SIMATIC Process Historian"),
    Pick("Siemens", "SICAM PAS/PQS", r"^Siemens \| SICAM PAS/PQS"),
    Pick("Siemens", "ST7 ScadaConnect", r"^Siemens \| ST7 ScadaConnect"),
    Pick("Siemens", "SIMATIC RF160B", r"^Siemens \| SIMATIC RF160B"),
    Pick("Siemens", "SENTRON 7KM PAC3200", r"^Siemens \| SENTRON 7KM PAC3200"),
    Pick("Baker Hughes", "Bently Nevada 3500 Rack", r"Bently Nevada \| Bently Nevada 3500 Rack"),
    # Rockwell Automation
    Pick("Rockwell Automation", "ControlLogix 5580", r"^Rockwell Automation \| ControlLogix 5580"),
    Pick("Rockwell Automation", "GuardLogix 5580", r"^Rockwell Automation \| GuardLogix 5580"),
    Pick("Rockwell Automation", "CompactLogix 5380", r"^Rockwell Automation \| CompactLogix 5380"),
    Pick(
        "Rockwell Automation",
        "FactoryTalk View SE",
        r"^Rockwell Automation \| FactoryTalk View SE",
    ),
    Pick(
        "Rockwell Automation",
        "FactoryTalk Historian SE",
        r"^Rockwell Automation \| FactoryTalk Historian SE",
    ),
    Pick(
        "Rockwell Automation",
        "ThinManager ThinServer",
        r"^Rockwell Automation \| ThinManager ThinServer",
    ),
    Pick("Rockwell Automation", "Stratix 5800", r"^Rockwell Automation \| Stratix 5800"),
    Pick(
        "Rockwell Automation",
        "Connected Components Workbench",
        r"^Rockwell Automation \| Connected Components Workbench",
    ),
    Pick("Rockwell Automation", "PanelView 800", r"^Rockwell Automation \| PanelView 800"),
    # Schneider Electric
    Pick("Schneider Electric", "Modicon M580 CPU", r"^Schneider Electric \| Modicon M580 CPU \("),
    Pick(
        "Schneider Electric",
        "Modicon M580 CPU Safety",
        r"^Schneider Electric \| Modicon M580 CPU Safety",
    ),
    Pick("Schneider Electric", "Modicon M340 CPU", r"^Schneider Electric \| Modicon M340 CPU"),
    Pick(
        "Schneider Electric",
        "EcoStruxure Control Expert",
        r"^Schneider Electric \| EcoStruxure Control Expert",
    ),
    Pick("Schneider Electric", "IGSS", r"^Schneider Electric \| IGSS"),
    Pick("Schneider Electric", "Data Center Expert", r"^Schneider Electric \| Data Center Expert"),
    # Honeywell, ABB, Hitachi Energy, GE, Emerson, Yokogawa
    Pick("Honeywell", "Experion PKS", r"^Honeywell \| Experion PKS"),
    Pick("Honeywell", "Safety Manager", r"^Honeywell \| Safety Manager"),
    Pick("Honeywell", "OneWireless WDM", r"^Honeywell \| OneWireless WDM"),
    Pick("ABB", "System 800xA", r"^ABB \| ABB 800xA"),
    Pick("ABB", "S+ Operations", r"^ABB \| S\+ Operations"),
    Pick("ABB", "Infinity DC Power Plant", r"^ABB \| ABB Infinity DC Power Plant"),
    Pick("Hitachi Energy", "RTU500 series", r"^Hitachi Energy \| RTU500 series"),
    Pick("Hitachi Energy", "MicroSCADA X SYS600", r"^Hitachi Energy \| SYS600"),
    Pick("Hitachi Energy", "AFS660", r"^Hitachi Energy \| AFS660"),
    Pick("GE Digital", "Proficy Historian", r"^GE Digital \| Proficy Historian"),
    Pick("GE Digital", "Proficy iFIX", r"^GE Digital \| GE Digital Proficy iFIX"),
    Pick("Emerson", "Ovation", r"^Emerson \| Ovation"),
    Pick("Emerson", "PACSystems RX3i", r"^Emerson \| PACSystem RX3i"),
    Pick("Yokogawa", "CENTUM VP", r"^Yokogawa \| CENTUM VP"),
    Pick("Yokogawa", "STARDOM FCN/FCJ", r"^Yokogawa \| STARDOM FCN/FCJ"),
    Pick("Yokogawa", "FAST/TOOLS", r"^Yokogawa \| FAST/TOOLS"),
    # Mitsubishi Electric and ICONICS
    Pick(
        "Mitsubishi Electric",
        "MELSEC iQ-R Series CPU",
        r"^Mitsubishi Electric( Corporation)? \| MELSEC iQ-R Series R(00|04)",
    ),
    Pick(
        "Mitsubishi Electric",
        "MELSEC iQ-F FX5U",
        r"^Mitsubishi Electric( Corporation)? \| MELSEC iQ-F Series FX5U-",
    ),
    Pick("Mitsubishi Electric", "GX Works3", r"^Mitsubishi Electric( Corporation)? \| GX Works3"),
    Pick(
        "Mitsubishi Electric",
        "GT SoftGOT2000",
        r"^Mitsubishi Electric( Corporation)? \| GT SoftGOT2000",
    ),
    Pick("ICONICS", "GENESIS64", r"^ICONICS.* \| ICONICS Suite including GENESIS64"),
    # AVEVA and PTC
    Pick("AVEVA", "InTouch", r"^AVEVA \| AVEVA InTouch"),
    Pick("AVEVA", "Historian", r"^AVEVA \| (AVEVA )?Historian"),
    Pick("AVEVA", "PI Server", r"^AVEVA \| PI Server"),
    Pick("AVEVA", "Plant SCADA", r"^AVEVA \| AVEVA Plant SCADA"),
    Pick("AVEVA", "System Platform", r"^AVEVA \| AVEVA System ?Platform"),
    Pick("PTC", "Kepware KEPServerEX", r"^PTC \| (Kepware )?KEPServerEX"),
    # Smaller OT vendors, chosen for sector spread.
    Pick("Unitronics", "Vision Series PLC", r"^Unitronics \| (Vision \d+|OS)$"),
    Pick("Unitronics", "VisiLogic", r"^Unitronics \| VisiLogic"),
    Pick("Delta Electronics", "InfraSuite Device Master", r"^Delta Electronics \| InfraSuite"),
    Pick("Moxa", "MXview One", r"^Moxa \| MXview One Series"),
    Pick("Johnson Controls", "Metasys ADS/ADX/OAS Servers", r"^Johnson Controls \| Metasys ADS"),
    Pick(
        "Johnson Controls",
        "Software House C\N{BULLET}CURE 9000",
        r"^Johnson Controls,? Inc\. \| Software House C.CURE 9000",
    ),
    Pick(
        "Johnson Controls", "exacqVision Server", r"^Johnson Controls,? Inc\. \| exacqVision [Ss]"
    ),
    Pick(
        "Johnson Controls",
        "Kantech KT-400 Door Controller",
        r"^Johnson Controls,? Inc\. \| Kantech KT400 Door Controller",
    ),
    Pick("Kieback&Peter", "DDC4000 series", r"^Kieback&Peter \| DDC4\d{3}"),
    Pick(
        "Sierra Wireless",
        "AirLink routers (ALEOS)",
        r"^Sierra Wireless \| (AirLink ALEOS|Airlink Router)",
    ),
    Pick("InHand Networks", "InRouter 615", r"^InHand Networks \| InRouter 615"),
    Pick("Westermo", "Lynx", r"^Westermo \| (L210-F2G )?Lynx"),
    Pick("Ovarro", "TBox", r"^Ovarro \| TBox"),
    Pick("Advantech", "WebAccess/SCADA", r"^Advantech \| WebAccess/SCADA"),
    Pick("mySCADA Technologies", "myPRO", r"^mySCADA Technologies \| myPRO"),
    Pick(
        "Campbell Scientific",
        "CSI Web Server",
        r"^Campbell Scientific \| Campbell Scientific CSI Web Server",
    ),
    Pick("IDEC", "FC6A MICROSmart", r"^IDEC Corporation \| FC6A Series MICROSmart"),
    Pick("AutomationDirect", "C-more EA9 HMI", r"^AutomationDirect \| C-MORE EA9 HMI"),
    Pick("AutomationDirect", "Productivity3000 CPU", r"^AutomationDirect \| Productivity 3000"),
    Pick("AutomationDirect", "DirectLogic H2-DM1E", r"^AutomationDirect \| DirectLogic H2-DM1E"),
    Pick("WAGO", "PFC200", r"^WAGO \| PFC200"),
    Pick("CODESYS", "CODESYS Development System", r"^CODESYS.* \| CODESYS Development System"),
    Pick("Weintek", "cMT series HMI", r"^Weintek \| cMT"),
    Pick("National Instruments", "LabVIEW", r"^National Instruments \| LabVIEW"),
    Pick("Phoenix Contact", "TC ROUTER 3002T-4G", r"^Phoenix Contact \| TC ROUTER 3002T-4G"),
    Pick("Teltonika", "RUT series routers", r"^Teltonika \| RUT model routers"),
    Pick(
        "Teltonika",
        "Remote Management System (RMS)",
        r"^Teltonika \| Remote Management System",
    ),
    Pick("Intrado", "911 Emergency Gateway", r"^Intrado \| 911 Emergency Gateway"),
    Pick(
        "Motorola Solutions",
        "Vigilant Fixed LPR Coms Box",
        r"^Motorola Solutions \| Vigilant Fixed LPR",
    ),
    Pick("Nice", "Linear eMerge E3-Series", r"^Nice \| Linear eMerge E3"),
    Pick("QNAP", "VioStor NVR", r"^QNAP \| VioStor NVR"),
    Pick("FXC", "AE1021PE", r"^FXC \| AE1021"),
    Pick(
        "BD",
        "Alaris Point-of-Care Unit (PCU) Model 8015",
        r"^Becton, Dickinson .* \| BD Alaris Point-of-Care Unit",
    ),
    Pick("BD", "Alaris Systems Manager", r"^Becton, Dickinson .* \| BD Alaris Systems Manager"),
    Pick("Baxter", "Welch Allyn Connex Spot Monitor", r"^Baxter \| Welch Allyn Connex Spot"),
    Pick("Philips", "Vue PACS", r"^Philips \| Vue PACS"),
    Pick("Sielco", "PolyEco1000", r"^Sielco \| PolyEco1000"),
    Pick("Baicells", "Nova 436Q", r"^Baicells Technologies \| Nova 436Q"),
)

# IT products every sector runs, matched against KEV as "<vendorProject> | <product>".
IT_PICKS: tuple[Pick, ...] = (
    Pick(
        "Microsoft",
        "Windows Server",
        r"^Microsoft \| (Netlogon|Active Directory|SMBv1( server)?|SMBv3|Remote Desktop Services"
        r"|Kerberos Key Distribution Center.*|Internet Information Services.*|HTTP\.sys"
        r"|HTTP Protocol Stack)$",
    ),
    Pick("Microsoft", "Windows", r"^Microsoft \| (Windows|Win32k)$"),
    Pick("Microsoft", "Exchange Server", r"^Microsoft \| Exchange( Server)?$"),
    Pick("Microsoft", "SharePoint Server", r"^Microsoft \| SharePoint( Server)?$"),
    Pick("Microsoft", "Office", r"^Microsoft \| Office$"),
    Pick("Google", "Chrome", r"^Google \| Chrom(e|ium)\b"),
    Pick("Cisco", "IOS XE", r"^Cisco \| .*\bXE\b"),
    Pick("Cisco", "Adaptive Security Appliance (ASA)", r"^Cisco \| Adaptive Security Appliance"),
    Pick("Fortinet", "FortiOS", r"^Fortinet \| FortiOS"),
    Pick("Palo Alto Networks", "PAN-OS", r"^Palo Alto Networks \| PAN-OS"),
    Pick("Ivanti", "Connect Secure", r"^(Ivanti|Pulse Secure) \| .*Connect Secure"),
    Pick(
        "Citrix",
        "NetScaler ADC and NetScaler Gateway",
        r"^Citrix \| (NetScaler ADC|Application Delivery Controller)",
    ),
    Pick("Juniper Networks", "Junos OS", r"^Juniper \| Junos OS"),
    Pick("F5", "BIG-IP", r"^F5 \| BIG-IP"),
    Pick("SonicWall", "SonicOS", r"^SonicWall \| SonicOS"),
    Pick("VMware", "vCenter Server", r"^VMware \| vCenter Server"),
    Pick("VMware", "ESXi", r"^VMware \| (VMware )?ESXi"),
    Pick("Atlassian", "Confluence Data Center and Server", r"^Atlassian \| Confluence"),
    Pick("Progress", "MOVEit Transfer", r"^Progress \| MOVEit Transfer"),
    Pick("Apache", "ActiveMQ", r"^Apache \| ActiveMQ"),
    Pick("Veeam", "Backup & Replication", r"^Veeam \| Backup & Replication"),
    Pick("ConnectWise", "ScreenConnect", r"^ConnectWise \| ScreenConnect"),
    Pick("Oracle", "WebLogic Server", r"^Oracle \| WebLogic Server"),
    Pick("SAP", "NetWeaver", r"^SAP \| NetWeaver"),
)

# Asset kinds of the inventory contract, decided by the first matching rule over
# "vendor product" (case-insensitive).
KIND_RULES: tuple[tuple[str, str], ...] = (
    ("safety_controller", r"safety|GuardLogix|Triconex|\bSIS\b"),
    ("historian", r"historian|\bPI Server\b"),
    (
        "engineering_workstation",
        r"studio|workbench|TIA Portal|Totally Integrated Automation|\bSTEP ?7\b|GX Works"
        r"|Control Expert|VisiLogic|CODESYS|LabVIEW|Logix Designer|EasyBuilder|engineering",
    ),
    (
        "scada_server",
        r"SCADA|WinCC OA|\bPCS ?7\b|800xA|Experion|CENTUM|Ovation|FAST/TOOLS|GENESIS64|\bIGSS\b"
        r"|System ?Platform|SICAM PAS|SYS600|\bDCS\b",
    ),
    (
        "hmi",
        r"\bHMI\b|WinCC|PanelView|InTouch|FactoryTalk View|iFIX|SoftGOT|\bcMT\b|S\+ Operations"
        r"|operator (panel|terminal)|touch panel",
    ),
    (
        "iot",
        r"door|camera|\bNVR\b|\bLPR\b|access control|\beMerge\b|card reader|\bRF\d{3}|Spot Monitor"
        r"|Point-of-Care|infusion|sensor|\bPAC\d{4}\b|power meter",
    ),
    (
        "plc",
        r"\bPLC\b|Logix|\bS7-\d{3,4}\b|Modicon|MELSEC|PACSystems|\bPFC\d|\bDDC\d|Productivity ?\d"
        r"|DirectLogic|MICROSmart",
    ),
    ("rtu", r"\bRTU|TBox|STARDOM|SIPROTEC|protection relay|\bIED\b|flow computer|\bROC8\d\d"),
    (
        "network_device",
        r"SCALANCE|RUGGEDCOM|Stratix|router|switch|firewall|AirLink|ALEOS|Lynx|\bAF[SFR]6\d\d"
        r"|AE1021|\bNova \d|OneWireless|FortiOS|PAN-OS|\bIOS\b|Adaptive Security Appliance"
        r"|Connect Secure|NetScaler|BIG-IP|Junos|SonicOS|\bVPN\b",
    ),
    (
        "server",
        r"server|manager|\bNMS\b|MXview|Exchange|SharePoint|vCenter|ESXi|ActiveMQ|KEPServer"
        r"|MOVEit|Confluence|Backup|Device Master|\bPACS\b|Emergency Gateway|NetWeaver|WebLogic"
        r"|ScreenConnect|Data Center Expert|Remote Management System|C\WCURE",
    ),
    ("workstation", r"\bWindows\b|Chrome|\bOffice\b|\bIPC\d|workstation"),
)
KIND_PATTERNS = tuple((kind, re.compile(rx, re.IGNORECASE)) for kind, rx in KIND_RULES)

# ATT&CK for ICS techniques that read well in incident summaries (initial access to impact).
TECHNIQUE_IDS: tuple[str, ...] = (
    "T0819", "T0866", "T0822", "T0883", "T0865", "T0862", "T0847", "T0886", "T0859", "T0812",
    "T0807", "T0853", "T0889", "T0857", "T0872", "T0846", "T0888", "T0842", "T0867", "T0843",
    "T0801", "T0882", "T0861", "T0869", "T0885", "T0816", "T0878", "T0814", "T0809", "T0855",
    "T0836", "T0831", "T0832", "T0826", "T0827", "T0829", "T0828", "T0813", "T0880", "T0837",
)  # fmt: skip

# Sector notes of CSAF advisories (shared/data/README.md section 8), after case-folding,
# dropping "sector(s)" and punctuation, splitting on ";", "," and ":" and a leading "and".
SECTOR_VARIANTS: dict[str, tuple[str, ...]] = {
    "energy": ("energy", "oil and gas", "oil", "petrochemical"),
    "water": ("water and wastewater", "water and wastewater systems", "water", "wastewater"),
    "critical_manufacturing": (
        "critical manufacturing",
        "critical manufacturer",
        "critical manuacturing",
        "metals and mining",
        "materials",
    ),
    "chemical": ("chemical", "pharmaceutical"),
    "transportation": ("transportation systems", "transportation", "maritime"),
    "healthcare": (
        "healthcare and public health",
        "healthcare",
        "public health and health",
        "public health",
        "health",
        "life sciences",
    ),
    "government_facilities": (
        "government facilities",
        "government services and facilities",
        "government",
        "election infrastructure",
    ),
    "communications": ("communications", "communication", "telecommunications"),
    "financial_services": ("financial services", "finance services"),
    "commercial_facilities": (
        "commercial facilities",
        "comercial facilities",
        "commerical facilities",
        "commericial facilities",
    ),
    "nuclear": ("nuclear reactors materials and waste", "nuclear reactors", "nuclear facilities"),
    "dams": ("dams",),
    "defense_industrial_base": ("defense industrial base",),
    "emergency_services": ("emergency services",),
    "information_technology": ("information technology",),
    "food_agriculture": ("food and agriculture",),
}
ALL_SECTOR_TERMS = frozenset({"multiple", "multiple critical", "multiple industries"})
IGNORED_SECTOR_TERMS = frozenset({"critical infrastructure", "critical facilities", "waste"})


class InputError(Exception):
    """A source data set is missing or unreadable."""


def load_sector_ids(path: Path = SECTORS_TOML) -> tuple[str, ...]:
    """The 16 sector ids of config/sectors.toml, in file order."""
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


def classify_kind(vendor: str, product: str) -> str:
    """The asset kind of a product, from the first matching rule of `KIND_RULES`."""
    text = f"{vendor} {product}"
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return "other"


def cve_order(cve: str) -> tuple[int, int]:
    """(year, number) of a CVE id, for numeric ordering."""
    _, year, number = cve.split("-")
    return int(year), int(number)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


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
        "mapped to config/sectors.toml ids; 'Multiple' means every sector. IT products from KEV "
        "are run by every sector and list all 16."
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
    parser.add_argument("--sectors", type=Path, default=SECTORS_TOML, help="config/sectors.toml")
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
