"""Liveness, readiness and metrics for load balancers, orchestrators and Prometheus. Health needs
no key; metrics do, unless a setting opens them: they tell who is connected, how much is
reported and how far behind the service is."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from awareness.api.components import Components
from awareness.api.deps import ComponentsDep, DatabaseDep, admit, bearer_key
from awareness.auth.principal import Role
from awareness.db.migrate import current_revision, head_revision
from awareness.errors import Forbidden, Unauthenticated
from awareness.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    schema_: str | None = Field(None, alias="schema")
    expected_schema: str | None = None
    detail: str | None = None


@router.get("/healthz", response_model=Alive)
async def healthz() -> Alive:
    """The process answers; says nothing of the database."""
    return Alive(status="ok")


async def _may_scrape(request: Request, components: Components) -> None:
    options = components.settings.metrics
    if options.public:
        return
    presented = bearer_key(request)
    if presented is None:
        raise Unauthenticated("send the metrics token or an admin key as 'Authorization: Bearer'")
    token = options.token.get_secret_value().encode() if options.token else None
    if token and hmac.compare_digest(presented.encode(), token):
        return
    principal = await admit(components, request, presented)
    if principal.role is not Role.admin:
        raise Forbidden("only the metrics token or an admin key may read the metrics")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, components: ComponentsDep) -> Response:
    """Prometheus text format, for the metrics token (`metrics.token`) or an admin key, or anyone
    when `metrics.public` is set."""
    await _may_scrape(request, components)
    try:
        await components.metrics.measure(components.database, now=components.clock.now())
    except Exception:  # the figures stay as last measured; the scrape still answers
        log.warning("could not measure the consumers' lag", exc_info=True)
    return Response(components.metrics.render(), media_type=CONTENT_TYPE)


@router.get("/readyz", responses={200: {"model": Readiness}, 503: {"model": Readiness}})
async def readyz(database: DatabaseDep) -> JSONResponse:
    """Ready when the database answers and its schema is at the head revision."""
    head = head_revision()
    retry = {"Retry-After": "5"}
    try:
        current = await current_revision(database)
    except Exception as exc:  # any failure to reach the database means "not ready"
        body: dict[str, str | None] = {
            "status": "unavailable",
            "database": f"unreachable: {type(exc).__name__}",
        }
        return JSONResponse(body, status_code=503, headers=retry)
    if current != head:
        body = {
            "status": "unavailable",
            "database": "ok",
            "schema": current,
            "expected_schema": head,
            "detail": "run `awareness migrate`",
        }
        return JSONResponse(body, status_code=503, headers=retry)
    return JSONResponse({"status": "ready", "database": "ok", "schema": current})
