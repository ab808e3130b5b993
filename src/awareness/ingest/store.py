"""The append: a report, its indicators and asset links are written together or not at all,
with the request's idempotency record. `write_incidents` owns its transaction (one statement on
PostgreSQL); the other functions run in the caller's (`Database.write()`) and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.engine import Database
from awareness.db.tables import (
    asset_reports,
    assets,
    incident_assets,
    incidents,
    indicators,
    reports,
    vulnerability_scans,
)
from awareness.errors import FieldError, ValidationFailed
from awareness.ingest import idempotency, pg_append
from awareness.ingest.schemas import AssetIn, IncidentBatchCreated, IncidentCreated, IncidentIn
from awareness.scoring.benign import KnownBenign
from awareness.scoring.exposure import product_key
from awareness.vocabulary import CRITICALITY_ORDER

# Stay well under SQLite's limit on bound parameters in one statement.
_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class OwnedAsset:
    pk: int
    criticality: str
    product_key: str | None


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _prefix(batch_field: str | None, index: int) -> str:
    return f"{batch_field}[{index}]." if batch_field else ""


async def _append_reports(
    conn: AsyncConnection,
    *,
    kind: str,
    principal: Principal,
    count: int,
    now: datetime,
    request_id: str | None,
) -> list[int]:
    row = {
        "kind": kind,
        "org_id": principal.org_id,
        "key_id": principal.key_id,
        "received_at": now,
        "request_id": request_id,
    }
    if count == 1:
        result = await conn.execute(reports.insert().values(row).returning(reports.c.id))
        return [result.scalar_one()]
    statement = reports.insert().returning(reports.c.id, sort_by_parameter_order=True)
    result = await conn.execute(statement, [row] * count)
    return list(result.scalars())


async def _owned_assets(
    conn: AsyncConnection, org_id: str, asset_ids: Sequence[str]
) -> dict[str, OwnedAsset]:
    found: dict[str, OwnedAsset] = {}
    for chunk in _chunks(asset_ids):
        query = sa.select(
            assets.c.asset_id, assets.c.id, assets.c.criticality, assets.c.product_key
        ).where(assets.c.org_id == org_id, assets.c.asset_id.in_(chunk))
        for row in await conn.execute(query):
            found[row.asset_id] = OwnedAsset(row.id, row.criticality, row.product_key)
    return found


async def owned_assets(
    conn: AsyncConnection,
    *,
    principal: Principal,
    items: Sequence[IncidentIn],
    batch_field: str | None = None,
) -> dict[str, OwnedAsset]:
    """The caller's assets the incidents name; 422 naming each one not in its inventory."""
    assert principal.org_id is not None
    wanted = sorted({asset for item in items for asset in item.affected_assets})
    owned = await _owned_assets(conn, principal.org_id, wanted) if wanted else {}
    errors = [
        FieldError(
            f"{_prefix(batch_field, i)}affected_assets[{j}]",
            f"no asset {asset!r} in your organization's inventory; "
            "report it to POST /v1/assets first",
        )
        for i, item in enumerate(items)
        for j, asset in enumerate(item.affected_assets)
        if asset not in owned
    ]
    if errors:
        raise ValidationFailed(errors, "affected assets must be in your inventory")
    return owned


@dataclass(frozen=True, slots=True)
class IncidentRows:
    """One incident as rows, without its id (drawn when it is written)."""

    incident: dict[str, Any]
    # (type, value, the known-benign list it is on or None)
    indicators: Sequence[tuple[str, str, str | None]]
    links: list[OwnedAsset]


