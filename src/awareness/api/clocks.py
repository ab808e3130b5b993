"""Reporting clocks over HTTP: admins assign regimes to organizations, operators file the stages
of their incidents, and readers list what is overdue in their scope. Incidents carry their clocks
in `GET /v1/incidents` (`with_clocks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.api.body import documented_body, json_body
from awareness.api.deps import Admin, ComponentsDep, Operator, ReportReader, components_of
from awareness.api.pagination import Limit, RowId
from awareness.ingest import idempotency
from awareness.reporting.filings import file_stage
from awareness.reporting.regimes import assign_regimes
from awareness.views.clocks import (
    ClockRules,
    FilingView,
    OverdueView,
    clocks_by_incident,
    list_overdue,
)
from awareness.views.incidents import IncidentView

router = APIRouter(prefix="/v1", tags=["reporting clocks"])


class RegimesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regimes: list[str] = Field(max_length=100, examples=[["nis2"]])


class OrgRegimes(BaseModel):
    org_id: str
    regimes: list[str]


class FilingIn(BaseModel):
    """A stage of a reporting regime, with the fields that stage requires (any JSON values)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"stage": "early_warning", "suspected_malicious": True, "cross_border": False}
            ]
        },
    )
    stage: str = Field(min_length=1, max_length=32)
    regime: str | None = Field(
        None, max_length=32, description="needed only when several regimes name the stage"
    )


class OverduePage(BaseModel):
    items: list[OverdueView]


BODY_MODELS = (RegimesIn, FilingIn)


async def _rules(request: Request) -> ClockRules:
    components = components_of(request)
    settings = components.settings
    return ClockRules(settings.regimes, settings.scoring, settings.sectors, components.clock.now())


ClockRulesDep = Annotated[ClockRules, Depends(_rules)]
OrgId = Annotated[str, Path(min_length=1, max_length=64)]


async def with_clocks(
    conn: AsyncConnection, views: Sequence[IncidentView], *, rules: ClockRules
) -> list[IncidentView]:
    """The incidents with their reporting clocks."""
    found = await clocks_by_incident(conn, [view.id for view in views], rules=rules)
    return [view.model_copy(update={"clocks": found.get(view.id, [])}) for view in views]


@router.put(
    "/orgs/{org_id}/regimes", response_model=OrgRegimes, openapi_extra=documented_body(RegimesIn)
)
async def put_regimes(
    org_id: OrgId,
    principal: Admin,
    components: ComponentsDep,
    body: Annotated[RegimesIn, Depends(json_body(RegimesIn))],
) -> OrgRegimes:
    """Set the reporting regimes an organization's incidents are clocked under (replacing
    any before); `[]` removes them all."""
    async with components.database.write() as conn:
        regimes = await assign_regimes(
            conn, org_id=org_id, regimes=body.regimes, known=components.settings.regimes,
            now=components.clock.now(), actor=principal.actor,
        )  # fmt: skip
    return OrgRegimes(org_id=org_id, regimes=regimes)


@router.post(
    "/incidents/{incident_id:int}/updates",
    status_code=201,
    response_model=FilingView,
    openapi_extra=documented_body(FilingIn),
)
async def post_update(
    incident_id: RowId,
    principal: Operator,
    components: ComponentsDep,
    rules: ClockRulesDep,
    body: Annotated[FilingIn, Depends(json_body(FilingIn))],
    key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="the same key and body answer the first again"),
    ] = None,
) -> JSONResponse:
    """File a stage of a reporting regime the incident falls under: 422 names each field the
    stage requires and the filing lacks. The stage's clock is met by its first filing."""
    assert principal.org_id is not None
    fields = dict(body.model_extra or {})
    database = components.database

    async def write(remember: idempotency.Remember | None) -> idempotency.Outcome:
        async with database.write() as conn:
            filed = await file_stage(
                conn, principal=principal, incident_id=incident_id, stage=body.stage,
                regime=body.regime, fields=fields, rules=rules,
            )  # fmt: skip
            outcome = idempotency.Outcome(201, filed.model_dump(mode="json"))
            if remember is not None:
                await idempotency.record(conn, remember, outcome)
        return outcome

    endpoint = f"POST /v1/incidents/{incident_id}/updates"
    outcome = await idempotency.run_once(
        database, org_id=principal.org_id, key=idempotency.check_key(key),
        request_hash=idempotency.fingerprint(endpoint, body.model_dump(mode="json")),
        now=rules.now,
        retention=timedelta(hours=components.settings.ingest.idempotency_retention_hours),
        write=write,
    )  # fmt: skip
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@router.get("/clocks/overdue", response_model=OverduePage)
async def get_overdue(
    principal: ReportReader, components: ComponentsDep, rules: ClockRulesDep, limit: Limit = 100
) -> dict[str, Any]:
    """Reporting stages past their deadline and not filed, the longest overdue first: an
    operator's own, a supervisor's sectors', every one for admins."""
    horizon = timedelta(days=components.settings.reporting.horizon_days)
    async with components.database.read() as conn:
        items = await list_overdue(
            conn, principal=principal, rules=rules, horizon=horizon, limit=limit
        )
    return {"items": items}
