"""Liveness and readiness for load balancers and orchestrators; no authentication."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from awareness.auth.dependencies import ServicesDep
from awareness.db.migrate import current_revision, head_revision
from awareness.metrics import CONTENT_TYPE, measure_lag

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers; says nothing of the database."""
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus text format; no authentication, like the health checks: serve it on an
    internal network."""
    counts = services.metrics.counts
    try:
        counts.lag_reports, counts.lag_seconds = await measure_lag(
            services.database, now=services.clock.now()
        )
    except Exception:  # the figures stay as last measured; the scrape still answers
        log.warning("could not measure the correlator lag", exc_info=True)
    if services.broadcaster is not None:
        stats = services.broadcaster.stats
        counts.feed_clients = services.broadcaster.connections
        counts.feed_sent = stats.sent
        counts.feed_dropped_clients = stats.dropped_clients
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when the database answers and its schema is at the head revision."""
    head = head_revision()
    try:
        current = await current_revision(services.database)
    except Exception as exc:  # any failure to reach the database means "not ready"
        body = {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    if current != head:
        body = {
            "status": "unavailable",
            "database": "ok",
            "schema": current,
            "expected_schema": head,
            "detail": "run `awareness migrate`",
        }
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready", "database": "ok", "schema": current})
