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


def cast(*, seed: int, exploited: Product) -> list[Operator]:
    """Every operator with four to seven assets of its sector's products. The exploited product
    runs at most operators of every sector, so the campaign has somewhere to spread."""
    rng = random.Random(seed)
    operators = []
    for org_id, name, sector in OPERATORS:
        usable = [p for p in catalog() if sector in p.sectors and p != exploited]
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
