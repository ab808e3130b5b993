"""Who may receive an event and in which form: the same rules as `GET /v1/warnings`, applied to
events as they are broadcast, and the key under which one decision and one encoding serve
many clients."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from awareness.auth.principal import Principal, Role
from awareness.eventlog import Event, redact


@dataclass(frozen=True, slots=True)
class Audience:
    principal: Principal
    sectors: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    # Clients with equal keys see the same events in the same form: the broadcaster decides
    # and encodes once per key and event. A string, so its hash is computed once.
    key: str = field(init=False, default="")

    def __post_init__(self) -> None:
        who = self.principal
        scope = sorted(who.sectors) if who.sectors is not None else "*"
        parts = (who.role.value, who.org_id, who.org_sector, scope, sorted(self.sectors),
                 sorted(self.kinds))  # fmt: skip
        object.__setattr__(self, "key", repr(parts))

    def may_see(self, event: Event) -> bool:
        who = self.principal
        if who.role is Role.operator:
            allowed = who.org_id in event.targets or (
                event.kind == "sector_level" and who.org_sector in event.sectors
            )
        elif who.role is Role.admin or who.sectors is None:
            allowed = True
        else:
            allowed = not who.sectors.isdisjoint(event.sectors)
        if not allowed:
            return False
        if self.sectors and self.sectors.isdisjoint(event.sectors):
            return False
        return not self.kinds or event.kind in self.kinds

    def encode(self, event: Event) -> str:
        message = event.message()
        if self.principal.role is Role.operator and event.type == "warning":
            message = message | {"data": redact(self.principal, message["data"])}
        return json.dumps(message, separators=(",", ":"))


def parse_filters(values: Sequence[str], known: Sequence[str]) -> frozenset[str]:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown value {unknown[0]!r}")
    return frozenset(values)
