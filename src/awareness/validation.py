"""JSON bodies to models: 400 when the body is not JSON at all or names a key twice in one
object, 422 naming each bad field as a path such as `incidents[3].detected_at`.

Duplicate keys are refused rather than resolved (the last wins in one parser, the first in
another, so two readers of one report could disagree), and NUL characters are refused
everywhere (PostgreSQL cannot store them in text; SQLite would, so the databases would
disagree)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from awareness.errors import FieldError, InvalidRequest, ValidationFailed

Model = TypeVar("Model", bound=BaseModel)
# `\u0000` escaped in JSON text, not preceded by an escaped backslash (`\\u0000` is text).
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def _nul_paths(node: Any, path: str = "") -> Iterator[str]:
    if isinstance(node, str):
        if "\x00" in node:
            yield path or "body"
    elif isinstance(node, dict):
        for key, value in node.items():
            inner = f"{path}.{key}" if path else key
            if "\x00" in key:
                yield inner
            yield from _nul_paths(value, inner)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nul_paths(value, f"{path}[{index}]")


def _screen(body: bytes) -> None:
    """What the model cannot see: keys named twice, and NUL characters."""
    try:
        tree = json.loads(body, object_pairs_hook=_unique)
    except _DuplicateKey as exc:
        raise InvalidRequest(f"the body names the key {exc.key!r} twice in one object") from None
    except (ValueError, RecursionError):
        return  # not JSON: the model's parser says why
    # JSON writes NUL only as the escape \u0000: the plain search spares the pattern's scan of
    # every body that has none.
    if b"\\u0000" in body and _NUL.search(body):
        paths = list(dict.fromkeys(_nul_paths(tree)))
        if paths:
            message = "must not contain NUL characters"
            raise ValidationFailed([FieldError(path, message) for path in paths])


def parse_json(model: type[Model], body: bytes, *, context: dict[str, Any] | None = None) -> Model:
    _screen(body)
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
