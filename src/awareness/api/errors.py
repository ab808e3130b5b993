"""The one place where errors become HTTP responses: `{"detail": ..., "errors": [...]}` with the
contract's status codes."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.requests import ClientDisconnect

from awareness import errors
from awareness.errors import AwarenessError, FieldError

log = logging.getLogger(__name__)

STATUS: dict[type[AwarenessError], int] = {
    errors.InvalidRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
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


def document_errors(schema: dict[str, Any]) -> None:
    """Every client error of every operation answers `ErrorBody` (a component of the schema),
    not FastAPI's own 422 shape, which this service never sends."""
    answer = {
        "description": "refused: the reason, and for 422 each invalid field",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["4XX"] = answer
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


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


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AwarenessError)
    return error_response(exc)


async def _request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return error_response(errors.InvalidRequest("the body is not valid JSON"))
    fields = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")]
        fields.append(FieldError(".".join(loc) or "body", e["msg"].removeprefix("Value error, ")))
    return error_response(errors.ValidationFailed(fields))


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable", extra={"error": type(exc).__name__})
    return error_response(
        errors.Unavailable("the database is unavailable; retry after the given seconds")
    )


# Raised when the database goes away in the middle of a statement: asyncpg's own (from the
# report writer, which speaks to asyncpg directly) and what SQLAlchemy wraps them in.
_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A statement that failed because the connection was lost is a 503 like any outage;
    anything else the database refused is the service's fault, a 500."""
    assert isinstance(exc, sa_exc.DBAPIError)
    lost = (*_CONNECTION_LOST, ConnectionError, TimeoutError)
    if exc.connection_invalidated or isinstance(exc.orig, lost):
        return await _database_down(request, exc)
    log.error("database error", exc_info=exc)
    return error_response(errors.AwarenessError("internal error"))


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
        ConnectionError,
        TimeoutError,
        *_CONNECTION_LOST,
    ):
        app.add_exception_handler(kind, _database_down)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
