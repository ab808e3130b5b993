"""What one matching pass means for operators: which findings are news (never warned of, or
their advisory or KEV entry changed since), which are gone (the asset is no longer affected),
how the news becomes warnings (one per organization and topic: an advisory, or the product
the operator runs for KEV entries no advisory of the pass covers, since the catalogue lists
every exploited CVE of a product, under many names, and one warning per CVE would bury the
operator), and each warning's level, title and evidence. Pure: rows in, decisions out; the
matcher reads and writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from awareness.scoring.advisories import CSAF, KEV
from awareness.scoring.config import VulnerabilityConfig
from awareness.scoring.levels import Level

Key = tuple[str, str, str, str, str]  # (org, asset, CVE, source, advisory id or "")
# Assets named in a title; the evidence lists every one.
TITLE_ASSETS = 3


@dataclass(frozen=True, slots=True)
class Finding:
    """One CVE an asset is exposed to, by one source: as the matcher found it now."""

    org_id: str
    asset_id: str
    cve: str
    source: str  # "csaf" | "kev"
    advisory_id: str  # "" for a KEV entry
    digest: str  # of the advisory or KEV entry: another one means it changed
    reason: str
    remediation: str | None = None
    # What a warning of it is about: the advisory's id, or "kev:" and the asset's product.
    topic: str = ""

    @property
    def key(self) -> Key:
        return (self.org_id, self.asset_id, self.cve, self.source, self.advisory_id)

    @property
    def about(self) -> str:
        return self.topic or self.advisory_id or f"{KEV}:{self.cve}"


def kev_topic(vendor_key: str, product_key: str) -> str:
    """The topic of KEV findings: the vendor and product the asset runs, as normalized keys."""
    return f"{KEV}:{vendor_key}/{product_key}"[:300]


@dataclass(frozen=True, slots=True)
class Known:
    """A finding already warned of (a stored row), and the warning that told it."""

    org_id: str
    asset_id: str
    cve: str
    source: str
    advisory_id: str
    digest: str
    warning_id: int

    @property
    def key(self) -> Key:
        return (self.org_id, self.asset_id, self.cve, self.source, self.advisory_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    news: list[Finding]  # to warn of
    updated: frozenset[Key]  # those of the news warned of before, under another digest
    gone: list[Known]  # no longer found: the asset is not affected any more
    replaced: list[Known]  # warned of under another digest: their news supersede them


def compare(found: Iterable[Finding], known: Iterable[Known]) -> Outcome:
    """The pass against what was warned of before, for the same assets."""
    before = {row.key: row for row in known}
    now = {finding.key: finding for finding in found}
    news = [
        f for key, f in sorted(now.items()) if key not in before or before[key].digest != f.digest
    ]
    replaced = [before[f.key] for f in news if f.key in before]
    gone = [row for key, row in sorted(before.items()) if key not in now]
    return Outcome(news, frozenset(row.key for row in replaced), gone, replaced)


def group_key(group: Sequence[Finding]) -> str:
    """What a warning is about: its advisory, or the product its KEV entries were found in."""
    return _advisory(group) or group[0].about


def groups(news: Sequence[Finding]) -> list[list[Finding]]:
    """One warning per organization and topic. A KEV finding goes with an advisory of the
    same organization and CVE warned of in this pass, else with the KEV findings of the same
    product run."""
    by_group: dict[tuple[str, str], list[Finding]] = {}
    advisory_of: dict[tuple[str, str], str] = {}
    for finding in news:
        if finding.source == CSAF:
            advisory_of.setdefault((finding.org_id, finding.cve), finding.advisory_id)
    for finding in news:
        if finding.source == CSAF:
            group = finding.advisory_id
        else:
            group = advisory_of.get((finding.org_id, finding.cve), finding.about)
        by_group.setdefault((finding.org_id, group), []).append(finding)
    return [found for _, found in sorted(by_group.items())]


@dataclass(frozen=True, slots=True)
class KevFacts:
    name: str
    date_added: date
    due_date: date | None
    ransomware: bool
    action: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "date_added": self.date_added.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "ransomware": self.ransomware,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class AdvisoryFacts:
    id: str
    title: str
    criticality: str


@dataclass(frozen=True, slots=True)
class AssetFacts:
    asset_id: str
    vendor: str | None
    product: str | None
    version: str | None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the pass read about the CVEs, advisories and assets of its findings."""

    kev: Mapping[str, KevFacts] = field(default_factory=dict)
    advisories: Mapping[str, AdvisoryFacts] = field(default_factory=dict)
    assets: Mapping[tuple[str, str], AssetFacts] = field(default_factory=dict)


def level_of(group: Sequence[Finding], facts: Facts, *, cfg: VulnerabilityConfig) -> Level:
    """The worst of: each KEV entry's (used by ransomware or not), the advisory's criticality."""
    levels = [Level.BLUE]
    for finding in group:
        kev = facts.kev.get(finding.cve)
        if kev is not None:
            levels.append(cfg.kev_ransomware if kev.ransomware else cfg.kev)
        advisory = facts.advisories.get(finding.advisory_id)
        if advisory is not None:
            levels.append(_by_criticality(cfg).get(advisory.criticality, cfg.none))
    return max(levels)


