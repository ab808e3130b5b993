"""The warning board's endpoints: who the caller is, sector levels, coverage and exposure,
warnings and their acknowledgement, campaigns."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from awareness.api.deps import Anyone, ComponentsDep, DatabaseDep, Responder, SettingsDep, allow
from awareness.api.pagination import MAX_ID, Cursor, Limit, decode_cursor, page
from awareness.auth.principal import Principal, Role
from awareness.errors import FieldError, NotFound, ValidationFailed
from awareness.settings import Settings
from awareness.views.base import Page
from awareness.views.campaigns import CampaignView, list_campaigns
from awareness.views.coverage import (
    SectorCoverage,
    coverage_summaries,
    reads_coverage,
    sector_coverage,
)
from awareness.views.sectors import SectorDetail, SectorView, sector_detail, sector_overview
from awareness.views.vulnerabilities import SectorVulnerabilities, sector_vulnerabilities
from awareness.views.warnings import WarningView, list_warnings
from awareness.vocabulary import WarningKind, WarningState

router = APIRouter(prefix="/v1", tags=["board"])
# Coverage and exposure name a sector's operators: supervisors (of the sector asked) and admins.
Supervisor = Annotated[Principal, Depends(allow(Role.supervisor, Role.admin))]


class Me(BaseModel):
    role: Role
    org_id: str | None
    org_sector: str | None
    sectors: list[str] | None
    name: str | None
    key_id: int
    display: str = Field(description="how acknowledgements and timelines name this key")


def _known_sectors(settings: Settings, names: list[str], field: str) -> list[str]:
    known = set(settings.sectors.sectors)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValidationFailed([FieldError(field, f"unknown sector {n!r}") for n in unknown])
    return names


@router.get("/me", response_model=Me)
async def get_me(principal: Anyone) -> Me:
    """Who the key belongs to: role, organization and sector scope (null: every sector)."""
    return Me(
        role=principal.role,
        org_id=principal.org_id,
        org_sector=principal.org_sector,
        sectors=sorted(principal.sectors) if principal.sectors is not None else None,
        name=principal.name,
        key_id=principal.key_id,
        display=principal.display,
    )


@router.get("/sectors", response_model=Page[SectorView])
async def get_sectors(principal: Anyone, components: ComponentsDep) -> dict[str, Any]:
    """Every sector's current level, score, when it was last evaluated, and a 24-hour trend of
    its score (hourly, oldest first); to its supervisors and admins, its coverage in numbers."""
    settings = components.settings
    now = components.clock.now()
    async with components.database.read() as conn:
        items = await sector_overview(
            conn, sectors=settings.sectors, scoring=settings.scoring, now=now
        )
        coverage = await coverage_summaries(
            conn,
            [item.sector for item in items if reads_coverage(principal, item.sector)],
            inventory_days=settings.coverage.inventory_days,
            report_days=settings.coverage.report_days,
            now=now,
        )
    for item in items:
        item.coverage = coverage.get(item.sector)
    return {"items": items, "next": None}


@router.get("/sectors/{sector}", response_model=SectorDetail)
async def get_sector(sector: str, principal: Anyone, components: ComponentsDep) -> SectorDetail:
    """One sector: level, score, the evidence of its level (floors that hold, top incidents),
    recent level changes, campaigns touching it and its dependencies."""
    settings = components.settings
    if sector not in settings.sectors.sectors:
        raise NotFound(f"no sector {sector!r}")
    now = components.clock.now()
    async with components.database.read() as conn:
        detail = await sector_detail(
            conn, sector, sectors=settings.sectors, scoring=settings.scoring, now=now,
            principal=principal,
        )  # fmt: skip
        if reads_coverage(principal, sector):
            summaries = await coverage_summaries(
                conn,
                [sector],
                inventory_days=settings.coverage.inventory_days,
                report_days=settings.coverage.report_days,
                now=now,
            )
            detail.coverage = summaries[sector]
    return detail


@router.get("/sectors/{sector}/coverage", response_model=SectorCoverage)
async def get_sector_coverage(
    sector: str, principal: Supervisor, components: ComponentsDep
) -> SectorCoverage:
    """How many of a sector's operators keep an asset inventory current (an asset report within
    `coverage.inventory_days`) and report at all (any report within `coverage.report_days`),
    and the silent ones (neither) by id and name. For that sector's supervisors and admins; a
    sector outside a supervisor's scope is 404, as one that does not exist."""
    settings = components.settings
    if sector not in settings.sectors.sectors or not reads_coverage(principal, sector):
        raise NotFound(f"no sector {sector!r}")
    async with components.database.read() as conn:
        return await sector_coverage(
            conn,
            sector,
            inventory_days=settings.coverage.inventory_days,
            report_days=settings.coverage.report_days,
            now=components.clock.now(),
        )


