"""The TLP markings of what a warning names, read from the reports that shared it: per
indicator, the TLPs and sectors of every report of it and how many organizations reported it;
per exposure, the TLP of the incident it comes from. Read when a warning is raised (rarely)
and when a campaign list is shown, never per report."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import incidents, indicators
from awareness.eventlog.tlp import Marking
from awareness.vocabulary import INDICATOR_TYPES, Tlp


class Withheld(BaseModel):
    """An item a warning or campaign names that no report of it lets reach this reader."""

    type: str = Field(description="an indicator type, or `product`")
    tlp: Tlp = Field(description="the least restrictive TLP it was reported under")
    organizations: int = Field(description="how many organizations reported it")
    reason: str

    @classmethod
    def of(cls, marking: Marking) -> Withheld:
        return cls.model_validate(
            {"type": marking.type, "tlp": marking.clearest,
             "organizations": marking.organizations, "reason": marking.reason()}
        )  # fmt: skip


# Pairs per statement: well under SQLite's bound parameters.
_CHUNK = 400


def named_indicators(value: Any) -> set[tuple[str, str]]:
    """Every `{"type", "value"}` indicator in a warning's or level's data."""
    found: set[tuple[str, str]] = set()

    def walk(item: Any) -> None:
        if isinstance(item, list):
            for element in item:
                walk(element)
        elif isinstance(item, dict):
            kind, named = item.get("type"), item.get("value")
            if kind in INDICATOR_TYPES and isinstance(named, str):
                found.add((kind, named))
            for element in item.values():
                walk(element)

    walk(value)
    return found


async def indicator_markings(
    conn: AsyncConnection, pairs: Collection[tuple[str, str]]
) -> list[Marking]:
    """The markings of these indicators, from every report of each."""
    grants: dict[tuple[str, str], dict[str, set[str]]] = {}
    orgs: dict[tuple[str, str], set[str]] = {}
    ordered = sorted(pairs)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = await conn.execute(
            sa.select(
                indicators.c.type,
                indicators.c.value,
                indicators.c.sector,
                indicators.c.org_id,
                incidents.c.tlp,
            )
            .join(incidents, incidents.c.id == indicators.c.incident_id)
            .where(sa.tuple_(indicators.c.type, indicators.c.value).in_(chunk))
            .distinct()
        )
        for kind, value, sector, org, tlp in rows:
            grants.setdefault((kind, value), {}).setdefault(tlp, set()).add(sector)
            orgs.setdefault((kind, value), set()).add(org)
    return [
        Marking(
            kind,
            value,
            {t: sorted(s) for t, s in grants[kind, value].items()},
            len(orgs[kind, value]),
        )
        for kind, value in ordered
        if (kind, value) in grants
    ]


async def report_marking(
    conn: AsyncConnection, incident_id: int, *, kind: str, value: str, aliases: Iterable[str] = ()
) -> list[Marking]:
    """The marking of an item one incident reported (an exposure's product or CVE)."""
    row = (
        await conn.execute(
            sa.select(incidents.c.tlp, incidents.c.sector).where(incidents.c.id == incident_id)
        )
    ).first()
    if row is None:
        return []
    named = tuple(alias for alias in aliases if alias and alias != value)
    return [Marking(kind, value, {row.tlp: [row.sector]}, 1, named)]
