"""The baseline of the ingest benchmark: the least a FastAPI + asyncpg service can do to store
the same incident report durably, with none of awareness's layers.

- Body: `await request.json()` (Starlette's stdlib `json.loads`) and dict look-ups. No
  pydantic model, no auth, no idempotency, no SQLAlchemy, no access log. This is the strict
  floor: everything awareness does beyond it (contract validation and normalization, API-key
  auth, the request-id/body-limit middleware, idempotency fingerprinting, the `reports` audit
  row, SQLAlchemy Core, its JSON access log) is what the ratio charges to awareness. A body
  that lacks a required field fails with 500; the benchmark only sends valid bodies.
- Storage: the same columns awareness writes for an incident (`incidents`) and for each
  indicator (`indicators`), with the same secondary indexes and the indicator -> incident
  foreign key, in the benchmark's own database. Not written: awareness's `reports` row (its
  audit/ordering log) and its foreign keys to `reports` and `organizations`.
- Durability: one transaction per request, answered 201 only after COMMIT returns, on the same
  PostgreSQL server with the same fsync/synchronous_commit settings.
- Serving: uvicorn, one worker, `loop`/`http` left on "auto" (uvloop and httptools when
  installed), `access_log=False`, `proxy_headers=True`, `log_config=None`: the same
  `uvicorn.Config` arguments `awareness serve` uses. Pool: at most 30 connections (awareness:
  SQLAlchemy pool_size 10 + max_overflow 20).

Run: python bench/ingest/bare_app.py --dsn postgresql://postgres@127.0.0.1:5432/DB --port P
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# What the API key would say about the caller in awareness.
ORG_ID = "grid-north"
SECTOR = "energy"

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id bigserial PRIMARY KEY,
    org_id varchar(64) NOT NULL,
    sector varchar(64) NOT NULL,
    received_at timestamptz NOT NULL,
    detected_at timestamptz NOT NULL,
    occurred_at timestamptz,
    category varchar(32) NOT NULL,
    functional_impact varchar(32) NOT NULL,
    information_impact varchar(32) NOT NULL,
    recoverability varchar(32) NOT NULL,
    location varchar(32) NOT NULL,
    asset_criticality varchar(16),
    summary text,
    tlp varchar(16) NOT NULL,
    reference varchar(200)
);
CREATE INDEX IF NOT EXISTS ix_incidents_org_id_id ON incidents (org_id, id);
CREATE INDEX IF NOT EXISTS ix_incidents_sector_id ON incidents (sector, id);
CREATE INDEX IF NOT EXISTS ix_incidents_detected_at ON incidents (detected_at);
CREATE TABLE IF NOT EXISTS indicators (
    id bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    org_id varchar(64) NOT NULL,
    sector varchar(64) NOT NULL,
    type varchar(8) NOT NULL,
    value varchar(2048) NOT NULL,
    detected_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_indicators_type_value_detected_at
    ON indicators (type, value, detected_at);
CREATE INDEX IF NOT EXISTS ix_indicators_detected_at ON indicators (detected_at);
CREATE INDEX IF NOT EXISTS ix_indicators_incident_id ON indicators (incident_id);
"""

INSERT_INCIDENT = """
INSERT INTO incidents (org_id, sector, received_at, detected_at, occurred_at, category,
    functional_impact, information_impact, recoverability, location, asset_criticality,
    summary, tlp, reference)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
RETURNING id
"""

INSERT_INDICATOR = """
INSERT INTO indicators (incident_id, org_id, sector, type, value, detected_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _incident_args(item: dict[str, Any], now: datetime) -> tuple[Any, ...]:
    return (
        ORG_ID,
        SECTOR,
        now,
        _time(item["detected_at"]),
        _time(item.get("occurred_at")),
        item["category"],
        item["functional_impact"],
        item.get("information_impact", "none"),
        item.get("recoverability", "regular"),
        item.get("location", "unknown"),
        None,  # asset_criticality: the benchmark's reports name no assets
        item.get("summary"),
        item.get("tlp", "amber"),
        item.get("reference"),
    )


def _indicator_rows(incident_id: int, item: dict[str, Any], detected_at: Any) -> list[tuple]:
    return [
        (incident_id, ORG_ID, SECTOR, ind["type"], ind["value"], detected_at)
        for ind in item.get("indicators") or ()
    ]


def create_app(dsn: str, *, pool_min: int = 10, pool_max: int = 30) -> FastAPI:
    state: dict[str, Any] = {"requests_2xx": 0, "reports": 0}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(SCHEMA)
        finally:
            await conn.close()
        state["pool"] = await asyncpg.create_pool(
            dsn,
            min_size=pool_min,
            max_size=pool_max,
            server_settings={"application_name": "bench-bare"},
        )
        try:
            yield
        finally:
            await state["pool"].close()

    app = FastAPI(title="bench bare ingest", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bench/counters")
    async def counters() -> dict[str, int]:
        """Committed requests and reports, for the driver's row-count check."""
        return {"requests_2xx": state["requests_2xx"], "reports": state["reports"]}

    @app.post("/v1/incidents", status_code=201)
    async def post_incident(request: Request) -> JSONResponse:
        item = await request.json()
        now = datetime.now(UTC)
        args = _incident_args(item, now)
        async with state["pool"].acquire() as conn, conn.transaction():
            incident_id = await conn.fetchval(INSERT_INCIDENT, *args)
            rows = _indicator_rows(incident_id, item, args[3])
            if rows:
                await conn.executemany(INSERT_INDICATOR, rows)
        state["requests_2xx"] += 1
        state["reports"] += 1
        return JSONResponse({"id": incident_id, "received_at": now.isoformat()}, status_code=201)

    @app.post("/v1/incidents/batch", status_code=201)
    async def post_incident_batch(request: Request) -> JSONResponse:
        items = (await request.json())["incidents"]
        now = datetime.now(UTC)
        args = [_incident_args(item, now) for item in items]
        async with state["pool"].acquire() as conn, conn.transaction():
            # fetchmany: one pipelined round trip, one RETURNING row per argument tuple, in order.
            ids = [record[0] for record in await conn.fetchmany(INSERT_INCIDENT, args)]
            rows = [
                row
                for incident_id, item, arg in zip(ids, items, args, strict=True)
                for row in _indicator_rows(incident_id, item, arg[3])
            ]
            if rows:
                await conn.executemany(INSERT_INDICATOR, rows)
        state["requests_2xx"] += 1
        state["reports"] += len(ids)
        return JSONResponse({"ids": ids, "received_at": now.isoformat()}, status_code=201)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", required=True, help="postgresql://USER@HOST:PORT/DB")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--pool-max", type=int, default=30)
    options = parser.parse_args()

    import uvicorn

    # The same uvicorn.Config arguments as `awareness serve` (awareness/cli.py:_run_server).
    config = uvicorn.Config(
        create_app(options.dsn, pool_max=options.pool_max),
        host=options.host,
        port=options.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
