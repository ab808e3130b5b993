"""The ingest use cases: reports already parsed and validated go through the append once per
idempotency key; the answer comes only after commit, and then the reports are counted and the
correlator is signalled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from awareness.auth.principal import Principal
from awareness.clock import Clock
from awareness.db.engine import Database
from awareness.ingest import idempotency, store
from awareness.ingest.schemas import AssetBatchIn, AssetIn, IncidentBatchIn, IncidentIn
from awareness.logs import request_id
from awareness.metrics import Metrics
from awareness.scoring.benign import KnownBenign
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
        "max_batch_indicators": limits.max_indicators_per_batch,
        "max_affected_assets": limits.max_affected_assets_per_incident,
        "max_batch_items": limits.max_batch_items,
    }


Write = Callable[[idempotency.Remember | None], Awaitable[idempotency.Outcome]]


class Ingest:
    """The write side of reports, with what it writes to, dates by, counts in and signals."""

    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        clock: Clock,
        signals: Signals,
        metrics: Metrics,
        benign: KnownBenign,
    ) -> None:
        self._database = database
        self._benign = benign
        self._retention = timedelta(hours=settings.ingest.idempotency_retention_hours)
        self._clock = clock
        self._signals = signals
        self._metrics = metrics

    async def incidents(
        self, payload: IncidentIn | IncidentBatchIn, *, principal: Principal, key: str | None
    ) -> idempotency.Outcome:
        items = payload.incidents if isinstance(payload, IncidentBatchIn) else [payload]
        batch = isinstance(payload, IncidentBatchIn)
        now = self._clock.now()

        async def write(remember: idempotency.Remember | None) -> idempotency.Outcome:
            return await store.write_incidents(
                self._database, items, principal=principal, now=now,
                request_id=request_id.get(), batch=batch, remember=remember,
                benign=self._benign,
            )  # fmt: skip

        return await self._submit(
            "incident", payload, len(items), batch, principal, key, now, write
        )

    async def assets(
        self, payload: AssetIn | AssetBatchIn, *, principal: Principal, key: str | None
    ) -> idempotency.Outcome:
        items = payload.assets if isinstance(payload, AssetBatchIn) else [payload]
        batch = isinstance(payload, AssetBatchIn)
        now = self._clock.now()

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

        return await self._submit("asset", payload, len(items), batch, principal, key, now, write)

    async def _submit(
        self,
        kind: str,
        payload: BaseModel,
        count: int,
        batch: bool,
        principal: Principal,
        key: str | None,
        now: datetime,
        write: Write,
    ) -> idempotency.Outcome:
        """Write once per key; once durable, count the reports and wake the correlator (a
        replay stored nothing)."""
        assert principal.org_id is not None
        endpoint = f"POST /v1/{kind}s" + ("/batch" if batch else "")
        outcome = await idempotency.run_once(
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
        if not outcome.replayed:
            self._metrics.reports_ingested.labels(kind).inc(count)
            self._signals.reports_committed()
        return outcome


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
