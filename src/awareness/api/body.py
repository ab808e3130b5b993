"""Request bodies parsed by a dependency declared after authentication, so a caller without the
right key learns nothing from validation errors and a refused request is never read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from awareness.api.components import Components
from awareness.api.deps import components_of
from awareness.errors import UnsupportedMediaType
from awareness.validation import parse_json

Model = TypeVar("Model", bound=BaseModel)


def json_body(
    model: type[Model], context: Callable[[Components], dict[str, Any]] | None = None
) -> Callable[[Request], Awaitable[Model]]:
    """Parses the body as `model` (415 not sent as JSON, 400 not JSON, 422 naming each field),
    with a validation context built from the app's settings and clock."""

    async def read(request: Request) -> Model:
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != "application/json" and not (
            media.startswith("application/") and media.endswith("+json")
        ):
            shown = f"is {media!r}" if media else "is missing"
            raise UnsupportedMediaType(f"Content-Type {shown}: send the body as application/json")
        given = context(components_of(request)) if context is not None else None
        return parse_json(model, await request.body(), context=given)

    return read


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` naming the body schema, for routes whose body a dependency parses."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}
