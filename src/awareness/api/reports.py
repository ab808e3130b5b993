"""Report endpoints: incidents and assets in, scoped lists and records out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from awareness.api.body import documented_body
from awareness.api.pagination import Cursor, Limit, decode_cursor, page
from awareness.auth.dependencies import Operator, ReportReader, ServicesDep
from awareness.errors import NotFound
from awareness.ingest import queries, submit
from awareness.ingest.idempotency import Outcome
from awareness.ingest.schemas import (
    AssetBatchIn,
    AssetBatchWritten,
    AssetIn,
    AssetOut,
    AssetWriteResult,
    IncidentBatchCreated,
    IncidentBatchIn,
    IncidentCreated,
    IncidentIn,
    IncidentOut,
    Page,
)

router = APIRouter(prefix="/v1", tags=["reports"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retry-safe key: the same key and body return the first answer again",
    ),
]


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
    request: Request, principal: Operator, services: ServicesDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Submit one incident report; answered once it is durable."""
    outcome = await submit.submit_incidents(
        services, principal, await request.body(), batch=False, idempotency_key=key
    )
    return _answer(outcome)


@router.post(
    "/incidents/batch",
    status_code=201,
    response_model=IncidentBatchCreated,
    openapi_extra=documented_body(IncidentBatchIn),
)
async def post_incident_batch(
    request: Request, principal: Operator, services: ServicesDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Up to 1,000 incidents in one transaction: all stored, or none."""
    outcome = await submit.submit_incidents(
        services, principal, await request.body(), batch=True, idempotency_key=key
    )
    return _answer(outcome)


@router.get("/incidents", response_model=Page[IncidentOut])
async def get_incidents(
    principal: ReportReader, services: ServicesDep, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Incidents in the caller's scope, newest first."""
    async with services.database.read() as conn:
        rows = await queries.list_incidents(
            conn, principal=principal, limit=limit + 1, before_id=decode_cursor(cursor)
        )
    return page(rows, limit=limit)


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
async def get_incident(
    incident_id: int, principal: ReportReader, services: ServicesDep
) -> dict[str, Any]:
    async with services.database.read() as conn:
        row = await queries.get_incident(conn, principal=principal, incident_id=incident_id)
    if row is None:
        raise NotFound(f"no incident {incident_id} in your scope")
    return row


@router.post(
    "/assets",
    status_code=201,
    response_model=AssetWriteResult,
    openapi_extra=documented_body(AssetIn),
)
async def post_asset(
    request: Request, principal: Operator, services: ServicesDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Create (201) or replace (200) one asset of the caller's inventory, keyed by `asset_id`."""
    outcome = await submit.submit_assets(
        services, principal, await request.body(), batch=False, idempotency_key=key
    )
    return _answer(outcome)


@router.post(
    "/assets/batch", response_model=AssetBatchWritten, openapi_extra=documented_body(AssetBatchIn)
)
async def post_asset_batch(
    request: Request, principal: Operator, services: ServicesDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Up to 1,000 assets in one transaction: all written, or none."""
    outcome = await submit.submit_assets(
        services, principal, await request.body(), batch=True, idempotency_key=key
    )
    return _answer(outcome)


@router.get("/assets", response_model=Page[AssetOut])
async def get_assets(
    principal: ReportReader, services: ServicesDep, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """Assets in the caller's scope, most recently registered first."""
    async with services.database.read() as conn:
        rows = await queries.list_assets(
            conn, principal=principal, limit=limit + 1, before_id=decode_cursor(cursor)
        )
    return page(rows, limit=limit)


BODY_MODELS = (IncidentIn, IncidentBatchIn, AssetIn, AssetBatchIn)
