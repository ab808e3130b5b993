"""An asset (vendor, product, version, CVEs) matched against CSAF advisories and the KEV
catalogue, and the one place to import the advisory records and parsers from. Pure: records
in, hits out; which warnings to raise or withdraw is the caller's decision."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from awareness.scoring.csaf import (
    AFFECTED,
    FIXED,
    NOT_AFFECTED,
    Advisory,
    AdvisoryError,
    AffectedProduct,
    digest_of,
    parse_csaf,
)
from awareness.scoring.kev import KevEntry, parse_kev, parse_kev_entries
from awareness.scoring.vendors import (
    Aliases,
    covers,
    load_aliases,
    normalize,
    order_numbers,
    same_vendor,
)
from awareness.scoring.versions import VersionError, version_in

__all__ = [
    "AFFECTED", "FIXED", "NOT_AFFECTED", "Advisory", "AdvisoryError", "AffectedProduct",
    "Aliases", "Asset", "Hit", "KevEntry", "digest_of", "load_aliases", "match", "normalize",
    "parse_csaf", "parse_kev", "parse_kev_entries",
]  # fmt: skip

CSAF, KEV = "csaf", "kev"


@dataclass(frozen=True, slots=True)
class Asset:
    vendor: str | None
    product: str | None
    version: str | None
    cves: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    cve: str
    source: str  # "csaf" | "kev"
    advisory_id: str | None  # None for a KEV-only hit
    reason: str
    # What the advisory says to do for the product that matched.
    remediation: str | None = None


@dataclass(frozen=True, slots=True)
class _Names:
    vendor: str
    product: str
    codes: frozenset[str]  # order numbers written in the product name


def match(
    asset: Asset,
    advisories: Iterable[Advisory],
    kev: Mapping[str, KevEntry],
    *,
    aliases: Aliases,
) -> list[Hit]:
    """Every CVE the asset is exposed to, one hit per (CVE, source, advisory).

    CSAF: a product of the same vendor and product (or family) whose `known_affected`
    versions hold the asset's version, unless a `fixed` or `known_not_affected` entry for the
    same CVE holds it too; an asset without a version matches products listed for every
    version only. A range that cannot be read decides nothing. KEV: a CVE listed on the asset
    or matched through an advisory, or the entry's vendor and product, unless an advisory
    for that CVE shows the asset's version is not affected."""
    names = _asset_names(asset, aliases)
    version = (asset.version or "").strip() or None
    listed = {cve.strip().upper() for cve in asset.cves if cve.strip()}
    hits: dict[tuple[str, str, str | None], Hit] = {}
    refuted: set[str] = set()

    # Thousands of products name a few hundred vendors, and advisories repeat their products:
    # each vendor, and each vendor's product, is compared once.
    vendor_keys: dict[str, str | None] = {}
    products: dict[tuple[str, str], bool] = {}

    def add(
        cve: str, source: str, advisory_id: str | None, reason: str, remedy: str | None = None
    ) -> None:
        hits.setdefault((cve, source, advisory_id), Hit(cve, source, advisory_id, reason, remedy))

    def same(vendor: str, product: str) -> bool:
        if vendor not in vendor_keys:
            listed = normalize(vendor, aliases)
            vendor_keys[vendor] = listed if same_vendor(listed, names.vendor) else None
        key = vendor_keys[vendor]
        if key is None:
            return False
        if (key, product) not in products:
            products[key, product] = _same_product(key, product, names, aliases)
        return products[key, product]

    for advisory in advisories:
        mine = [p for p in advisory.products if same(p.vendor, p.product)]
        safe: set[str] = set()
        for product in mine:
            if product.status in {FIXED, NOT_AFFECTED} and _holds(version, product.versions):
                safe.update(product.cves)
        for product in mine:
            if product.status != AFFECTED:
                continue
            held = _holds(version, product.versions)
            for cve in product.cves:
                if cve in safe or (held is False and version is not None):
                    refuted.add(cve)
                elif held:
                    add(cve, CSAF, advisory.id, _reason(version, product), product.remediation)
        # A CVE the asset lists, in an advisory of its vendor (or the asset names none): an
        # advisory on another vendor's product that bundles the same component is not news
        # about this asset.
        if listed and (
            not names.vendor or any(vendor_keys.get(p.vendor) for p in advisory.products)
        ):
            for cve in sorted(listed.intersection(advisory.cves)):
                add(cve, CSAF, advisory.id, "CVE listed on the asset")
    matched = {hit.cve: hit.advisory_id for hit in hits.values()}
    # Cleared by one range of an advisory but held by another range or advisory: affected.
    refuted -= matched.keys()
    for cve in sorted(listed):
        if cve in kev:
            add(cve, KEV, None, "CVE listed on the asset")
    for cve, advisory_id in sorted(matched.items()):
        if cve in kev:
            add(cve, KEV, None, f"known exploited; affected per {advisory_id}")
    if names.vendor and names.product:
        for entry in kev.values():
            if entry.cve not in refuted and same(entry.vendor, entry.product):
                add(entry.cve, KEV, None, f"product {entry.vendor} {entry.product} in KEV")
    return sorted(hits.values(), key=lambda hit: (hit.cve, hit.source, hit.advisory_id or ""))


def _asset_names(asset: Asset, aliases: Aliases) -> _Names:
    vendor = normalize(asset.vendor, aliases) if asset.vendor else ""
    product = _product_key(asset.product or "", vendor, aliases)
    return _Names(vendor, product, order_numbers(asset.product or ""))


def _product_key(product: str, vendor: str, aliases: Aliases) -> str:
    """The product's key without the vendor's name in front ("Siemens SIMATIC CP")."""
    key = normalize(product, aliases) if product else ""
    if vendor and key.startswith(f"{vendor} "):
        key = normalize(key[len(vendor) + 1 :], aliases)
    return key


def _same_product(listed_vendor: str, product: str, names: _Names, aliases: Aliases) -> bool:
    """The listed product (of a vendor already known to be the asset's) covers the asset's."""
    # Two names that both carry an order number name the same hardware only if it is the
    # same number: "CPU 1510SP F-1 PN (6ES7510-1SJ00-0AB0)" is not the SK03 one.
    codes = order_numbers(product)
    if names.codes and codes and not names.codes & codes:
        return False
    return covers(_product_key(product, listed_vendor, aliases), names.product, aliases)


def _holds(version: str | None, versions: str | None) -> bool | None:
    """Does the version fall in the product's versions? None when undecidable: no version
    on the asset against a range, or a range or version that cannot be read."""
    if versions is None:
        return True
    if version is None:
        return None
    try:
        return version_in(version, versions)
    except VersionError:
        return None


def _reason(version: str | None, product: AffectedProduct) -> str:
    if product.versions is None:
        return f"every version of {product.vendor} {product.product} affected"
    return f"version {version} in {product.versions}"
