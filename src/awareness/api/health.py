"""Liveness and readiness for load balancers and orchestrators; no authentication."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from awareness.auth.dependencies import ServicesDep
from awareness.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers; says nothing of the database."""
    return {"status": "ok"}


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
