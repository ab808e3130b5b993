"""Request bodies parsed after authentication, so a caller without the right key learns nothing
from validation errors and a refused request is never parsed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from awareness.validation import parse_json

Model = TypeVar("Model", bound=BaseModel)


def json_body(model: type[Model]) -> Callable[[Request], Awaitable[Model]]:
    async def read(request: Request) -> Model:
        return parse_json(model, await request.body())

    return read


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` naming the body schema, for routes that parse their body themselves."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}
