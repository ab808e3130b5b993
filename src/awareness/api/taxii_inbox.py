"""The TAXII 2.1 writable collections: `POST {root}/collections/{id}/objects/` by the operator
whose organization owns the collection, and `GET {root}/status/{id}/` of what it posted. Thin:
`exchange.inbox` maps and stores; errors become TAXII error messages in `api/errors.py`.

Who may write: only an operator key, to its own organization's collection. Every other role is
refused with 403 before anything else is looked at (as every write of the API is); another
organization's collection is 404 to an operator, as if it did not exist, and a read collection
is 403 (it exists for the operator, and is read-only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from awareness import warninglists
from awareness.api.components import Components
from awareness.api.deps import ComponentsDep, Operator
from awareness.auth.principal import Principal
from awareness.errors import Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType
from awareness.exchange.ids import API_ROOT, MEDIA_TYPE, collection_id, inbox_id
from awareness.exchange.inbox import MAX_OBJECTS, Inbox, read_status
from awareness.validation import parse_json

router = APIRouter(prefix=f"/taxii2/{API_ROOT}", tags=["taxii"], include_in_schema=False)
_READ_COLLECTIONS = {
    collection_id(name) for name in ("warnings", "campaigns", "sightings", "incidents", "exposure")
}
_ACCEPTED = ("application/taxii+json", "application/stix+json")


class Envelope(BaseModel):
    """A TAXII envelope (`objects`, `more`, `next`) or a STIX bundle (`type`, `id`, `objects`):
    only `objects` is read."""

    model_config = ConfigDict(extra="allow")
    objects: list[Any]


def _inbox(components: Components) -> Inbox:
    settings = components.settings
    return Inbox(
        database=components.database, settings=settings, clock=components.clock,
        signals=components.signals, metrics=components.metrics,
        benign=warninglists.loaded(settings.ingest.known_benign_lists),
    )  # fmt: skip


def _check_media_type(request: Request) -> None:
    """TAXII's media type (a bundle's is taken too), version 2.1 when one is named."""
    kind, *params = (p.strip().lower() for p in request.headers.get("content-type", "").split(";"))
    versions = [p.partition("=")[2].strip() for p in params if p.startswith("version")]
    if kind not in _ACCEPTED or any(v != "2.1" for v in versions):
        shown = f"is {request.headers.get('content-type')!r}" if kind else "is missing"
        raise UnsupportedMediaType(
            f"Content-Type {shown}: send {MEDIA_TYPE} (an envelope) or "
            "application/stix+json;version=2.1 (a bundle)"
        )


def _own_collection(principal: Principal, collection: str) -> None:
    assert principal.org_id is not None
    if collection == inbox_id(principal.org_id):
        return
    if collection in _READ_COLLECTIONS:
        raise Forbidden("this collection is read-only: write to your organization's own")
    raise NotFound(f"no collection {collection} for this key")


def _answer(body: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, media_type=MEDIA_TYPE)


async def _envelope(request: Request) -> Envelope:
    envelope = parse_json(Envelope, await request.body())
    if len(envelope.objects) > MAX_OBJECTS:
        raise PayloadTooLarge(
            f"{len(envelope.objects)} objects: at most {MAX_OBJECTS} per request; "
            "send the rest in further requests"
        )
    return envelope


@router.post("/collections/{collection}/objects/")
async def add_objects(
    collection: str, request: Request, principal: Operator, components: ComponentsDep
) -> JSONResponse:
    """202 with the status resource, complete: every object a success or a failure (why)."""
    _own_collection(principal, collection)
    _check_media_type(request)
    envelope = await _envelope(request)
    status = await _inbox(components).add_objects(envelope.objects, principal=principal)
    return _answer(status, status_code=202)


StatusId = Annotated[str, "a status id"]


async def _status(status_id: str, principal: Principal, components: Components) -> JSONResponse:
    body = await read_status(components.database, status_id=status_id, principal=principal)
    return _answer(body)


@router.get("/status/{status_id}/")
async def get_status(
    status_id: StatusId, principal: Operator, components: ComponentsDep
) -> JSONResponse:
    """The status of a POST, to the organization that made it."""
    return await _status(status_id, principal, components)


# taxii2-client asks for the status at the URL without the trailing slash.
@router.get("/status/{status_id}")
async def get_status_unslashed(
    status_id: StatusId, principal: Operator, components: ComponentsDep
) -> JSONResponse:
    return await _status(status_id, principal, components)
