"""JSON bodies to models: 400 when the body is not JSON at all, 422 naming each bad field as a
path such as `incidents[3].detected_at`."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from awareness.errors import FieldError, InvalidRequest, ValidationFailed

Model = TypeVar("Model", bound=BaseModel)


def parse_json(model: type[Model], body: bytes, *, context: dict[str, Any] | None = None) -> Model:
    try:
        return model.model_validate_json(body, context=context)
    except ValidationError as exc:
        broken = [e for e in exc.errors() if e["type"] == "json_invalid"]
        if broken or not body.strip():
            reason = broken[0]["msg"] if broken else "empty body"
            raise InvalidRequest(f"the body is not valid JSON: {reason}") from None
        raise ValidationFailed(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors(include_url=False):
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = (
                "not accepted: the organization is always the API key's"
                if error["loc"][-1] == "org_id"
                else "unknown field"
            )
        errors.append(FieldError(path or "body", message))
    return errors
