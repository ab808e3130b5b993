"""The ingest use cases: reports already parsed and validated go through the append once per
idempotency key; the answer comes only after commit, and then the reports are counted and the
correlator is signalled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from awareness.auth.principal import Principal
from awareness.db.engine import Database
from awareness.ingest import idempotency, store
from awareness.ingest.schemas import AssetBatchIn, AssetIn, IncidentBatchIn, IncidentIn
from awareness.logs import request_id
from awareness.metrics import Metrics
from awareness.settings import Settings
from awareness.signals import Signals
from awareness.views.assets import AssetWriteResult


def validation_context(settings: Settings, *, now: datetime) -> dict[str, Any]:
    """What the report schemas check against: the clock and the configured limits."""
    limits = settings.limits
    return {
        "now": now,
        "max_future_seconds": settings.ingest.max_future_seconds,
        "max_indicators": limits.max_indicators_per_incident,
        "max_affected_assets": limits.max_affected_assets_per_incident,
        "max_batch_items": limits.max_batch_items,
    }


class Ingest:
    """The write side of reports, with what it writes to, counts in and signals."""

    def __init__(
        self, *, database: Database, settings: Settings, signals: Signals, metrics: Metrics
    ) -> None:
        self._database = database
        self._retention = timedelta(hours=settings.ingest.idempotency_retention_hours)
        self._signals = signals
        self._metrics = metrics

    async def incidents(
        self,
        payload: IncidentIn | IncidentBatchIn,
        *,
        principal: Principal,
        key: str | None,
        now: datetime,
    ) -> idempotency.Outcome:
        batch = isinstance(payload, IncidentBatchIn)
        items = payload.incidents if isinstance(payload, IncidentBatchIn) else [payload]

        async def write(remember: idempotency.Remember | None) -> idempotency.Outcome:
            return await store.write_incidents(
                self._database, items, principal=principal, now=now,
                request_id=request_id.get(), batch=batch, remember=remember,
            )  # fmt: skip

        endpoint = "POST /v1/incidents" + ("/batch" if batch else "")
        outcome = await self._once(endpoint, payload, principal, key, now, write)
        self._acknowledged(outcome, "incident", len(items))
        return outcome

    async def assets(
        self,
        payload: AssetIn | AssetBatchIn,
        *,
        principal: Principal,
        key: str | None,
        now: datetime,
    ) -> idempotency.Outcome:
        batch = isinstance(payload, AssetBatchIn)
        items = payload.assets if isinstance(payload, AssetBatchIn) else [payload]

        async def write(remember: idempotency.Remember | None) -> idempotency.Outcome:
            async with self._database.write() as conn:
                written = await store.upsert_assets(
                    conn, principal=principal, items=items, now=now, request_id=request_id.get(),
                    batch_field="assets" if batch else None,
                )  # fmt: skip
                outcome = _assets_written(items, written, principal, now, batch=batch)
                if remember is not None:
                    await idempotency.record(conn, remember, outcome)
            return outcome

        endpoint = "POST /v1/assets" + ("/batch" if batch else "")
        outcome = await self._once(endpoint, payload, principal, key, now, write)
        self._acknowledged(outcome, "asset", len(items))
        return outcome

    async def _once(
        self,
        endpoint: str,
        payload: BaseModel,
        principal: Principal,
        key: str | None,
        now: datetime,
        write: Callable[[idempotency.Remember | None], Awaitable[idempotency.Outcome]],
    ) -> idempotency.Outcome:
        assert principal.org_id is not None
        return await idempotency.run_once(
            self._database,
            org_id=principal.org_id,
            key=idempotency.check_key(key),
            # Only a request with a key can be replayed: the others skip the hashing.
            request_hash=(
                idempotency.fingerprint(endpoint, payload.model_dump(mode="json"))
                if key is not None
                else ""
            ),
            now=now,
            retention=self._retention,
            write=write,
        )

    def _acknowledged(self, outcome: idempotency.Outcome, kind: str, count: int) -> None:
        """Reports are durable: count them and wake the correlator (a replay stored nothing)."""
        if outcome.replayed:
            return
        self._metrics.reports_ingested.labels(kind).inc(count)
        self._signals.reports_committed()


def _assets_written(
    items: list[AssetIn],
    written: list[tuple[bool, datetime]],
    principal: Principal,
    now: datetime,
    *,
    batch: bool,
) -> idempotency.Outcome:
    if not batch:
        new, first = written[0]
        view = AssetWriteResult.model_validate(
            items[0].model_dump()
            | {"org_id": principal.org_id, "sector": principal.org_sector,
               "created_at": first, "updated_at": now, "created": new}
        )  # fmt: skip
        return idempotency.Outcome(201 if new else 200, view.model_dump(mode="json"))
    created = [new for new, _ in written]
    results = [
        {"asset_id": item.asset_id, "created": new}
        for item, new in zip(items, created, strict=True)
    ]
    counts = {"created": sum(created), "updated": len(created) - sum(created)}
    return idempotency.Outcome(200, {"items": results, **counts})
