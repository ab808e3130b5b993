"""Administration over HTTP: register organizations and issue or revoke API keys. The first
admin key comes from `awareness keys create --role admin`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from awareness.api.body import documented_body, json_body
from awareness.api.components import Components
from awareness.api.deps import Admin, ComponentsDep
from awareness.api.pagination import RowId
from awareness.auth import keys, orgs
from awareness.auth.principal import Principal, Role
from awareness.errors import NotFound
from awareness.timestamps import UtcTime

router = APIRouter(prefix="/v1", tags=["administration"])
T = TypeVar("T")


class OrgIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(examples=["grid-north"])
    name: str = Field(examples=["Grid North Transmission"])
    sector: str = Field(examples=["energy"])
    region: str | None = None


class OrgOut(BaseModel):
    id: str
    name: str
    sector: str
    region: str | None
    created_at: UtcTime


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    org: str | None = Field(None, description="operators only: the organization it acts for")
    sectors: list[str] | None = Field(None, description="supervisors and responders; none = all")
    name: str | None = Field(None, max_length=200)


class KeyCreated(BaseModel):
    id: int
    key: str = Field(description="shown once; only its hash is stored")
    prefix: str
    role: Role


async def _administer(
    components: Components, principal: Principal, action: Callable[..., Awaitable[T]], **fields: Any
) -> T:
    """An administrative write (organization, key) in one transaction, by this admin."""
    async with components.database.write() as conn:
        return await action(
            conn, **fields, known_sectors=components.settings.sectors.sectors,
            now=components.clock.now(), actor=principal.actor,
        )  # fmt: skip


@router.post("/orgs", status_code=201, response_model=OrgOut, openapi_extra=documented_body(OrgIn))
async def create_org(
    principal: Admin, components: ComponentsDep, body: Annotated[OrgIn, Depends(json_body(OrgIn))]
) -> dict[str, Any]:
    """Register an operator organization."""
    return await _administer(
        components, principal, orgs.create_org, org_id=body.id, name=body.name,
        sector=body.sector, region=body.region,
    )  # fmt: skip


@router.get("/orgs", response_model=list[OrgOut])
async def list_orgs(principal: Admin, components: ComponentsDep) -> list[dict[str, Any]]:
    """Every registered organization."""
    async with components.database.read() as conn:
        return await orgs.list_orgs(conn)


@router.post(
    "/keys", status_code=201, response_model=KeyCreated, openapi_extra=documented_body(KeyIn)
)
async def create_key(
    principal: Admin, components: ComponentsDep, body: Annotated[KeyIn, Depends(json_body(KeyIn))]
) -> dict[str, Any]:
    """Issue an API key; the key is in this answer only."""
    created = await _administer(
        components, principal, keys.create_key, role=body.role, org_id=body.org,
        sectors=body.sectors, name=body.name,
    )  # fmt: skip
    return {"id": created.id, "key": created.key, "prefix": created.prefix, "role": body.role}


@router.delete("/keys/{key_id}", status_code=204)
async def revoke_key(key_id: RowId, principal: Admin, components: ComponentsDep) -> None:
    """Revoke a key. This replica refuses it at once and closes its feed sockets (4401); the
    other replicas within the key cache's lifetime and `feed.revocation_check_seconds`."""
    async with components.database.write() as conn:
        revoked = await keys.revoke_key(
            conn, key_id=key_id, now=components.clock.now(), actor=principal.actor
        )
    if not revoked:
        raise NotFound(f"no active key {key_id}")
    components.end_sessions({key_id})
