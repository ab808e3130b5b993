"""The response to a warning: acknowledge, assign, resolve, notes, and the timeline of all of it
with the deliveries it caused. Supervisors and responders of the warning's sectors, and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from awareness import response
from awareness.api.body import documented_body, json_body
from awareness.api.components import Components
from awareness.api.deps import ComponentsDep, Responder
from awareness.api.pagination import RowId
from awareness.auth.principal import Principal
from awareness.errors import NotFound
from awareness.response import Step, TimelineEntry
from awareness.views.warnings import WarningView, redact

router = APIRouter(prefix="/v1", tags=["response"])


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=200, description="who responds")
    note: str | None = Field(None, max_length=10_000)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=10_000, description="how it was resolved")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


BODY_MODELS = (AssignIn, ResolveIn, NoteIn)


def _step(components: Components, principal: Principal, warning_id: int) -> Step:
    return Step(principal, warning_id, components.clock.now())


def _answer(principal: Principal, warning_id: int, warning: WarningView | None) -> WarningView:
    if warning is None:
        raise NotFound(f"no warning {warning_id} in your scope")
    return redact(principal, warning)


@router.post("/warnings/{warning_id}/ack", response_model=WarningView)
async def ack_warning(
    warning_id: RowId, principal: Responder, components: ComponentsDep
) -> WarningView:
    """Acknowledge a warning: records who and when, once; acknowledging again changes nothing.
    It stops the warning's escalation."""
    warning = await response.acknowledge(
        components.database, _step(components, principal, warning_id),
        signals=components.signals, metrics=components.metrics,
    )  # fmt: skip
    return _answer(principal, warning_id, warning)


@router.post(
    "/warnings/{warning_id}/assign",
    response_model=WarningView,
    openapi_extra=documented_body(AssignIn),
)
async def assign_warning(
    warning_id: RowId,
    principal: Responder,
    components: ComponentsDep,
    body: Annotated[AssignIn, Depends(json_body(AssignIn))],
) -> WarningView:
    """Someone responds: the warning becomes `responding` (acknowledged if it was not). 409 once
    resolved."""
    warning = await response.assign(
        components.database, _step(components, principal, warning_id), assignee=body.assignee,
        note=body.note, signals=components.signals, metrics=components.metrics,
    )  # fmt: skip
    return _answer(principal, warning_id, warning)


@router.post(
    "/warnings/{warning_id}/resolve",
    response_model=WarningView,
    openapi_extra=documented_body(ResolveIn),
)
async def resolve_warning(
    warning_id: RowId,
    principal: Responder,
    components: ComponentsDep,
    body: Annotated[ResolveIn, Depends(json_body(ResolveIn))],
) -> WarningView:
    """Close the response with a resolution note (acknowledging it if it was not). Once:
    resolving again changes nothing."""
    warning = await response.resolve(
        components.database, _step(components, principal, warning_id), note=body.note,
        signals=components.signals, metrics=components.metrics,
    )  # fmt: skip
    return _answer(principal, warning_id, warning)


@router.post(
    "/warnings/{warning_id}/notes",
    response_model=WarningView,
    status_code=201,
    openapi_extra=documented_body(NoteIn),
)
async def note_warning(
    warning_id: RowId,
    principal: Responder,
    components: ComponentsDep,
    body: Annotated[NoteIn, Depends(json_body(NoteIn))],
) -> WarningView:
    """Add a note to the warning's timeline, in any state."""
    warning = await response.annotate(
        components.database, _step(components, principal, warning_id), text=body.text,
        signals=components.signals, metrics=components.metrics,
    )  # fmt: skip
    return _answer(principal, warning_id, warning)


@router.get("/warnings/{warning_id}/timeline", response_model=list[TimelineEntry])
async def warning_timeline(
    warning_id: RowId, principal: Responder, components: ComponentsDep
) -> list[TimelineEntry]:
    """Everything that happened to the warning, oldest first: raised, acknowledged, assigned,
    notes, escalations, resolved, and each delivery attempt to the subscriptions the caller
    manages."""
    async with components.database.read() as conn:
        entries = await response.timeline(conn, principal=principal, warning_id=warning_id)
    if entries is None:
        raise NotFound(f"no warning {warning_id} in your scope")
    return entries
