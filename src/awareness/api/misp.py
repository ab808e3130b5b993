"""The MISP feed: `/misp/feed/manifest.json`, `/misp/feed/{uuid}.json` and `/misp/feed/hashes.csv`,
for every key that may read `GET /v1/warnings`, each seeing there what it sees in that list."""

from __future__ import annotations

import uuid as uuids
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from awareness import warninglists
from awareness.api.audit import record_read
from awareness.api.components import Components
from awareness.api.deps import Anyone, ComponentsDep
from awareness.errors import NotFound
from awareness.exchange import misp

router = APIRouter(prefix="/misp/feed", tags=["misp"])
JSON_DOC: dict[int | str, dict[str, Any]] = {
    "200": {"content": {"application/json": {}}, "description": "MISP feed JSON"}
}
CSV_DOC: dict[int | str, dict[str, Any]] = {
    "200": {"content": {"text/csv": {}}, "description": "`md5 of a value,event uuid` lines"}
}


def _cache(request: Request) -> misp.FeedCache:
    """One cache per app, made on first use."""
    state = request.app.state
    cache: misp.FeedCache | None = getattr(state, "misp_feed", None)
    if cache is None:
        cache = state.misp_feed = misp.FeedCache()
    return cache


def _options(components: Components) -> dict[str, Any]:
    settings = components.settings
    known = warninglists.loaded(settings.ingest.known_benign_lists)
    return {
        "org": misp.Org.of(settings.delivery.public_url),
        "benign": misp.benign_test(known, settings.scoring),
    }


@router.get("/manifest.json", response_class=JSONResponse, responses=JSON_DOC)
async def manifest(request: Request, principal: Anyone, components: ComponentsDep) -> Response:
    """Every event of the caller's feed: `{uuid: {Orgc, Tag, info, date, analysis,
    threat_level_id, timestamp, published}}`."""
    feed = await _cache(request).feed(components.database, principal, **_options(components))
    shown = feed.manifest()
    await record_read(
        components, principal, route="misp/manifest", collection="misp", count=len(shown)
    )
    return JSONResponse(shown)


@router.get("/hashes.csv", response_class=Response, responses=CSV_DOC)
async def hashes(request: Request, principal: Anyone, components: ComponentsDep) -> Response:
    """One line per attribute: the MD5 of its value and its event's uuid."""
    feed = await _cache(request).feed(components.database, principal, **_options(components))
    await record_read(
        components, principal, route="misp/hashes", collection="misp", count=len(feed.events)
    )
    return Response(feed.hashes(), media_type="text/csv")


@router.get("/{event_uuid}.json", response_class=JSONResponse, responses=JSON_DOC)
async def event(
    event_uuid: str, request: Request, principal: Anyone, components: ComponentsDep
) -> Response:
    """One event, `{"Event": {...}}`: a campaign or an exposure warning the caller may read."""
    try:
        wanted = str(uuids.UUID(event_uuid))
    except ValueError:
        raise NotFound(f"no event {event_uuid!r} in your scope") from None
    found = await _cache(request).event(
        components.database, principal, wanted, **_options(components)
    )
    if found is None:
        raise NotFound(f"no event {wanted} in your scope")
    await record_read(
        components, principal, route="misp/event", collection=f"misp:{wanted}", count=1
    )
    return JSONResponse(found)