def incident_rows(
    items: Sequence[IncidentIn],
    owned: dict[str, OwnedAsset],
    *,
    principal: Principal,
    now: datetime,
    benign: KnownBenign,
) -> list[IncidentRows]:
    rows = []
    for item in items:
        linked = [owned[asset] for asset in item.affected_assets]
        incident = {
            "org_id": principal.org_id,
            "sector": principal.org_sector,
            "received_at": now,
            "detected_at": item.detected_at,
            "occurred_at": item.occurred_at,
            "category": item.category,
            "functional_impact": item.functional_impact,
            "information_impact": item.information_impact,
            "recoverability": item.recoverability,
            "location": item.location,
            "asset_criticality": max(
                (a.criticality for a in linked), key=CRITICALITY_ORDER.__getitem__, default=None
            ),
            "summary": item.summary,
            "tlp": item.tlp,
            "reference": item.reference,
            "aware_at": item.aware_at or item.detected_at,
            "significant": item.significant,
        }
        marks = [(i.type, i.value, benign.match(i.type, i.value)) for i in item.indicators]
        rows.append(IncidentRows(incident, marks, linked))
    return rows


async def append_incidents(
    conn: AsyncConnection,
    *,
    principal: Principal,
    items: Sequence[IncidentIn],
    now: datetime,
    request_id: str | None,
    benign: KnownBenign,
    batch_field: str | None = None,
) -> list[int]:
    """Append incidents of the caller's organization in the caller's transaction; returns their
    ids in order."""
    owned = await owned_assets(conn, principal=principal, items=items, batch_field=batch_field)
    rows = incident_rows(items, owned, principal=principal, now=now, benign=benign)
    ids = await _append_reports(
        conn,
        kind="incident",
        principal=principal,
        count=len(items),
        now=now,
        request_id=request_id,
    )
    await conn.execute(
        incidents.insert(), [row.incident | {"id": i} for i, row in zip(ids, rows, strict=True)]
    )
    indicator_rows = [
        {
            "incident_id": incident_id,
            "org_id": principal.org_id,
            "sector": principal.org_sector,
            "type": kind,
            "value": value,
            "detected_at": row.incident["detected_at"],
            "benign": listed,
        }
        for incident_id, row in zip(ids, rows, strict=True)
        for kind, value, listed in row.indicators
    ]
    if indicator_rows:
        await conn.execute(indicators.insert(), indicator_rows)
    link_rows = [
        {"incident_id": incident_id, "asset_pk": a.pk, "product_key": a.product_key}
        for incident_id, row in zip(ids, rows, strict=True)
        for a in row.links
    ]
    if link_rows:
        await conn.execute(incident_assets.insert(), link_rows)
    return ids


def incident_created(ids: list[int], *, batch: bool, now: datetime) -> dict[str, Any]:
    """The answer to an incident write (the PostgreSQL statement builds the same in SQL)."""
    answer = (
        IncidentBatchCreated(ids=ids, received_at=now)
        if batch
        else IncidentCreated(id=ids[0], received_at=now)
    )
    return answer.model_dump(mode="json")


async def write_incidents(
    database: Database,
    items: Sequence[IncidentIn],
    *,
    principal: Principal,
    now: datetime,
    request_id: str | None,
    batch: bool,
    remember: idempotency.Remember | None,
    benign: KnownBenign,
) -> idempotency.Outcome:
    """Append the incidents and `remember` the answer, durably, before returning it."""
    batch_field = "incidents" if batch else None
    if database.is_sqlite:
        async with database.write() as conn:
            ids = await append_incidents(
                conn, principal=principal, items=items, now=now, request_id=request_id,
                benign=benign, batch_field=batch_field,
            )  # fmt: skip
            outcome = idempotency.Outcome(201, incident_created(ids, batch=batch, now=now))
            if remember is not None:
                await idempotency.record(conn, remember, outcome)
        return outcome
    async with database.engine.connect() as conn:
        owned: dict[str, OwnedAsset] = {}
        if any(item.affected_assets for item in items):
            owned = await owned_assets(
                conn, principal=principal, items=items, batch_field=batch_field
            )
            await conn.rollback()
        raw = (await conn.get_raw_connection()).driver_connection
        try:
            ids = await pg_append.append_incidents(
                raw, incident_rows(items, owned, principal=principal, now=now, benign=benign),
                principal=principal, now=now, request_id=request_id, remember=remember,
                batch=batch,
            )  # fmt: skip
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError(None, None, exc) from exc
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            await conn.invalidate()
            raise
    return idempotency.Outcome(201, incident_created(ids, batch=batch, now=now))


