"""`GET /v1/vocabulary`: the words the contract accepts and uses, for clients that build forms
and filters (the board does) instead of copying the lists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from awareness import vocabulary
from awareness.api.deps import SettingsDep
from awareness.ingest.schemas import AssetIn, IncidentIn

router = APIRouter(prefix="/v1", tags=["vocabulary"])


class Choice(BaseModel):
    """The values a field accepts, in the contract's order, and the one it takes when absent."""

    values: list[str]
    default: str | None


class Vocabulary(BaseModel):
    levels: list[str]
    warning_kinds: list[str]
    indicator_types: list[str]
    profile: str = Field(description="the sector profile: us-ppd21 or cn-cii")
    sectors: list[str]
    sector_names: dict[str, dict[str, str]] = Field(
        description='each sector\'s name per language: {"energy": {"en": "Energy", '
        '"zh-CN": "能源"}}; the ids never change with the language'
    )
    incident: dict[str, Choice]
    asset: dict[str, Choice]


def _choices(model: type[BaseModel], fields: dict[str, tuple[str, ...]]) -> dict[str, Choice]:
    found = {}
    for name, values in fields.items():
        default: Any = model.model_fields[name].default
        found[name] = Choice(values=list(values), default=default if default in values else None)
    return found


@router.get("/vocabulary", response_model=Vocabulary)
async def get_vocabulary(settings: SettingsDep) -> Vocabulary:
    """Levels lowest first, warning kinds, indicator types, the configured sectors, and the
    values of every enumerated field of incident and asset reports with their defaults. Needs
    no key: it is what `/openapi.json` says, gathered."""
    return Vocabulary(
        levels=list(vocabulary.LEVELS),
        warning_kinds=list(vocabulary.WARNING_KINDS),
        indicator_types=list(vocabulary.INDICATOR_TYPES),
        profile=settings.profile,
        sectors=list(settings.sectors.sectors),
        sector_names={
            sector: {"en": settings.sectors.name(sector)} | settings.sectors.names.get(sector, {})
            for sector in settings.sectors.sectors
        },
        incident=_choices(
            IncidentIn,
            {
                "category": vocabulary.CATEGORIES,
                "functional_impact": vocabulary.FUNCTIONAL_IMPACTS,
                "information_impact": vocabulary.INFORMATION_IMPACTS,
                "recoverability": vocabulary.RECOVERABILITIES,
                "location": vocabulary.LOCATIONS,
                "tlp": vocabulary.TLPS,
            },
        ),
        asset=_choices(
            AssetIn,
            {
                "kind": vocabulary.ASSET_KINDS,
                "criticality": vocabulary.CRITICALITIES,
                "location": vocabulary.LOCATIONS,
            },
        ),
    )