@router.get("/sectors/{sector}/vulnerabilities", response_model=SectorVulnerabilities)
async def get_sector_vulnerabilities(
    sector: str, principal: Supervisor, components: ComponentsDep
) -> SectorVulnerabilities:
    """What a sector's operators are exposed to now: KEV entries added within
    `vulnerabilities.kev_recent_days` (newest first) and ICS advisories by criticality, each
    with the operators exposed and how many of their assets. It names operators as coverage
    does, so it has coverage's readers: that sector's supervisors and admins; a sector outside
    a supervisor's scope is 404, as one that does not exist."""
    settings = components.settings
    if sector not in settings.sectors.sectors or not reads_coverage(principal, sector):
        raise NotFound(f"no sector {sector!r}")
    async with components.database.read() as conn:
        return await sector_vulnerabilities(
            conn,
            sector,
            kev_recent_days=settings.vulnerabilities.kev_recent_days,
            now=components.clock.now(),
        )


@router.get("/warnings", response_model=Page[WarningView])
async def get_warnings(
    principal: Anyone,
    database: DatabaseDep,
    settings: SettingsDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="only warnings with seq > after")
    ] = None,
    sector: Annotated[list[str] | None, Query(description="repeatable")] = None,
    kind: Annotated[list[WarningKind] | None, Query(description="repeatable")] = None,
    acknowledged: bool | None = None,
    state: Annotated[
        list[WarningState] | None,
        Query(description="repeatable: new, acknowledged, responding, resolved"),
    ] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    order: Annotated[
        Literal["asc", "desc"], Query(description="asc: seq order (default); desc: newest first")
    ] = "asc",
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Warnings the caller may see, in `seq` order: supervisors and responders those of their
    sectors, operators those addressed to their organization and their sector's level
    warnings."""
    sectors = _known_sectors(settings, sector or [], "sector")
    position = decode_cursor(cursor)
    newest_first = order == "desc"
    async with database.read() as conn:
        rows = await list_warnings(
            conn,
            principal=principal,
            after=position if position is not None and not newest_first else after,
            before=position if newest_first else None,
            newest_first=newest_first,
            sectors=sectors,
            kinds=kind or [],
            acknowledged=acknowledged,
            states=state or [],
            assignee=assignee,
            limit=limit + 1,
        )
    return page(rows, limit=limit, position=lambda warning: warning.seq)


@router.get("/campaigns", response_model=Page[CampaignView])
async def get_campaigns(
    principal: Responder,
    database: DatabaseDep,
    settings: SettingsDep,
    active: bool | None = None,
    sector: Annotated[list[str] | None, Query(description="repeatable")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Indicators reported by several organizations, newest first, with how many organizations
    and which sectors (never which organizations)."""
    sectors = _known_sectors(settings, sector or [], "sector")
    async with database.read() as conn:
        rows = await list_campaigns(
            conn,
            principal=principal,
            sectors_filter=sectors,
            active=active,
            limit=limit + 1,
            before_id=decode_cursor(cursor),
        )
    return page(rows, limit=limit, position=lambda campaign: campaign.id)
