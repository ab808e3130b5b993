"""`GET /v1/audit`: the audit trail for admins, newest first, filtered and paged like every list;
and the one call export routes make to record what a key read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from awareness.api.components import Components
from awareness.api.deps import Admin, ComponentsDep
from awareness.api.pagination import Cursor, Limit, decode_cursor, page
from awareness.auth import audit
from awareness.auth.principal import Principal
from awareness.errors import FieldError, ValidationFailed
from awareness.timestamps import UtcTime, time_from_json
from awareness.views.base import Page

router = APIRouter(prefix="/v1", tags=["administration"])


class AuditRecord(BaseModel):
    id: int
    at: UtcTime
    actor: str = Field(description="`key:ID`, `cli`, `address:IP` for refused authentications")
    action: str = Field(examples=["org.create", "key.revoke", "warning.ack", "export.read"])
    target: str | None
    org_id: str | None
    details: dict[str, Any] | None
    request_id: str | None
    hash: str = Field(description="SHA-256 of this record's fields and `prev_hash`")
    prev_hash: str = Field(description="the hash of the record before it")


def _time(text: str | None, name: str) -> datetime | None:
    """An RFC 3339 time with an offset; numbers and local times are refused, naming the
    parameter (pydantic would read `0.5` as a Unix time)."""
    if text is None:
        return None
    try:
        return time_from_json(text, name)
    except ValueError:
        raise ValidationFailed(
            [FieldError(name, "give an RFC 3339 time with an offset, e.g. 2026-12-01T08:00:00Z")]
        ) from None


_TIME = {"format": "date-time", "examples": ["2026-12-01T08:00:00Z"]}


@router.get("/audit", response_model=Page[AuditRecord])
async def list_audit(
    principal: Admin,
    components: ComponentsDep,
    actor: Annotated[str | None, Query(description="e.g. key:3, cli")] = None,
    action: Annotated[str | None, Query(description="e.g. key.create, export.read")] = None,
    org: Annotated[str | None, Query(description="an organization's id")] = None,
    since: Annotated[
        str | None, Query(description="at or after this time", json_schema_extra=_TIME)
    ] = None,
    until: Annotated[
        str | None, Query(description="before this time", json_schema_extra=_TIME)
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Who did what, when: administration, the response to warnings, subscription changes,
    export reads and refused authentications, newest first. `awareness audit verify` checks
    the hash chain these records form."""
    filters = audit.Filters(
        actor=actor, action=action, org_id=org,
        since=_time(since, "since"), until=_time(until, "until"),
    )  # fmt: skip
    async with components.database.read() as conn:
        rows = await audit.records(
            conn, filters=filters, before_id=decode_cursor(cursor), limit=limit + 1
        )
    return page([AuditRecord.model_validate(dict(row)) for row in rows], limit=limit,
                position=lambda record: record.id)  # fmt: skip


async def record_read(
    components: Components, principal: Principal, *, route: str, collection: str, count: int
) -> None:
    """An export read, recorded before its answer leaves: a read that cannot be recorded
    fails (503) rather than go unaudited."""
    await audit.record_read(
        components.database, at=components.clock.now(), actor=principal.actor, route=route,
        collection=collection, count=count, org_id=principal.org_id,
    )  # fmt: skip
