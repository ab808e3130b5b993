"""The ingest use cases: validate against the clock and limits, run the append transaction once
per idempotency key, answer only after commit, then signal that reports are waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.ingest import idempotency, pg_append, store
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


def _parse_items(
    model: type[Model], body: bytes, *, services: Services, now: datetime
) -> tuple[Model, list[Any]]:
    """The body, and the reports in it: the batch's list, or the single report alone."""
    payload = parse(model, body, services=services, now=now)
    if isinstance(payload, IncidentBatchIn):
        return payload, list(payload.incidents)
    if isinstance(payload, AssetBatchIn):
        return payload, list(payload.assets)
    return payload, [payload]


async def _submit(
    services: Services,
    principal: Principal,
    *,
    endpoint: str,
    payload: BaseModel,
    idempotency_key: str | None,
    now: datetime,
    work: Callable[[AsyncConnection], Any],
    kind: str,
    count: int,
) -> idempotency.Outcome:
    assert principal.org_id is not None
    outcome = await idempotency.run_once(
        services.database,
        org_id=principal.org_id,
        key=idempotency.check_key(idempotency_key),
        # Only a request with a key can be replayed: the others skip the hashing.
        request_hash=(
            idempotency.fingerprint(endpoint, payload.model_dump(mode="json"))
            if idempotency_key is not None
            else ""
        ),
        now=now,
        retention=timedelta(hours=services.settings.ingest.idempotency_retention_hours),
        work=work,
    )
    if not outcome.replayed:
        services.acknowledged(kind, count)
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
    payload, items = _parse_items(
        IncidentBatchIn if batch else IncidentIn, body, services=services, now=now
    )

    endpoint = "POST /v1/incidents" + ("/batch" if batch else "")
    if not services.database.is_sqlite:
        outcome = await _append_on_postgres(
            services, principal, items, batch=batch, endpoint=endpoint, payload=payload,
            key=idempotency.check_key(idempotency_key), now=now,
        )  # fmt: skip
        if outcome is not None:
            return outcome

    async def work(conn: AsyncConnection) -> idempotency.Outcome:
        ids = await store.append_incidents(
            conn,
            principal=principal,
            items=items,
            now=now,
            request_id=request_id.get(),
            batch_field="incidents" if batch else None,
        )
        return idempotency.Outcome(201, _created(ids, batch=batch, now=now))

    return await _submit(
        services,
        principal,
        endpoint=endpoint,
        payload=payload,
        idempotency_key=idempotency_key,
        now=now,
        work=work,
        kind="incident",
        count=len(items),
    )


def _created(ids: list[int], *, batch: bool, now: datetime) -> dict[str, Any]:
    stamp = now.isoformat()
    return {"ids": ids, "received_at": stamp} if batch else {"id": ids[0], "received_at": stamp}


async def _append_on_postgres(
    services: Services,
    principal: Principal,
    items: list[IncidentIn],
    *,
    batch: bool,
    endpoint: str,
    payload: BaseModel,
    key: str | None,
    now: datetime,
) -> idempotency.Outcome | None:
    """The one-statement append; None when the portable path must run instead (an expired
    idempotency record has to be removed first, in the same transaction)."""
    database = services.database
    request_hash = ""
    if key is not None:
        request_hash = idempotency.fingerprint(endpoint, payload.model_dump(mode="json"))
        async with database.read() as conn:
            row = await idempotency.find(conn, principal.org_id or "", key)
        if row is not None:
            retention = timedelta(hours=services.settings.ingest.idempotency_retention_hours)
            if row["created_at"] < now - retention:
                return None
            return idempotency.replay(row, request_hash)
    async with database.engine.connect() as conn:
        owned: dict[str, store.OwnedAsset] = {}
        if any(item.affected_assets for item in items):
            owned = await store.owned_assets(
                conn, principal=principal, items=items,
                batch_field="incidents" if batch else None,
            )  # fmt: skip
            await conn.rollback()
        raw = (await conn.get_raw_connection()).driver_connection
        try:
            ids = await pg_append.append_incidents(
                raw,
                store.incident_rows(items, owned, principal=principal, now=now),
                principal=principal,
                now=now,
                request_id=request_id.get(),
                idempotency=(key, request_hash) if key is not None else None,
                batch=batch,
            )
        except asyncpg.UniqueViolationError:
            if key is None:
                raise
            async with database.read() as reader:
                row = await idempotency.find(reader, principal.org_id or "", key)
            if row is None:
                raise
            return idempotency.replay(row, request_hash)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            await conn.invalidate()
            raise
    services.acknowledged("incident", len(ids))
    return idempotency.Outcome(201, _created(ids, batch=batch, now=now))


async def submit_assets(
    services: Services,
    principal: Principal,
    body: bytes,
    *,
    batch: bool,
    idempotency_key: str | None,
) -> idempotency.Outcome:
    now = services.clock.now()
    payload, items = _parse_items(
        AssetBatchIn if batch else AssetIn, body, services=services, now=now
    )

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
        kind="asset",
        count=len(items),
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
