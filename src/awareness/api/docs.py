"""The API's reference, readable with no request leaving the service: `/docs` (Swagger UI) with
its script, style sheet and icon served from an installed package, fastapi-offline's copy of
swagger-ui-dist, instead of a CDN. ReDoc is not served: it loads a logo from its vendor's CDN.

Also what the generated OpenAPI schema cannot see for itself, because keys are checked and bodies
read by dependencies rather than declared parameters: which operations need a key
(`security`), for which roles, and which touch the database. `access` reads that from the
routes' dependencies; `document_security` writes it into the schema, and
`errors.document_errors` the refusals it implies."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, get_args

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from awareness.api.deps import ComponentsDep, DatabaseDep, IngestDep, authenticate
from awareness.auth.principal import Role
from awareness.errors import NotFound

router = APIRouter(include_in_schema=False)

ASSETS = "/docs/assets"
# The files of swagger-ui-dist the page needs, by name, with their media types: nothing else of
# the package's folder is served.
_MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
BEARER = "apiKey"
_BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "An API key, sent as `Authorization: Bearer <key>`: `awareness keys create` issues the "
        "first admin key, `POST /v1/keys` the others. The live feed (the WebSocket "
        "`/v1/feed`, which OpenAPI does not describe) also takes a single-use ticket from "
        "`POST /v1/feed/tickets`, as the subprotocol `ticket.<ticket>` or as `?ticket=`."
    ),
}


def _static() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over `/openapi.json`; every URL on the page is this service's own."""
    root = request.scope.get("root_path", "").rstrip("/")
    app: FastAPI = request.app
    return get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} API",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        oauth2_redirect_url=None,
        # No online validator badge: it would send the schema's URL to swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(ASSETS + "/{name}")
async def swagger_asset(name: str) -> FileResponse:
    media_type = _MEDIA_TYPES.get(name)
    if media_type is None:
        raise NotFound(f"no documentation asset {name!r}")
    return FileResponse(_static() / name, media_type=media_type)


@dataclass(frozen=True, slots=True)
class Access:
    """What an operation's dependencies require of the caller and touch."""

    authenticated: bool
    # The roles whose keys are let through; None: a check this module cannot read.
    roles: frozenset[Role] | None
    database: bool

    @property
    def restricted(self) -> bool:
        """Some role's key is refused (403)."""
        return self.authenticated and self.roles != frozenset(Role)


def _dependency(annotated: Any) -> Callable[..., Any]:
    call: Callable[..., Any] = get_args(annotated)[1].dependency
    return call


# Dependencies that hand a route the database, or what reads and writes it.
_DATABASE = frozenset(_dependency(dep) for dep in (ComponentsDep, DatabaseDep, IngestDep))


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _roles(calls: Iterable[Callable[..., Any]]) -> frozenset[Role] | None:
    """The roles that pass every `deps.allow(...)` check among the calls (every role when there
    is none), or None when a check's roles cannot be read."""
    allowed = frozenset(Role)
    for call in calls:
        if call.__qualname__.endswith("allow.<locals>.check"):
            roles = inspect.getclosurevars(call).nonlocals.get("roles")
            if roles is None:
                return None
            allowed &= frozenset(roles)
    return allowed


_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


def api_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every `APIRoute` with its full path, inside included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
            continue
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from api_routes(included.routes, prefix + getattr(context, "prefix", ""))


def access(app: FastAPI) -> dict[tuple[str, str], Access]:
    """Each documented operation's `Access`, keyed by (lower-case method, path)."""
    found = {}
    for template, route in api_routes(app.routes):
        if not route.include_in_schema:
            continue
        # As OpenAPI writes it: `{incident_id}`, not the route's `{incident_id:int}`.
        path = _CONVERTOR.sub(r"{\1}", template)
        calls = list(_calls(route.dependant))
        authenticated = authenticate in calls
        described = Access(
            authenticated=authenticated,
            roles=_roles(calls),
            # A key is looked up in the database (past a short cache).
            database=authenticated or any(call in _DATABASE for call in calls),
        )
        for method in route.methods or ():
            found[method.lower(), path] = described
    return found


def document_security(schema: dict[str, Any], accesses: dict[tuple[str, str], Access]) -> None:
    """Declares the bearer scheme, and requires it on every operation that checks a key; public
    operations (health, vocabulary) declare none."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[BEARER] = _BEARER_SCHEME
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            described = accesses.get((method, path))
            if described is None or not described.authenticated:
                continue
            operation["security"] = [{BEARER: []}]
            if described.roles is not None and described.restricted:
                names = ", ".join(role.value for role in Role if role in described.roles)
                note = f"Roles: {names}."
                given = operation.get("description")
                operation["description"] = f"{given}\n\n{note}" if given else note


# Successes an operation answers besides its declared status, which FastAPI documents alone.
_ALSO = {("post", "/v1/assets"): ("200", "201", "replaced: an asset of that `asset_id` existed")}
_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key`",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def document_outcomes(schema: dict[str, Any]) -> None:
    """Documents the successes FastAPI cannot see: creating or replacing an asset (201 or 200),
    and the header that marks an idempotent replay."""
    for (method, path), (code, like, description) in _ALSO.items():
        responses = schema["paths"].get(path, {}).get(method, {}).get("responses")
        if responses is not None and like in responses:
            responses.setdefault(code, {**responses[like], "description": description})
    for operations in schema["paths"].values():
        for operation in operations.values():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if "Idempotency-Key" not in names:
                continue
            for code, response in operation.get("responses", {}).items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(_REPLAYED)
