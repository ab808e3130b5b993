"""Opaque list cursors: `next` encodes where the page ended, newest first."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query

from awareness.errors import FieldError, ValidationFailed

Item = TypeVar("Item")

# Ids and seqs are 64-bit in both databases: a larger number is refused as invalid (422) rather
# than reaching a driver that cannot bind it.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=-MAX_ID - 1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size, at most 1,000")]
Cursor = Annotated[str | None, Query(description="`next` of the previous page")]


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError
        position = int(value)
        if not -MAX_ID - 1 <= position <= MAX_ID:
            raise ValueError
        return position
    except ValueError:
        raise ValidationFailed([FieldError("cursor", "not a cursor this list returned")]) from None


def page(items: Sequence[Item], *, limit: int, position: Callable[[Item], int]) -> dict[str, Any]:
    """The `Page` of `items`, which holds up to limit + 1 entries: the extra one only says
    another page exists."""
    more = len(items) > limit
    kept = list(items[:limit])
    return {"items": kept, "next": encode_cursor(position(kept[-1])) if more and kept else None}
