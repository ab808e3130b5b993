"""The hand-picked data of the demo catalog (products, keyword tables, sector spellings), read
from demo_catalog_picks.toml so that the lists can be reviewed and edited apart from the code."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("demo_catalog_picks.toml")


@dataclass(frozen=True)
class Pick:
    """A catalog product: display names and a regex over "<source vendor> | <source product>"."""

    vendor: str
    product: str
    match: str


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


_DATA = _load(DATA_FILE)

# OT/ICS products, matched against the CSAF product trees as "<vendor> | <product_name>".
OT_PICKS: tuple[Pick, ...] = tuple(Pick(**pick) for pick in _DATA["ot_picks"])
# IT products every sector runs, matched against KEV as "<vendorProject> | <product>".
IT_PICKS: tuple[Pick, ...] = tuple(Pick(**pick) for pick in _DATA["it_picks"])
# (kind, regex) in order: the first rule matching "vendor product" gives the asset kind.
KIND_RULES: tuple[tuple[str, str], ...] = tuple(
    (rule["kind"], "|".join(rule["keywords"])) for rule in _DATA["kind_rules"]
)
TECHNIQUE_IDS: tuple[str, ...] = tuple(_DATA["techniques"])
SECTOR_VARIANTS: dict[str, tuple[str, ...]] = {
    sector: tuple(variants) for sector, variants in _DATA["sectors"]["variants"].items()
}
ALL_SECTOR_TERMS = frozenset(_DATA["sectors"]["all"])
IGNORED_SECTOR_TERMS = frozenset(_DATA["sectors"]["ignored"])
# SHA-256 of a data-set file -> {"commit", "commit_date"} of its upstream snapshot.
KNOWN_SNAPSHOTS: dict[str, dict[str, str]] = _DATA["snapshots"]
