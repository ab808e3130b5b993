"""The ingest use cases: validate against the clock and limits, run the append transaction once
per idempotency key, answer only after commit, then signal that reports are waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.ingest import idempotency, store
from awareness.ingest.schemas import AssetBatchIn, AssetIn, IncidentBatchIn, IncidentIn
from awareness.logs import request_id
from awareness.services import Services
from awareness.validation import parse_json

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], body: bytes, *, services: Services, now: datetime) -> Model:
    limits = services.settings.limits
    context = {
        "now": now,
        "max_future_seconds": services.settings.ingest.max_future_seconds,
        "max_indicators": limits.max_indicators_per_incident,
        "max_affected_assets": limits.max_affected_assets_per_incident,
        "max_batch_items": limits.max_batch_items,
    }
    return parse_json(model, body, context=context)


async def _submit(
    services: Services,
    principal: Principal,
    *,
    endpoint: str,
    payload: BaseModel,
    idempotency_key: str | None,
    now: datetime,
    work: Callable[[AsyncConnection], Any],
) -> idempotency.Outcome:
    assert principal.org_id is not None
    outcome = await idempotency.run_once(
        services.database,
        org_id=principal.org_id,
        key=idempotency.check_key(idempotency_key),
        request_hash=idempotency.fingerprint(endpoint, payload.model_dump(mode="json")),
        now=now,
        retention=timedelta(hours=services.settings.ingest.idempotency_retention_hours),
        work=work,
    )
    if not outcome.replayed:
        for listener in services.report_listeners:
            listener()
    return outcome


async def submit_incidents(
    services: Services,
    principal: Principal,
    body: bytes,
    *,
    batch: bool,
    idempotency_key: str | None,
) -> idempotency.Outcome:
    now = services.clock.now()
    payload: IncidentIn | IncidentBatchIn
    if batch:
        payload = parse(IncidentBatchIn, body, services=services, now=now)
        items = payload.incidents
    else:
        payload = parse(IncidentIn, body, services=services, now=now)
        items = [payload]

    async def work(conn: AsyncConnection) -> idempotency.Outcome:
        ids = await store.append_incidents(
            conn,
            principal=principal,
            items=items,
            now=now,
            request_id=request_id.get(),
            batch_field="incidents" if batch else None,
        )
        stamp = now.isoformat()
        body = {"ids": ids, "received_at": stamp} if batch else {"id": ids[0], "received_at": stamp}
        return idempotency.Outcome(201, body)

    endpoint = "POST /v1/incidents" + ("/batch" if batch else "")
    return await _submit(
        services,
        principal,
        endpoint=endpoint,
        payload=payload,
        idempotency_key=idempotency_key,
        now=now,
        work=work,
    )


async def submit_assets(
    services: Services,
    principal: Principal,
    body: bytes,
    *,
    batch: bool,
    idempotency_key: str | None,
) -> idempotency.Outcome:
    now = services.clock.now()
    payload: AssetIn | AssetBatchIn
    if batch:
        payload = parse(AssetBatchIn, body, services=services, now=now)
        items = payload.assets
    else:
        payload = parse(AssetIn, body, services=services, now=now)
        items = [payload]

    async def work(conn: AsyncConnection) -> idempotency.Outcome:
        written = await store.upsert_assets(
            conn,
            principal=principal,
            items=items,
            now=now,
            request_id=request_id.get(),
            batch_field="assets" if batch else None,
        )
        created = [new for new, _ in written]
        if not batch:
            new, first = written[0]
            view = asset_view(items[0], principal=principal, created_at=first, now=now)
            return idempotency.Outcome(201 if new else 200, view | {"created": new})
        results = [
            {"asset_id": item.asset_id, "created": new}
            for item, new in zip(items, created, strict=True)
        ]
        counts = {"created": sum(created), "updated": len(created) - sum(created)}
        return idempotency.Outcome(200, {"items": results, **counts})

    endpoint = "POST /v1/assets" + ("/batch" if batch else "")
    return await _submit(
        services,
        principal,
        endpoint=endpoint,
        payload=payload,
        idempotency_key=idempotency_key,
        now=now,
        work=work,
    )


def asset_view(
    item: AssetIn, *, principal: Principal, created_at: datetime, now: datetime
) -> dict[str, Any]:
    return item.model_dump(mode="json") | {
        "org_id": principal.org_id,
        "sector": principal.org_sector,
        "created_at": created_at.isoformat(),
        "updated_at": now.isoformat(),
    }
