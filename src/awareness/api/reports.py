"""Report endpoints: incidents and assets in, scoped lists and records out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from awareness.api.body import documented_body, json_body
from awareness.api.clocks import ClockRulesDep, with_clocks
from awareness.api.components import Components
from awareness.api.deps import DatabaseDep, IngestDep, Operator, ReportReader
from awareness.api.pagination import Cursor, Limit, RowId, decode_cursor, page
from awareness.errors import NotFound
from awareness.ingest.idempotency import Outcome
from awareness.ingest.schemas import (
    AssetBatchIn,
    AssetBatchWritten,
    AssetIn,
    IncidentBatchCreated,
    IncidentBatchIn,
    IncidentCreated,
    IncidentIn,
)
from awareness.ingest.submit import validation_context
from awareness.views.assets import AssetView, AssetWriteResult, list_assets
from awareness.views.base import Page
from awareness.views.incidents import IncidentView, get_incident, list_incidents

router = APIRouter(prefix="/v1", tags=["reports"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retry-safe key: the same key and body return the first answer again",
    ),
]


def _context(components: Components) -> dict[str, Any]:
    return validation_context(components.settings, now=components.clock.now())


IncidentBody = Annotated[IncidentIn, Depends(json_body(IncidentIn, _context))]
IncidentBatchBody = Annotated[IncidentBatchIn, Depends(json_body(IncidentBatchIn, _context))]
AssetBody = Annotated[AssetIn, Depends(json_body(AssetIn, _context))]
AssetBatchBody = Annotated[AssetBatchIn, Depends(json_body(AssetBatchIn, _context))]


def _answer(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@router.post(
    "/incidents",
    status_code=201,
    response_model=IncidentCreated,
    openapi_extra=documented_body(IncidentIn),
)
async def post_incident(
    principal: Operator, body: IncidentBody, ingest: IngestDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Submit one incident report; answered once it is durable."""
    return _answer(await ingest.incidents(body, principal=principal, key=key))


@router.post(
    "/incidents/batch",
    status_code=201,
    response_model=IncidentBatchCreated,
    openapi_extra=documented_body(IncidentBatchIn),
)
async def post_incident_batch(
    principal: Operator,
    body: IncidentBatchBody,
    ingest: IngestDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Up to 1,000 incidents in one transaction: all stored, or none."""
    return _answer(await ingest.incidents(body, principal=principal, key=key))


@router.get("/incidents", response_model=Page[IncidentView])
async def get_incidents(
    principal: ReportReader,
    database: DatabaseDep,
    rules: ClockRulesDep,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Incidents in the caller's scope, newest first, each with its reporting clocks."""
    async with database.read() as conn:
        rows = await list_incidents(
            conn, principal=principal, limit=limit + 1, before_id=decode_cursor(cursor)
        )
        rows = await with_clocks(conn, rows, rules=rules)
    return page(rows, limit=limit, position=lambda incident: incident.id)


@router.get("/incidents/{incident_id:int}", response_model=IncidentView)
async def get_one_incident(
    incident_id: RowId, principal: ReportReader, database: DatabaseDep, rules: ClockRulesDep
) -> IncidentView:
    """One incident, with its reporting clocks."""
    async with database.read() as conn:
        found = await get_incident(conn, principal=principal, incident_id=incident_id)
        if found is None:
            raise NotFound(f"no incident {incident_id} in your scope")
        return (await with_clocks(conn, [found], rules=rules))[0]


@router.post(
    "/assets",
    status_code=201,
    response_model=AssetWriteResult,
    openapi_extra=documented_body(AssetIn),
)
async def post_asset(
    principal: Operator, body: AssetBody, ingest: IngestDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Create (201) or replace (200) one asset of the caller's inventory, keyed by `asset_id`."""
    return _answer(await ingest.assets(body, principal=principal, key=key))


@router.post(
    "/assets/batch", response_model=AssetBatchWritten, openapi_extra=documented_body(AssetBatchIn)
)
async def post_asset_batch(
    principal: Operator,
    body: AssetBatchBody,
    ingest: IngestDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Up to 1,000 assets in one transaction: all written, or none."""
    return _answer(await ingest.assets(body, principal=principal, key=key))


@router.get("/assets", response_model=Page[AssetView])
async def get_assets(
    principal: ReportReader, database: DatabaseDep, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Assets in the caller's scope, most recently registered first."""
    async with database.read() as conn:
        rows = await list_assets(
            conn, principal=principal, limit=limit + 1, before_id=decode_cursor(cursor)
        )
    listed = page(rows, limit=limit, position=lambda row: row[0])
    return listed | {"items": [asset for _, asset in listed["items"]]}


BODY_MODELS = (IncidentIn, IncidentBatchIn, AssetIn, AssetBatchIn)
