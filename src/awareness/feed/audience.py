"""Who may receive an event and in which form: `eventlog.visibility` applied to events as they
are broadcast, the client's own filters, and the key under which one decision and one encoding
serve many clients."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from awareness.auth.principal import Principal
from awareness.eventlog.reader import Event
from awareness.eventlog.visibility import may_see, redaction


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

    def wants(self, event: Event) -> bool:
        """May see it, and asked for it."""
        if not may_see(
            self.principal, kind=event.kind, sectors=event.sectors, targets=event.targets
        ):
            return False
        if self.sectors and self.sectors.isdisjoint(event.sectors):
            return False
        return not self.kinds or event.kind in self.kinds

    def encode(self, event: Event) -> str:
        message = event.message()
        if event.type in ("warning", "sector_level"):
            changes = redaction(self.principal, event.data, event.markings)
            if changes:
                message["data"] = event.data | changes
        return json.dumps(message, separators=(",", ":"))


def parse_filters(values: Sequence[str], known: Sequence[str]) -> frozenset[str]:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown value {unknown[0]!r}")
    return frozenset(values)
