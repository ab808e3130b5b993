"""Who is calling: role, organization and sector scope, and what that lets them see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa


class Role(StrEnum):
    operator = "operator"
    supervisor = "supervisor"
    responder = "responder"
    admin = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int
    role: Role
    org_id: str | None = None
    org_sector: str | None = None
    # None: every sector. Only supervisors and responders are limited to a list.
    sectors: frozenset[str] | None = None
    name: str | None = None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"

    @property
    def display(self) -> str:
        """How acknowledgements name the person: the key's label, its role and id."""
        label = f"{self.name} " if self.name else ""
        return f"{label}({self.role.value}, key {self.key_id})"

    def manages(self, owner_key_id: int, sectors: Iterable[str] | None) -> bool:
        """Whether this key manages a subscription owned by `owner_key_id` covering `sectors`
        (None: every sector): admins all, a responder its own, a supervisor its own and those
        lying within its sectors."""
        if self.role is Role.admin or owner_key_id == self.key_id:
            return True
        if self.role is not Role.supervisor:
            return False
        if self.sectors is None:
            return True
        return sectors is not None and set(sectors) <= self.sectors

    def report_scope(self, table: sa.Table) -> sa.ColumnElement[bool]:
        """The rows of a report table (incidents, assets) this caller may read."""
        if self.role is Role.operator:
            return table.c.org_id == self.org_id
        if self.role is Role.admin or self.sectors is None:
            return sa.true()
        return table.c.sector.in_(sorted(self.sectors))