def _by_criticality(cfg: VulnerabilityConfig) -> dict[str, Level]:
    return {"critical": cfg.critical, "high": cfg.high, "medium": cfg.medium, "low": cfg.low}


def _advisory(group: Sequence[Finding]) -> str | None:
    return next((f.advisory_id for f in group if f.source == CSAF), None)


def _cves(group: Sequence[Finding]) -> list[str]:
    return sorted({finding.cve for finding in group})


def _assets(group: Sequence[Finding]) -> list[str]:
    return sorted({finding.asset_id for finding in group})


def _product(group: Sequence[Finding], facts: Facts) -> str | None:
    """The vendor and product of the group's first asset that names them."""
    for org_id, asset_id in sorted({(f.org_id, f.asset_id) for f in group}):
        asset = facts.assets.get((org_id, asset_id))
        if asset is not None and asset.product:
            return " ".join(part for part in (asset.vendor, asset.product) if part)
    return None


def title_of(group: Sequence[Finding], facts: Facts, *, updated: bool) -> str:
    """ "Known exploited CVE-2024-1234 (used by ransomware) in Siemens SIMATIC S7-1500: asset
    plc-1; ICSA-24-123-01 Siemens SIMATIC": what, where, and which advisory says so."""
    cves = _cves(group)
    exploited = [cve for cve in cves if cve in facts.kev]
    ransomware = any(facts.kev[cve].ransomware for cve in exploited)
    if exploited:
        # The newest entry of the catalogue first: the news.
        exploited.sort(key=lambda cve: (facts.kev[cve].date_added, cve), reverse=True)
        what = f"Known exploited {exploited[0]}"
        if len(exploited) > 1:
            what += f" and {len(exploited) - 1} more"
        if ransomware:
            what += " (used by ransomware)"
        others = len(cves) - len(exploited)
        if others:
            what += f", {others} more CVE{'s' if others > 1 else ''}"
    elif len(cves) == 1:
        what = f"Vulnerability {cves[0]}"
    else:
        what = f"{len(cves)} vulnerabilities"
    product = _product(group, facts)
    assets = _assets(group)
    named = ", ".join(assets[:TITLE_ASSETS]) + (" and more" if len(assets) > TITLE_ASSETS else "")
    title = f"{what} in {product or 'your assets'}: asset{'s' if len(assets) > 1 else ''} {named}"
    advisory_id = _advisory(group)
    if advisory_id is not None:
        advisory = facts.advisories.get(advisory_id)
        title += f"; {advisory_id}" + (f" {advisory.title}" if advisory else "")
    return ("Updated: " if updated else "") + title


def evidence_of(group: Sequence[Finding], facts: Facts, *, updated: bool) -> dict[str, Any]:
    """What the operator needs to act: each CVE with its KEV dates and ransomware use, the
    advisory with its remediation, and each asset concerned with its version and why."""
    advisory_id = _advisory(group)
    advisory: dict[str, Any] | None = None
    if advisory_id is not None:
        known = facts.advisories.get(advisory_id)
        remedies = sorted({f.remediation for f in group if f.remediation})
        advisory = {
            "id": advisory_id,
            "title": known.title if known else None,
            "criticality": known.criticality if known else None,
            "remediation": remedies,
        }
    vulnerabilities = []
    for cve in _cves(group):
        kev = facts.kev.get(cve)
        named = sorted({f.advisory_id for f in group if f.cve == cve and f.advisory_id})
        vulnerabilities.append(
            {"cve": cve, "kev": kev.to_json() if kev else None, "advisories": named}
        )
    assets = []
    for org_id, asset_id in sorted({(f.org_id, f.asset_id) for f in group}):
        mine = [f for f in group if (f.org_id, f.asset_id) == (org_id, asset_id)]
        asset = facts.assets.get((org_id, asset_id))
        assets.append(
            {
                "asset_id": asset_id,
                "vendor": asset.vendor if asset else None,
                "product": asset.product if asset else None,
                "version": asset.version if asset else None,
                "cves": sorted({f.cve for f in mine}),
                "reasons": sorted({f.reason for f in mine}),
            }
        )
    return {
        "org_id": group[0].org_id,
        "advisory": advisory,
        "vulnerabilities": vulnerabilities,
        "assets": assets,
        "updated": updated,
    }


def withdrawal_note(gone: Sequence[Known], facts: Facts, *, partial: bool = False) -> str:
    """Why findings of a warning went (all of them, or `partial`ly): the assets, and the
    versions they run now."""
    parts = []
    for org_id, asset_id in sorted({(row.org_id, row.asset_id) for row in gone}):
        asset = facts.assets.get((org_id, asset_id))
        if asset is None:
            parts.append(f"{asset_id} is no longer in the inventory")
        elif asset.version:
            parts.append(f"{asset_id} now runs {asset.version}")
        else:
            parts.append(f"{asset_id} no longer matches")
    if partial:
        return "No longer affected: " + "; ".join(parts)
    return "Withdrawn: no asset is affected any more (" + "; ".join(parts) + ")"
