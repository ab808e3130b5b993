"""The demo's cast: fictitious operators across the sectors, each with an inventory of real
products from the packaged catalog (CISA ICS advisories and KEV), drawn reproducibly."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

# (id, name, sector): invented names; several per sector that the scenario targets.
OPERATORS: tuple[tuple[str, str, str], ...] = (
    ("northgrid", "Northgrid Transmission", "energy"),
    ("valley-power", "Valley Power Cooperative", "energy"),
    ("harbor-gas", "Harbor Gas Distribution", "energy"),
    ("sunfield-solar", "Sunfield Solar Farms", "energy"),
    ("coastal-electric", "Coastal Electric Utility", "energy"),
    ("ridge-hydro", "Ridge Hydro Generation", "energy"),
    ("riverside-water", "Riverside Water Authority", "water"),
    ("lakeshore-utilities", "Lakeshore Utilities", "water"),
    ("metro-wastewater", "Metro Wastewater District", "water"),
    ("telnet-east", "Telnet East Carrier", "communications"),
    ("skyline-mobile", "Skyline Mobile", "communications"),
    ("fiberlink", "Fiberlink Backbone", "communications"),
    ("st-anne-hospital", "St. Anne Regional Hospital", "healthcare"),
    ("bayview-health", "Bayview Health System", "healthcare"),
    ("central-rail", "Central Rail Freight", "transportation"),
    ("port-authority", "Port Authority of Eastbay", "transportation"),
    ("first-civic-bank", "First Civic Bank", "financial_services"),
    ("clearing-house", "National Clearing House", "financial_services"),
    ("agrimill", "Agrimill Cooperative", "food_agriculture"),
    ("polychem", "Polychem Works", "chemical"),
    ("steelform", "Steelform Manufacturing", "critical_manufacturing"),
    ("upper-dam", "Upper Basin Dam Authority", "dams"),
    ("cityworks-it", "Cityworks IT Services", "information_technology"),
    ("county-911", "County 911 Dispatch", "emergency_services"),
    ("state-agency", "State Services Agency", "government_facilities"),
    ("arena-group", "Arena Group Venues", "commercial_facilities"),
    ("defense-parts", "Defense Parts Supply", "defense_industrial_base"),
    ("atomic-station", "Northshore Nuclear Station", "nuclear"),
)
# The cn-cii profile's cast (config/profiles/cn-cii.toml): invented names, as many per sector
# as the campaign needs.
CN_OPERATORS: tuple[tuple[str, str, str], ...] = (
    ("beifang-grid", "北方电网输电公司", "energy"),
    ("huadong-power", "华东电力集团", "energy"),
    ("binhai-gas", "滨海燃气公司", "energy"),
    ("dongfang-solar", "东方光伏电站", "energy"),
    ("shanbei-power", "陕北煤电公司", "energy"),
    ("xijiang-hydro", "西江水电站", "energy"),
    ("changhe-water", "长河水利管理局", "water_conservancy"),
    ("huxi-reservoir", "湖西水库管理处", "water_conservancy"),
    ("chengshi-water", "城市供水集团", "water_conservancy"),
    ("zhongxin-telecom", "众信通信", "telecom"),
    ("tianyun-mobile", "天云移动", "telecom"),
    ("guanglian-backbone", "光联骨干网", "telecom"),
    ("jinghai-rail", "京海铁路货运", "transportation"),
    ("donggang-port", "东港港务集团", "transportation"),
    ("yunhang-airport", "云航机场集团", "transportation"),
    ("renhe-bank", "仁和银行", "finance"),
    ("huaxin-clearing", "华信清算公司", "finance"),
    ("anping-hospital", "安平市人民医院", "public_services"),
    ("minsheng-health", "民生医疗集团", "public_services"),
    ("city-emergency", "市急救指挥中心", "public_services"),
    ("zhengwu-cloud", "省政务云平台", "e_government"),
    ("shimin-portal", "市民服务平台", "e_government"),
    ("hangke-parts", "航科零部件厂", "defense_industry"),
    ("jingmi-works", "精密制造研究所", "defense_industry"),
)
CASTS = {"us-ppd21": OPERATORS, "cn-cii": CN_OPERATORS}
# The catalogue names the sectors running a product by PPD-21 id (tools/build_demo_catalog.py):
# a cn-cii sector runs the products of these.
CATALOG_SECTORS: dict[str, tuple[str, ...]] = {
    "telecom": ("communications", "information_technology"),
    "energy": ("energy", "nuclear"),
    "transportation": ("transportation",),
    "water_conservancy": ("water", "dams"),
    "finance": ("financial_services",),
    "public_services": ("healthcare", "emergency_services", "commercial_facilities"),
    "e_government": ("government_facilities", "information_technology"),
    "defense_industry": ("defense_industrial_base", "critical_manufacturing"),
}
CRITICALITY = ("low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Product:
    vendor: str
    product: str
    kind: str
    sectors: tuple[str, ...]
    cves: tuple[str, ...]
    kev: tuple[str, ...]


@dataclass
class Operator:
    org_id: str
    name: str
    sector: str
    assets: list[dict[str, Any]] = field(default_factory=list)

    def asset_running(self, product: Product) -> str | None:
        for asset in self.assets:
            if (asset["vendor"], asset["product"]) == (product.vendor, product.product):
                return str(asset["asset_id"])
        return None


@cache
def catalog() -> tuple[Product, ...]:
    text = resources.files("awareness.demo").joinpath("catalog.json").read_text("utf-8")
    return tuple(
        Product(
            p["vendor"],
            p["product"],
            p["kind"],
            tuple(p["sectors"]),
            tuple(p["cves"]),
            tuple(p["kev"]),
        )
        for p in json.loads(text)["products"]
    )


def techniques() -> list[dict[str, str]]:
    text = resources.files("awareness.demo").joinpath("catalog.json").read_text("utf-8")
    return list(json.loads(text)["techniques"])


def cast(*, seed: int, exploited: Product, profile: str = "us-ppd21") -> list[Operator]:
    """Every operator of the profile's cast with four to seven assets of its sector's products.
    The exploited product runs at most operators of every sector, so the campaign has somewhere
    to spread."""
    rng = random.Random(seed)
    operators = []
    for org_id, name, sector in CASTS[profile]:
        runs = set(CATALOG_SECTORS.get(sector, (sector,)))
        usable = [p for p in catalog() if runs & set(p.sectors) and p != exploited]
        chosen = rng.sample(usable, k=min(len(usable), rng.randint(4, 7)))
        if rng.random() < 0.7:
            chosen.append(exploited)
        operator = Operator(org_id, name, sector)
        for number, product in enumerate(chosen, start=1):
            operator.assets.append(
                {
                    "asset_id": f"{product.kind.replace('_', '-')}-{number:02d}",
                    "name": f"{product.vendor} {product.product}",
                    "kind": product.kind,
                    "vendor": product.vendor,
                    "product": product.product,
                    "criticality": rng.choice(CRITICALITY),
                    "internet_exposed": product.kind in ("network_device", "server"),
                    "cves": list(product.cves[:3]),
                    "location": "critical_systems"
                    if product.kind in ("plc", "rtu", "hmi", "scada_server", "safety_controller")
                    else "business_network",
                }
            )
        operators.append(operator)
    return operators


def exploited_product() -> Product:
    """The product the campaign exploits: a remote-access appliance with known exploitation
    that every sector runs (the catalog's KEV products include several)."""
    for product in catalog():
        if product.vendor == "Fortinet" and product.product == "FortiOS":
            return product
    return next(p for p in catalog() if p.kev and len(p.sectors) > 10)
