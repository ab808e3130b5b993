"""Who may receive an event and in which form: the same rules as `GET /v1/warnings`, applied to
events as they are broadcast, and the key under which one encoding serves many clients."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from awareness.auth.principal import Principal, Role
from awareness.eventlog import Event, redact


@dataclass(frozen=True, slots=True)
class Audience:
    principal: Principal
    sectors: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()

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

    def encoding_key(self, event: Event) -> str:
        """Clients with the same key receive the same bytes: everyone gets the event as it is,
        except operators, who see an addressed warning addressed to them alone."""
        if self.principal.role is Role.operator and event.targets:
            return f"org:{self.principal.org_id}"
        return "all"

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
