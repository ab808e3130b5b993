"""Warnings in the formats alerting systems already read: each one as a CAP 1.2 alert, and an
Atom feed of them. What a reader gets follows the same scope as `GET /v1/warnings`."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.api.audit import record_read
from awareness.api.deps import Anyone, ComponentsDep
from awareness.api.pagination import RowId
from awareness.auth.principal import Principal
from awareness.db.tables import warning_actions
from awareness.errors import NotFound
from awareness.views import cap
from awareness.views.warnings import find_warning, list_warnings, redact

router = APIRouter(prefix="/v1", tags=["exports"])
ALERT_DOC = {"200": {"content": {cap.CAP_MEDIA_TYPE: {}}, "description": "a CAP 1.2 alert"}}
FEED_DOC = {"200": {"content": {cap.ATOM_MEDIA_TYPE: {}}, "description": "an Atom feed"}}
# Steps that change what an alert says; a note does not.
CHANGES = ("acknowledged", "assigned", "escalated", "resolved")


def _sender(public_url: str) -> str:
    return f"awareness@{urlsplit(public_url).hostname or 'localhost'}"


async def _steps(conn: AsyncConnection, warning_ids: list[int]) -> dict[int, cap.Step]:
    """The last step of each warning's response that changes its alert."""
    if not warning_ids:
        return {}
    rows = await conn.execute(
        sa.select(warning_actions)
        .where(warning_actions.c.warning_id.in_(warning_ids), warning_actions.c.action.in_(CHANGES))
        .order_by(warning_actions.c.id)
    )
    return {
        row["warning_id"]: cap.Step(row["seq"] or 0, row["at"], row["action"])
        for row in rows.mappings()
    }


@router.get(
    "/warnings/{warning_id}.cap",
    response_class=Response,
    responses=ALERT_DOC,  # type: ignore[arg-type]
)
async def warning_as_cap(
    warning_id: RowId, principal: Anyone, components: ComponentsDep
) -> Response:
    """The warning as a CAP 1.2 alert: `Alert` when raised, `Update` once acknowledged,
    assigned or escalated, `Cancel` once resolved."""
    async with components.database.read() as conn:
        found = await find_warning(conn, principal=principal, warning_id=warning_id)
        if found is None:
            raise NotFound(f"no warning {warning_id} in your scope")
        step = (await _steps(conn, [warning_id])).get(warning_id)
    public_url = components.settings.delivery.public_url
    shown = redact(principal, found).model_dump(mode="json")
    body = cap.document(cap.alert(shown, step, sender=_sender(public_url), public_url=public_url))
    await record_read(
        components, principal, route="cap", collection=f"warning:{warning_id}", count=1
    )
    return Response(body, media_type=cap.CAP_MEDIA_TYPE)


@router.get("/warnings.atom", response_class=Response, responses=FEED_DOC)  # type: ignore[arg-type]
async def warnings_as_atom(
    request: Request, principal: Anyone, components: ComponentsDep
) -> Response:
    """The caller's newest 100 warnings as an Atom feed of CAP 1.2 alerts."""
    reader: Principal = principal
    async with components.database.read() as conn:
        found = await list_warnings(
            conn, principal=reader, after=None, before=None, newest_first=True, sectors=[],
            kinds=[], acknowledged=None, limit=100,
        )  # fmt: skip
        steps = await _steps(conn, [w.id for w in found])
    public_url = components.settings.delivery.public_url
    alerts = [(w.model_dump(mode="json"), steps.get(w.id)) for w in found]
    body = cap.atom(
        alerts, sender=_sender(public_url), public_url=public_url, self_url=str(request.url),
        updated=components.clock.now(),
    )  # fmt: skip
    await record_read(components, reader, route="atom", collection="warnings", count=len(found))
    return Response(body, media_type=cap.ATOM_MEDIA_TYPE)