def _asset_values(item: AssetIn) -> dict[str, Any]:
    return {
        "name": item.name,
        "kind": item.kind,
        "vendor": item.vendor,
        "product": item.product,
        "version": item.version,
        "criticality": item.criticality,
        "internet_exposed": item.internet_exposed,
        "cves": item.cves,
        "location": item.location,
        "product_key": product_key(item.vendor, item.product),
    }


async def upsert_assets(
    conn: AsyncConnection,
    *,
    principal: Principal,
    items: Sequence[AssetIn],
    now: datetime,
    request_id: str | None,
    batch_field: str | None = None,
) -> list[tuple[bool, datetime]]:
    """Create or replace assets keyed by `asset_id`; returns, per item, whether it was new and
    when it was first registered."""
    assert principal.org_id is not None
    assert principal.org_sector is not None
    first_seen: dict[str, int] = {}
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        if item.asset_id in first_seen:
            errors.append(
                FieldError(
                    f"{_prefix(batch_field, index)}asset_id",
                    f"{item.asset_id!r} already appears at "
                    f"{batch_field}[{first_seen[item.asset_id]}]",
                )
            )
        first_seen.setdefault(item.asset_id, index)
    if errors:
        raise ValidationFailed(errors, "each asset_id may appear once per batch")

    existing: dict[str, int] = {}
    created_at: dict[str, datetime] = {}
    for chunk in _chunks([item.asset_id for item in items]):
        query = (
            sa.select(assets.c.asset_id, assets.c.id, assets.c.created_at)
            .where(assets.c.org_id == principal.org_id, assets.c.asset_id.in_(chunk))
            .with_for_update()
        )
        for row in await conn.execute(query):
            existing[row.asset_id] = row.id
            created_at[row.asset_id] = row.created_at

    report_ids = await _append_reports(
        conn, kind="asset", principal=principal, count=len(items), now=now, request_id=request_id
    )
    new_rows = []
    updates = []
    for report_id, item in zip(report_ids, items, strict=True):
        values = _asset_values(item) | {"report_id": report_id, "updated_at": now}
        if item.asset_id in existing:
            # Bind names must differ from column names in an UPDATE's SET clause.
            updates.append(
                {f"b_{k}": v for k, v in values.items()} | {"b_pk": existing[item.asset_id]}
            )
        else:
            new_rows.append(
                values
                | {
                    "org_id": principal.org_id,
                    "asset_id": item.asset_id,
                    "sector": principal.org_sector,
                    "created_at": now,
                }
            )
    pks = dict(existing)
    if new_rows:
        statement = assets.insert().returning(
            assets.c.asset_id, assets.c.id, sort_by_parameter_order=True
        )
        result = await conn.execute(statement, new_rows)
        pks.update({row.asset_id: row.id for row in result})
    if updates:
        columns: dict[str, Any] = {
            name[2:]: sa.bindparam(name) for name in updates[0] if name != "b_pk"
        }
        await conn.execute(
            assets.update().where(assets.c.id == sa.bindparam("b_pk")).values(columns), updates
        )
    await conn.execute(
        asset_reports.insert(),
        [
            {
                "id": report_id,
                "asset_pk": pks[item.asset_id],
                "org_id": principal.org_id,
                "product_key": product_key(item.vendor, item.product),
                "data": item.model_dump(mode="json"),
            }
            for report_id, item in zip(report_ids, items, strict=True)
        ],
    )
    # The matcher checks each asset against the advisories, committed or not with it.
    await conn.execute(
        vulnerability_scans.insert(),
        [{"org_id": principal.org_id, "asset_id": item.asset_id, "reason": "asset",
          "requested_at": now} for item in items],
    )  # fmt: skip
    return [(item.asset_id not in existing, created_at.get(item.asset_id, now)) for item in items]
