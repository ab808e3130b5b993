"""The warning board's endpoints: sector levels, warnings and their acknowledgement,
campaigns."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from awareness import acks, situation
from awareness.api.pagination import Cursor, Limit, decode_cursor, page
from awareness.auth.dependencies import ServicesDep, allow
from awareness.auth.principal import Principal, Role
from awareness.errors import FieldError, NotFound, ValidationFailed
from awareness.notify import EVENTS
from awareness.services import Services

router = APIRouter(prefix="/v1", tags=["board"])

Watcher = Annotated[
    Principal, Depends(allow(Role.supervisor, Role.responder, Role.operator, Role.admin))
]
Responder = Annotated[Principal, Depends(allow(Role.supervisor, Role.responder, Role.admin))]
Kind = Literal["sector_level", "campaign", "exposure"]


def _known_sectors(services: Services, names: list[str], field: str) -> list[str]:
    known = set(services.settings.sectors.sectors)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValidationFailed([FieldError(field, f"unknown sector {n!r}") for n in unknown])
    return names


@router.get("/me")
async def get_me(principal: Watcher) -> dict[str, Any]:
    """Who the key belongs to: role, organization and sector scope (null: every sector)."""
    return {
        "role": principal.role.value,
        "org_id": principal.org_id,
        "org_sector": principal.org_sector,
        "sectors": sorted(principal.sectors) if principal.sectors is not None else None,
        "name": principal.name,
    }


@router.get("/sectors")
async def get_sectors(principal: Watcher, services: ServicesDep) -> dict[str, Any]:
    """Every sector's current level, score, when it was last evaluated, and a 24-hour trend of
    its score (hourly, oldest first)."""
    async with services.database.read() as conn:
        items = await situation.sector_overview(
            conn,
            sectors=services.settings.sectors,
            scoring=services.settings.scoring,
            now=services.clock.now(),
        )
    return {"items": items, "next": None}


@router.get("/sectors/{sector}")
async def get_sector(sector: str, principal: Watcher, services: ServicesDep) -> dict[str, Any]:
    """One sector: level, score, the evidence of its level (floors that hold, top incidents),
    recent level changes, campaigns touching it and its dependencies."""
    if sector not in services.settings.sectors.sectors:
        raise NotFound(f"no sector {sector!r}")
    async with services.database.read() as conn:
        return await situation.sector_detail(
            conn,
            sector,
            sectors=services.settings.sectors,
            scoring=services.settings.scoring,
            now=services.clock.now(),
        )


@router.get("/warnings")
async def get_warnings(
    principal: Watcher,
    services: ServicesDep,
    after: Annotated[int | None, Query(ge=0, description="only warnings with seq > after")] = None,
    sector: Annotated[list[str] | None, Query(description="repeatable")] = None,
    kind: Annotated[list[Kind] | None, Query(description="repeatable")] = None,
    acknowledged: bool | None = None,
    order: Annotated[
        Literal["asc", "desc"], Query(description="asc: seq order (default); desc: newest first")
    ] = "asc",
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Warnings the caller may see, in `seq` order: supervisors and responders those of their
    sectors, operators those addressed to their organization and their sector's level
    warnings."""
    sectors = _known_sectors(services, sector or [], "sector")
    position = decode_cursor(cursor)
    newest_first = order == "desc"
    async with services.database.read() as conn:
        rows = await situation.list_warnings(
            conn,
            principal=principal,
            after=position if position is not None and not newest_first else after,
            before=position if newest_first else None,
            newest_first=newest_first,
            sectors=sectors,
            kinds=kind or [],
            acknowledged=acknowledged,
            limit=limit + 1,
        )
    return page(rows, limit=limit, key="seq")


@router.post("/warnings/{warning_id}/ack")
async def ack_warning(
    warning_id: int, principal: Responder, services: ServicesDep
) -> dict[str, Any]:
    """Acknowledge a warning: records who and when, once; acknowledging again changes nothing."""
    async with services.database.write() as conn:
        view, seq = await acks.acknowledge(
            conn, principal=principal, warning_id=warning_id, now=services.clock.now()
        )
    if view is None:
        raise NotFound(f"no warning {warning_id} in your scope")
    if seq is not None:
        services.metrics.counts.events += 1
        services.notifier.notify(EVENTS, seq)
    return view


@router.get("/campaigns")
async def get_campaigns(
    principal: Responder,
    services: ServicesDep,
    active: bool | None = None,
    sector: Annotated[list[str] | None, Query(description="repeatable")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Indicators reported by several organizations, newest first, with how many organizations
    and which sectors (never which organizations)."""
    sectors = _known_sectors(services, sector or [], "sector")
    async with services.database.read() as conn:
        rows = await situation.list_campaigns(
            conn,
            principal=principal,
            sectors_filter=sectors,
            active=active,
            limit=limit + 1,
            before_id=decode_cursor(cursor),
        )
    return page(rows, limit=limit)
