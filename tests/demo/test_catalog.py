"""The packaged demo catalog: real products the demo builds inventories from.

Checks the shape the demo relies on (kinds of the asset contract, configured sector names,
well-formed CVE ids, KEV coverage so a campaign can warn other sectors) and that the licence
notices ship with it. Reads only the installed package and config/, never ../shared.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any, get_args

import pytest

from awareness.ingest.schemas import AssetIn, AssetKind

CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
ADVISORY = re.compile(r"^ICS(M)?A-\d{2}-\d{3}-\d{2}[A-Z]?$")
TECHNIQUE = re.compile(r"^T0\d{3}$")
SECTORS_TOML = Path(__file__).parents[2] / "config" / "profiles" / "us-ppd21.toml"


def _sectors() -> list[str]:
    with SECTORS_TOML.open("rb") as fh:
        return list(tomllib.load(fh)["sectors"])


SECTORS = _sectors()


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    resource = files("awareness.demo") / "catalog.json"
    return json.loads(resource.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def products(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    return catalog["products"]


def test_config_has_the_16_sectors() -> None:
    assert len(SECTORS) == len(set(SECTORS)) == 16


def test_catalog_is_small() -> None:
    resource = files("awareness.demo") / "catalog.json"
    assert len(resource.read_bytes()) < 200_000


def test_products_have_names_and_a_valid_kind(products: list[dict[str, Any]]) -> None:
    assert 60 <= len(products) <= 150
    kinds = set(get_args(AssetKind))
    for product in products:
        for name in ("vendor", "product"):
            assert isinstance(product[name], str), product
            assert product[name].strip(), product
        assert product["kind"] in kinds, product


def test_products_are_unique(products: list[dict[str, Any]]) -> None:
    names = Counter((p["vendor"], p["product"]) for p in products)
    assert [name for name, count in names.items() if count > 1] == []


def test_sectors_are_configured_names(products: list[dict[str, Any]]) -> None:
    for product in products:
        assert product["sectors"], product
        assert set(product["sectors"]) <= set(SECTORS), product


def test_cves_are_well_formed_and_kev_is_a_subset(products: list[dict[str, Any]]) -> None:
    for product in products:
        cves, kev = product["cves"], product["kev"]
        assert cves, product
        assert all(CVE.match(cve) for cve in cves), product
        assert all(CVE.match(cve) for cve in kev), product
        assert set(kev) <= set(cves), product
        assert isinstance(product["ransomware"], bool)
        assert not product["ransomware"] or kev, product


def test_advisory_and_cvss_are_well_formed(products: list[dict[str, Any]]) -> None:
    for product in products:
        assert product["advisory"] is None or ADVISORY.match(product["advisory"]), product
        assert product["cvss"] is None or 0.0 <= product["cvss"] <= 10.0, product
    assert sum(p["advisory"] is not None for p in products) >= len(products) // 2


@pytest.mark.parametrize("sector", SECTORS)
def test_every_sector_has_at_least_3_products(products: list[dict[str, Any]], sector: str) -> None:
    assert sum(sector in p["sectors"] for p in products) >= 3


def test_at_least_10_products_have_kev_cves(products: list[dict[str, Any]]) -> None:
    assert sum(bool(p["kev"]) for p in products) >= 10


def test_a_kev_cve_reaches_several_sectors(products: list[dict[str, Any]]) -> None:
    # The demo's campaign exploits one CVE in one sector and warns operators elsewhere.
    sectors_by_cve: dict[str, set[str]] = {}
    for product in products:
        for cve in product["kev"]:
            sectors_by_cve.setdefault(cve, set()).update(product["sectors"])
    assert max(len(s) for s in sectors_by_cve.values()) == len(SECTORS)


def test_products_fit_the_asset_contract(products: list[dict[str, Any]]) -> None:
    for index, product in enumerate(products):
        asset = AssetIn(
            asset_id=f"demo-{index}",
            kind=product["kind"],
            vendor=product["vendor"],
            product=product["product"],
            cves=product["cves"],
        )
        assert asset.cves == sorted(product["cves"])


def test_techniques(catalog: dict[str, Any]) -> None:
    techniques = catalog["techniques"]
    assert 20 <= len(techniques) <= 40
    assert len({t["id"] for t in techniques}) == len(techniques)
    for technique in techniques:
        assert TECHNIQUE.match(technique["id"]), technique
        assert technique["name"].strip(), technique
        assert technique["tactic"].strip(), technique


def test_sources_say_where_each_part_came_from(catalog: dict[str, Any]) -> None:
    sources = catalog["sources"]
    assert set(sources) == {"cisa_csaf_ot", "cisa_kev", "mitre_attack_ics"}
    for source in sources.values():
        assert source["repository"].startswith("https://github.com/")
        assert source["files"]
        assert source["licence"]
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", source["date"])


def test_notice_names_the_licences() -> None:
    notice = (files("awareness.demo") / "NOTICE.md").read_text(encoding="utf-8")
    assert "CC0" in notice
    assert "MITRE" in notice
    assert "The MITRE Corporation. This work is reproduced and distributed" in notice
    assert "CISA" in notice
    assert "endorse" in notice
