"""The one place where errors become HTTP responses: `{"detail": ..., "errors": [...]}` with the
contract's status codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.requests import ClientDisconnect

from awareness import errors
from awareness.errors import AwarenessError, FieldError

if TYPE_CHECKING:
    from awareness.api.docs import Access

log = logging.getLogger(__name__)


class NotAcceptable(AwarenessError):
    """The client accepts no media type the endpoint answers in (TAXII: 406)."""


STATUS: dict[type[AwarenessError], int] = {
    errors.InvalidRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    NotAcceptable: 406,
    errors.UnsupportedMediaType: 415,
    errors.ValidationFailed: 422,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}


class InvalidField(BaseModel):
    field: str = Field(description="a path such as `incidents[3].detected_at`")
    message: str


class ErrorBody(BaseModel):
    """Every refusal's answer; `errors` names each invalid field (422)."""

    detail: str
    errors: list[InvalidField] | None = None


_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
_FIELD_ERRORS = {"application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}
_REFUSALS: dict[str, dict[str, Any]] = {
    "400": {"description": "the body is not JSON, or names a key twice"},
    "401": {
        "description": "no API key, or an unknown or revoked one",
        "headers": {
            "WWW-Authenticate": {
                "description": "`Bearer`",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    },
    "403": {"description": "this key's role may not do this"},
    "404": {"description": "nothing by that name or id in the caller's scope"},
    "409": {"description": "it exists already"},
    "413": {"description": "the body is larger than the service accepts"},
    "415": {"description": "the body is not sent as `application/json`"},
    "422": {"description": "invalid: `errors` names each invalid field", "content": _FIELD_ERRORS},
    "429": {
        "description": "too many requests with this key, or failed authentications from this "
        "client; retry after the given seconds",
        "headers": _RETRY_AFTER,
    },
    "503": {
        "description": "the database is unavailable; retry after the given seconds",
        "headers": _RETRY_AFTER,
    },
}
# Refusals that only the operation's own logic knows it makes.
_CONFLICTS = {("post", "/v1/orgs")}  # an organization id registered already


def _refusals(method: str, path: str, operation: dict[str, Any], access: Access | None) -> set[str]:
    """The status codes of the refusals this operation can answer."""
    codes = set()
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    if has_body:
        codes |= {"400", "415", "422"}
    if method in ("post", "put", "patch"):
        codes.add("413")  # the size limit holds for every such request, its body read or not
    for parameter in parameters:
        if parameter["in"] == "path":
            codes.add("404")
        # A free-form path segment is never invalid; any other parameter can be.
        if parameter["in"] != "path" or parameter.get("schema", {}).get("type") != "string":
            codes.add("422")
    if access is not None and access.authenticated:
        codes |= {"401", "429"}
    if access is not None and access.restricted:
        codes.add("403")
    if access is not None and access.database:
        codes.add("503")
    if (method, path) in _CONFLICTS:
        codes.add("409")
    return codes


def document_errors(
    schema: dict[str, Any], accesses: Mapping[tuple[str, str], Access] | None = None
) -> None:
    """Each operation documents the refusals it can answer, by status code, each as `ErrorBody`
    (422 as `FieldErrors`, which always names the fields), not FastAPI's own 422 shape, which
    this service never sends. `accesses` (see `docs.access`) says which operations take a key,
    for which roles, and which touch the database."""
    schemas = schema["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.setdefault("InvalidField", InvalidField.model_json_schema(mode="serialization"))
    schemas["FieldErrors"] = {
        "title": "FieldErrors",
        "description": "422's answer: the reason, and each invalid field",
        "type": "object",
        "properties": {
            "detail": {"type": "string", "title": "Detail"},
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/InvalidField"},
                "title": "Errors",
            },
        },
        "required": ["detail", "errors"],
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's, when the operation has parameters
            access = (accesses or {}).get((method, path))
            for code in sorted(_refusals(method, path, operation, access)):
                documented = responses.get(code)
                if documented is None:
                    responses[code] = {"content": _ERROR, **_REFUSALS[code]}
                elif "headers" in _REFUSALS[code]:
                    # The operation's own answer (readiness's 503) comes with the same headers.
                    documented.setdefault("headers", _REFUSALS[code]["headers"])


def error_response(exc: AwarenessError) -> JSONResponse:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
    body: dict[str, object] = {"detail": exc.message}
    headers: dict[str, str] = {}
    if isinstance(exc, errors.ValidationFailed):
        body["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    if isinstance(exc, errors.Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=status, headers=headers)


TAXII_PREFIX = "/taxii2/"
TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
_TAXII_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                 406: "Not acceptable", 413: "Too large", 415: "Unsupported media type",
                 422: "Bad request", 429: "Too many requests", 503: "Unavailable"}  # fmt: skip


def _for(request: Request, answer: JSONResponse) -> JSONResponse:
    """Under /taxii2/ every error is a TAXII error message in the TAXII media type: invalid
    parameters are 400 (naming them), and a 401 asks for Basic, which TAXII clients send."""
    if not request.url.path.startswith(TAXII_PREFIX):
        return answer
    body = json.loads(bytes(answer.body))
    status = 400 if answer.status_code == 422 else answer.status_code
    description = body.get("detail", "")
    if body.get("errors"):
        description += ": " + "; ".join(f"{e['field']}: {e['message']}" for e in body["errors"])
    headers = {k: v for k, v in answer.headers.items() if k in ("retry-after", "allow")}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="awareness"'
    message = {"title": _TAXII_TITLES.get(status, "Error"), "description": description,
               "http_status": str(status)}  # fmt: skip
    return JSONResponse(message, status_code=status, headers=headers, media_type=TAXII_MEDIA_TYPE)


def answer_error(request: Request, exc: AwarenessError) -> JSONResponse:
    """The answer to a domain error, in the form of the API the request was for."""
    return _for(request, error_response(exc))


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AwarenessError)
    return answer_error(request, exc)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return _for(request, error_response(errors.InvalidRequest("the body is not valid JSON")))
    fields = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")]
        fields.append(FieldError(".".join(loc) or "body", e["msg"].removeprefix("Value error, ")))
    return _for(request, error_response(errors.ValidationFailed(fields)))


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable", extra={"error": type(exc).__name__})
    return _for(
        request,
        error_response(
            errors.Unavailable("the database is unavailable; retry after the given seconds")
        ),
    )


# Raised when the database goes away in the middle of a statement: asyncpg's own (from the
# report writer, which speaks to asyncpg directly) and what SQLAlchemy wraps them in.
_CONNECTION_LOST = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A statement that failed because the connection was lost is a 503 like any outage;
    anything else the database refused is the service's fault, a 500."""
    assert isinstance(exc, sa_exc.DBAPIError)
    if exc.connection_invalidated or isinstance(exc.orig, _CONNECTION_LOST):
        return await _database_down(request, exc)
    log.error("database error", exc_info=exc)
    return _for(request, error_response(errors.AwarenessError("internal error")))


async def _client_gone(_request: Request, _exc: Exception) -> Response:
    # The client hung up before its body arrived: nothing was stored and nobody is listening.
    log.info("client disconnected before the request was read")
    return Response(status_code=499)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(AwarenessError, _domain)
    app.add_exception_handler(RequestValidationError, _request_validation)
    for kind in (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        *_CONNECTION_LOST,
    ):
        app.add_exception_handler(kind, _database_down)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
