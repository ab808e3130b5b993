"""TLP 2.0 as the service honours it: who a report's TLP lets see what it shared, and a warning's
text with what a reader may not see taken out. Pure functions of the reader and of the
markings a warning was raised with; no I/O.

The service's supervisors are the recipients an operator reports to. `red` reaches the
reporting organization and its sector's supervisors; `amber+strict` also that sector's
responders and the service's admins (the recipient organization); `amber` also the operators a
warning is addressed to, on need to know; `green` and `clear` every key."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from awareness.auth.principal import Principal, Role
from awareness.vocabulary import TLPS

# Least restrictive first, as in vocabulary.TLPS.
RANK = {tlp: rank for rank, tlp in enumerate(TLPS)}


def reaches(principal: Principal, tlp: str, sector: str, *, addressed: bool) -> bool:
    """Whether a report of `sector`'s operator shared under `tlp` may reach this reader of a
    warning (or export) derived from it; `addressed`: the warning is addressed to the reader's
    organization."""
    if tlp in ("clear", "green"):
        return True
    in_scope = principal.sectors is None or sector in principal.sectors
    if principal.role is Role.supervisor:
        return in_scope
    if principal.role is Role.responder:
        return tlp != "red" and in_scope
    if principal.role is Role.admin:
        return tlp != "red"
    return tlp == "amber" and addressed


def may_read_report(principal: Principal, *, tlp: str, org_id: str, sector: str) -> bool:
    """A report itself: its organization always, others as `reaches` (never addressed)."""
    if principal.role is Role.operator and principal.org_id == org_id:
        return True
    return reaches(principal, tlp, sector, addressed=False)


@dataclass(frozen=True, slots=True)
class Marking:
    """What the reports of one item a warning names (an indicator, or an exposure's product)
    let readers see: per TLP, the sectors of the organizations that shared it so; and how many
    organizations reported it. Stored with the warning and its event, never shown."""

    type: str
    value: str
    grants: Mapping[str, Sequence[str]]
    organizations: int
    # Other forms of the item in text (an exposure names a product by vendor and name).
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "type": self.type,
            "value": self.value,
            "grants": {tlp: sorted(sectors) for tlp, sectors in self.grants.items()},
            "organizations": self.organizations,
        }
        if self.aliases:
            found["aliases"] = list(self.aliases)
        return found

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Marking:
        return cls(
            data["type"],
            data["value"],
            data["grants"],
            data["organizations"],
            tuple(data.get("aliases", ())),
        )

    @property
    def clearest(self) -> str:
        """The least restrictive TLP it was shared under."""
        return min(self.grants, key=RANK.__getitem__) if self.grants else "red"

    def marking_for(self, principal: Principal, *, addressed: bool) -> str | None:
        """The TLP this reader holds it under (the least restrictive of the reports that reach
        it), or None: withheld."""
        best: str | None = None
        for tlp, sectors in self.grants.items():
            if best is not None and RANK[tlp] >= RANK[best]:
                continue
            if any(reaches(principal, tlp, sector, addressed=addressed) for sector in sectors):
                best = tlp
        return best

    def named(self) -> str:
        """How text names it instead: the title around it says how many reported it."""
        what = "an indicator" if self.type != "product" else "a product"
        return f"{what} withheld under TLP:{self.clearest.upper()}"

    def reason(self) -> str:
        orgs = self.organizations
        return f"{self.named()}, reported by {orgs} organization{'s' * (orgs != 1)}"


def markings_of(data: Iterable[Mapping[str, Any]] | None) -> list[Marking]:
    return [Marking.of(item) for item in data or ()]


def key_of(kind: str, value: str) -> tuple[str, str]:
    return kind, value.lower()


@dataclass(frozen=True, slots=True)
class Reading:
    """What one reader may see of a warning's items: the TLP of each it may see, and the
    markings of those withheld."""

    shown: dict[tuple[str, str], str]
    withheld: list[Marking]


def read(principal: Principal, markings: Sequence[Marking], *, addressed: bool) -> Reading:
    shown: dict[tuple[str, str], str] = {}
    withheld: list[Marking] = []
    for marking in markings:
        tlp = marking.marking_for(principal, addressed=addressed)
        if tlp is None:
            withheld.append(marking)
        else:
            shown[key_of(marking.type, marking.value)] = tlp
    return Reading(shown, withheld)


def withhold(value: Any, withheld: Sequence[Marking]) -> Any:
    """`value` (a warning's title, evidence, indicators) with every withheld item taken out:
    an `{"type", "value"}` object becomes `{"type", "withheld"}`, and text naming it names the
    reason instead."""
    if not withheld:
        return value
    by_key = {key_of(m.type, m.value): m for m in withheld}
    texts: list[tuple[str, str]] = []
    for marking in withheld:
        for form in (f"{marking.type} {marking.value}", marking.value, *marking.aliases):
            if form:
                texts.append((form, marking.named()))
    # Longest first, so "ipv4 1.2.3.4" goes before "1.2.3.4" and a value never half-replaced.
    texts.sort(key=lambda pair: -len(pair[0]))
    pattern = re.compile("|".join(re.escape(form) for form, _ in texts), re.IGNORECASE)
    reasons = {form.lower(): reason for form, reason in texts}

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return pattern.sub(lambda m: reasons[m.group(0).lower()], item)
        if isinstance(item, list):
            return [walk(element) for element in item]
        if isinstance(item, dict):
            kind, named = item.get("type"), item.get("value")
            if isinstance(kind, str) and isinstance(named, str):
                marking = by_key.get(key_of(kind, named))
                if marking is not None:
                    return {"type": kind, "withheld": marking.reason()}
            return {key: walk(element) for key, element in item.items()}
        return item

    return walk(value)
