"""What every read model shares: the list envelope of the contract."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """`{"items": [...], "next": CURSOR}`: `?cursor=` with `next` reads the following page."""

    items: list[Item]
    next: str | None = Field(description="cursor of the next page; null on the last page")
