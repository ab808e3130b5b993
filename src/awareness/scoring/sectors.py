"""Sectors and who depends on whom (`config/profiles/*.toml`), validated and expanded into a
matrix; the defaults are docs/scoring.md section 7 (PPD-21 sectors)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

WILDCARD = "*"
_SECTOR_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

PPD21_SECTORS = (
    "chemical",
    "commercial_facilities",
    "communications",
    "critical_manufacturing",
    "dams",
    "defense_industrial_base",
    "emergency_services",
    "energy",
    "financial_services",
    "food_agriculture",
    "government_facilities",
    "healthcare",
    "information_technology",
    "nuclear",
    "transportation",
    "water",
)


class Strength(StrEnum):
    STRONG = "strong"
    MODERATE = "moderate"


class DependencyRule(BaseModel):
    """Sectors that depend on one provider; `"*"` in a list means every sector not named."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strong: tuple[str, ...] = ()
    moderate: tuple[str, ...] = ()


def _default_dependencies() -> dict[str, DependencyRule]:
    return {
        "energy": DependencyRule(
            strong=(
                "water",
                "communications",
                "healthcare",
                "emergency_services",
                "transportation",
                "dams",
                "nuclear",
                "information_technology",
            ),
            moderate=(WILDCARD,),
        ),
        "communications": DependencyRule(
            strong=(
                "financial_services",
                "emergency_services",
                "information_technology",
                "energy",
            ),
            moderate=(WILDCARD,),
        ),
        "water": DependencyRule(
            strong=("healthcare", "food_agriculture", "chemical"),
            moderate=("energy", "emergency_services", "commercial_facilities"),
        ),
        "transportation": DependencyRule(
            moderate=(
                "energy",
                "chemical",
                "food_agriculture",
                "healthcare",
                "critical_manufacturing",
            ),
        ),
        "information_technology": DependencyRule(
            strong=("financial_services",),
            moderate=("communications", "government_facilities", "healthcare"),
        ),
    }


class SectorsConfig(BaseModel):
    """Root of a profile, `config/profiles/*.toml`: `dependencies.<provider>` lists the sectors
    leaning on it, `names` what readers call each sector in each language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sectors: tuple[str, ...] = PPD21_SECTORS
    dependencies: dict[str, DependencyRule] = Field(default_factory=_default_dependencies)
    # sector -> language tag ("en", "zh-CN") -> the name readers see; ids never change.
    names: dict[str, dict[str, str]] = Field(default_factory=dict)
    # provider -> dependent -> strength, with wildcards expanded
    _matrix: dict[str, dict[str, Strength]] = PrivateAttr(default_factory=dict)
    # dependent -> provider -> strength: the same facts, read for every sector at every tick
    _providers: dict[str, dict[str, Strength]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _expand(self) -> Self:
        if not self.sectors:
            raise ValueError("sectors: at least one sector is needed")
        for name in self.sectors:
            if not _SECTOR_NAME.match(name):
                raise ValueError(f"sectors: {name!r} is not a lower-case identifier")
        if len(set(self.sectors)) != len(self.sectors):
            raise ValueError("sectors: a sector is listed twice")
        for name, languages in self.names.items():
            if name not in self.sectors:
                raise ValueError(f"names.{name}: unknown sector {name!r}")
            if not languages.get("en"):
                raise ValueError(f"names.{name}: an English name (en) is needed")
        self._matrix = {
            provider: self._expand_rule(provider, rule)
            for provider, rule in self.dependencies.items()
        }
        self._providers = {
            dependent: {
                provider: dependents[dependent]
                for provider, dependents in self._matrix.items()
                if dependent in dependents
            }
            for dependent in self.sectors
        }
        return self

    def name(self, sector: str, language: str = "en") -> str:
        """The sector's name in a language, else in English, else its id in words."""
        names = self.names.get(sector, {})
        return names.get(language) or names.get("en") or sector.replace("_", " ").capitalize()

    def _expand_rule(self, provider: str, rule: DependencyRule) -> dict[str, Strength]:
        where = f"dependencies.{provider}"
        if provider not in self.sectors:
            raise ValueError(f"{where}: unknown sector {provider!r}")
        if WILDCARD in rule.strong and WILDCARD in rule.moderate:
            raise ValueError(f"{where}: '*' may appear in only one of strong and moderate")
        named: dict[str, Strength] = {}
        for strength, names in ((Strength.STRONG, rule.strong), (Strength.MODERATE, rule.moderate)):
            for name in names:
                if name == WILDCARD:
                    continue
                if name not in self.sectors:
                    raise ValueError(f"{where}.{strength}: unknown sector {name!r}")
                if name == provider:
                    raise ValueError(f"{where}.{strength}: a sector cannot depend on itself")
                if name in named:
                    raise ValueError(f"{where}: {name!r} is listed more than once")
                named[name] = strength
        for strength, names in ((Strength.STRONG, rule.strong), (Strength.MODERATE, rule.moderate)):
            if WILDCARD in names:
                for name in self.sectors:
                    if name != provider and name not in named:
                        named[name] = strength
        return named

    def dependents_of(self, provider: str) -> dict[str, Strength]:
        """Sectors that depend on `provider`, with how strongly."""
        self._require_known(provider)
        return dict(self._matrix.get(provider, {}))

    def providers_of(self, dependent: str) -> dict[str, Strength]:
        """Sectors that `dependent` depends on, with how strongly."""
        self._require_known(dependent)
        return dict(self._providers[dependent])

    def strength(self, dependent: str, provider: str) -> Strength | None:
        self._require_known(dependent)
        return self.dependents_of(provider).get(dependent)

    def _require_known(self, sector: str) -> None:
        if sector not in self.sectors:
            raise ValueError(f"unknown sector {sector!r}")
