"""TAXII 2.1 read server at `/taxii2/`: discovery, the API root, collections and their objects,
manifest and versions. Thin: `exchange.taxii` decides what each key reads; errors become TAXII
error messages in `api/errors.py`. The inbox's POST and status are `api/taxii_inbox.py`'s."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.routing import compile_path

from awareness.api.audit import record_read
from awareness.api.deps import Anyone, ComponentsDep
from awareness.api.docs import api_routes
from awareness.api.errors import NotAcceptable
from awareness.auth.principal import Principal
from awareness.errors import NotFound
from awareness.exchange import taxii
from awareness.exchange.ids import API_ROOT, MEDIA_TYPE
from awareness.exchange.stix import SCHEMA_PATH, warning_extension_schema

PREFIX = "/taxii2"


def _acceptable(accept: str) -> bool:
    if not accept.strip():
        return True
    for media_range in accept.split(","):
        kind, *params = (part.strip().lower() for part in media_range.split(";"))
        if kind in ("*/*", "application/*"):
            return True
        if kind == "application/taxii+json":
            versions = [p.partition("=")[2].strip() for p in params if p.startswith("version")]
            if not versions or "2.1" in versions:
                return True
    return False


async def _negotiate(request: Request) -> None:
    if not _acceptable(request.headers.get("accept", "")):
        raise NotAcceptable(f"this server answers only in {MEDIA_TYPE}")


router = APIRouter(prefix=PREFIX, tags=["taxii"], include_in_schema=False,
                   dependencies=[Depends(_negotiate)])  # fmt: skip
CollectionId = Annotated[str, "a collection id"]


def _answer(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, media_type=MEDIA_TYPE, headers=headers)


def _root_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + f"{PREFIX}/{API_ROOT}/"


@router.get("/")
async def discovery(request: Request, principal: Anyone) -> JSONResponse:
    root = _root_url(request)
    return _answer(
        {"title": "awareness", "description": "Early warnings, campaigns, sightings, exposure "
         "and incidents of the critical-infrastructure sectors, as STIX 2.1",
         "default": root, "api_roots": [root]}
    )  # fmt: skip


@router.get(f"/{API_ROOT}/")
async def api_root(principal: Anyone, components: ComponentsDep) -> JSONResponse:
    return _answer(
        {"title": "awareness", "versions": [MEDIA_TYPE],
         "max_content_length": components.settings.limits.max_batch_body_bytes}
    )  # fmt: skip


@router.get(f"/{API_ROOT}/collections/")
async def list_collections(principal: Anyone) -> JSONResponse:
    return _answer({"collections": taxii.collections(principal)})


@router.get(f"/{API_ROOT}/collections/{{collection}}/")
async def get_collection(collection: CollectionId, principal: Anyone) -> JSONResponse:
    return _answer(taxii.find_collection(principal, collection))


async def _page(
    request: Request,
    components: ComponentsDep,
    principal: Principal,
    collection: str,
    *,
    view: str,
    object_id: str | None = None,
    default_version: str = "last",
) -> taxii.Page:
    """One page of a collection's objects, recorded in the audit trail (route, collection,
    how many objects) before it is answered."""
    name = taxii.readable_name(principal, collection)
    params = dict(request.query_params)
    if object_id is not None:
        params["match[id]"] = object_id
    query = taxii.parse_query(params, default_version=default_version)
    async with components.database.read() as conn:
        reader = taxii.Reader(
            conn, principal, name, components.settings.sectors.sectors,
            components.settings.delivery.public_url,
        )  # fmt: skip
        page = await taxii.read_page(reader, query)
    if object_id is not None and not page.items and not page.more:
        raise NotFound(f"no object {object_id} in this collection")
    await record_read(
        components, principal, route=f"taxii/{view}", collection=collection,
        count=len(page.items),
    )  # fmt: skip
    return page


def _dated(page: taxii.Page) -> dict[str, str]:
    if page.first_added is None or page.last_added is None:
        return {}
    return {"X-TAXII-Date-Added-First": page.first_added,
            "X-TAXII-Date-Added-Last": page.last_added}  # fmt: skip


@router.get(f"/{API_ROOT}/collections/{{collection}}/objects/")
async def get_objects(
    collection: CollectionId, request: Request, principal: Anyone, components: ComponentsDep
) -> JSONResponse:
    page = await _page(request, components, principal, collection, view="objects")
    return _answer(taxii.envelope(page), _dated(page))


@router.get(f"/{API_ROOT}/collections/{{collection}}/manifest/")
async def get_manifest(
    collection: CollectionId, request: Request, principal: Anyone, components: ComponentsDep
) -> JSONResponse:
    page = await _page(request, components, principal, collection, view="manifest")
    return _answer(taxii.manifest(page), _dated(page))


@router.get(f"/{API_ROOT}/collections/{{collection}}/objects/{{object_id}}/")
async def get_object(
    collection: CollectionId,
    object_id: str,
    request: Request,
    principal: Anyone,
    components: ComponentsDep,
) -> JSONResponse:
    page = await _page(
        request, components, principal, collection, view="object", object_id=object_id
    )
    return _answer(taxii.envelope(page), _dated(page))


@router.get(f"/{API_ROOT}/collections/{{collection}}/objects/{{object_id}}/versions/")
async def get_versions(
    collection: CollectionId,
    object_id: str,
    request: Request,
    principal: Anyone,
    components: ComponentsDep,
) -> JSONResponse:
    page = await _page(
        request, components, principal, collection, view="versions", object_id=object_id,
        default_version="all",
    )  # fmt: skip
    return _answer(taxii.versions(page), _dated(page))


# Included after every other TAXII router: an unknown path under /taxii2/ is a TAXII 404, a
# known path with another method a TAXII 405, never the board's HTML.
fallback = APIRouter(prefix=PREFIX, include_in_schema=False)


@fallback.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
async def unknown(rest: str, request: Request) -> JSONResponse:
    allowed: set[str] = set()
    for template, route in api_routes(request.app.routes):
        if route.endpoint is unknown or not template.startswith(PREFIX):
            continue
        if compile_path(template)[0].match(request.url.path):
            allowed |= set(route.methods or ())
    if allowed:
        methods = ", ".join(sorted(allowed - {"HEAD"}))
        return JSONResponse(
            {"title": "Method not allowed", "description": f"use {methods}",
             "http_status": "405"},
            status_code=405, media_type=MEDIA_TYPE, headers={"Allow": methods},
        )  # fmt: skip
    raise NotFound(f"no TAXII endpoint {request.url.path}")


schema = APIRouter(include_in_schema=False)


@schema.get(SCHEMA_PATH)
async def warning_extension() -> JSONResponse:
    """The JSON schema of the STIX property extension warnings carry (their level and kind):
    public, so a peer validating the extension can fetch it without a key."""
    return JSONResponse(warning_extension_schema(), media_type="application/schema+json")
