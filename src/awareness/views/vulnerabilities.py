"""What a sector's operators are exposed to now: recently added known-exploited vulnerabilities
and ICS advisories, read from `vulnerability_hits` (the matcher's record). Names only the
sector's own operators; who may read it is decided by the caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.db.tables import advisories, kev_entries, organizations, vulnerability_hits
from awareness.timestamps import UtcTime

AdvisoryCriticality = Literal["critical", "high", "medium", "low", "none"]
# Most severe first: the order the sector view reads them in.
CRITICALITIES: tuple[AdvisoryCriticality, ...] = ("critical", "high", "medium", "low", "none")


class KevExposure(BaseModel):
    cve: str
    name: str = Field(description="the catalogue's name of the vulnerability")
    vendor: str
    product: str
    date_added: date = Field(description="when CISA added it to the catalogue")
    due_date: date | None = Field(description="CISA's remediation deadline for US agencies")
    ransomware: bool = Field(description="known to be used in ransomware campaigns")
    operators: list[str] = Field(description="the sector's operators exposed, by id")
    assets: int = Field(description="their assets exposed to it")


class RecentKev(BaseModel):
    """Known-exploited vulnerabilities added lately that the sector is exposed to."""

    days: int = Field(description="the window: vulnerabilities.kev_recent_days")
    since: date = Field(description="entries added on this day or later count")
    exposed_operators: int = Field(description="operators exposed to any of the entries")
    entries: list[KevExposure] = Field(description="newest first")


class AdvisoryExposure(BaseModel):
    id: str = Field(description="the advisory's tracking id (ICSA-...)")
    title: str
    published: UtcTime
    operators: list[str] = Field(description="the sector's operators exposed, by id")
    assets: int = Field(description="their assets affected")
    cves: int = Field(description="of the advisory's CVEs, those the sector is exposed to")


class CriticalityExposure(BaseModel):
    criticality: AdvisoryCriticality
    exposed_operators: int = Field(description="operators exposed to an advisory of it")
    advisories: list[AdvisoryExposure] = Field(description="newest first")


class SectorVulnerabilities(BaseModel):
    """A sector's exposure to known-exploited vulnerabilities and ICS advisories, its operators
    named (for its supervisors and admins)."""

    sector: str
    operators: int = Field(description="organizations registered in the sector")
    names: dict[str, str] = Field(description="the name of every operator named here, by id")
    kev: RecentKev
    advisories: list[CriticalityExposure] = Field(
        description="every criticality, most severe first (critical, high, medium, low, none)"
    )
    at: UtcTime = Field(description="when this was computed")


@dataclass
class _Exposed:
    """What one KEV entry or advisory reaches in the sector, gathered from its hits."""

    facts: dict[str, Any]
    operators: set[str] = field(default_factory=set)
    assets: set[tuple[str, str]] = field(default_factory=set)
    cves: set[str] = field(default_factory=set)

    def add(self, org_id: str, asset_id: str, cve: str) -> None:
        self.operators.add(org_id)
        self.assets.add((org_id, asset_id))
        self.cves.add(cve)


def _hits(sector: str, since: date) -> sa.Select[Any]:
    """One row per current hit of the sector that is a recent KEV entry (whatever the source
    that found it) or a CSAF advisory, with the facts of both. Rows, not groups: an advisory
    counts distinct assets and CVEs across its operators, which no one GROUP BY gives beside
    the per-operator lists on both databases; the rows are the sector's exposure now, not its
    history."""
    hits = vulnerability_hits
    recent = sa.and_(kev_entries.c.cve == hits.c.cve, kev_entries.c.date_added >= since)
    advisory = sa.and_(hits.c.source == "csaf", advisories.c.id == hits.c.advisory_id)
    # The hit's own sector and the organization's must agree: a row left behind by an operator
    # registered elsewhere never names it here.
    members = sa.select(organizations.c.id).where(organizations.c.sector == sector)
    return (
        sa.select(
            hits.c.org_id,
            hits.c.asset_id,
            hits.c.cve,
            kev_entries.c.cve.label("kev_cve"),
            kev_entries.c.name.label("kev_name"),
            kev_entries.c.vendor.label("kev_vendor"),
            kev_entries.c.product.label("kev_product"),
            kev_entries.c.date_added,
            kev_entries.c.due_date,
            kev_entries.c.ransomware,
            advisories.c.id.label("advisory_id"),
            advisories.c.title.label("advisory_title"),
            advisories.c.published,
            advisories.c.criticality,
        )
        .select_from(hits.outerjoin(kev_entries, recent).outerjoin(advisories, advisory))
        .where(
            hits.c.sector == sector,
            hits.c.org_id.in_(members),
            sa.or_(kev_entries.c.cve.is_not(None), advisories.c.id.is_not(None)),
        )
    )


def _operators_of(found: Iterable[_Exposed]) -> int:
    return len(set().union(*(item.operators for item in found)))


async def sector_vulnerabilities(
    conn: AsyncConnection, sector: str, *, kev_recent_days: int, now: datetime
) -> SectorVulnerabilities:
    """One sector's exposure as of `now`: two queries, the operators and the hits."""
    # The catalogue dates entries by day: the window starts on the clock's UTC day, N days back.
    since = now.date() - timedelta(days=kev_recent_days)
    names = {
        row.id: row.name
        for row in await conn.execute(
            sa.select(organizations.c.id, organizations.c.name).where(
                organizations.c.sector == sector
            )
        )
    }
    kev: dict[str, _Exposed] = {}
    csaf: dict[str, _Exposed] = {}
    for row in await conn.execute(_hits(sector, since)):
        if row.kev_cve is not None:
            entry = kev.setdefault(row.kev_cve, _Exposed({
                "cve": row.kev_cve, "name": row.kev_name, "vendor": row.kev_vendor,
                "product": row.kev_product, "date_added": row.date_added,
                "due_date": row.due_date, "ransomware": row.ransomware,
            }))  # fmt: skip
            entry.add(row.org_id, row.asset_id, row.cve)
        if row.advisory_id is not None:
            criticality = row.criticality if row.criticality in CRITICALITIES else "none"
            found = csaf.setdefault(row.advisory_id, _Exposed({
                "id": row.advisory_id, "title": row.advisory_title, "published": row.published,
                "criticality": criticality,
            }))  # fmt: skip
            found.add(row.org_id, row.asset_id, row.cve)
    entries = sorted(kev.values(), key=lambda e: e.facts["cve"])
    entries.sort(key=lambda e: e.facts["date_added"], reverse=True)
    return SectorVulnerabilities(
        sector=sector,
        operators=len(names),
        names={org: names[org] for org in sorted(_named(kev, csaf))},
        kev=RecentKev(
            days=kev_recent_days,
            since=since,
            exposed_operators=_operators_of(entries),
            entries=[
                KevExposure(**e.facts, operators=sorted(e.operators), assets=len(e.assets))
                for e in entries
            ],
        ),
        advisories=[_by_criticality(c, csaf.values()) for c in CRITICALITIES],
        at=now,
    )


def _named(*found: dict[str, _Exposed]) -> set[str]:
    return {org for group in found for item in group.values() for org in item.operators}


def _by_criticality(
    criticality: AdvisoryCriticality, found: Iterable[_Exposed]
) -> CriticalityExposure:
    """The advisories of one criticality, newest first (by id on the same day)."""
    chosen = sorted(
        (a for a in found if a.facts["criticality"] == criticality), key=lambda a: a.facts["id"]
    )
    chosen.sort(key=lambda a: a.facts["published"], reverse=True)
    return CriticalityExposure(
        criticality=criticality,
        exposed_operators=_operators_of(chosen),
        advisories=[
            AdvisoryExposure(
                id=a.facts["id"],
                title=a.facts["title"],
                published=a.facts["published"],
                operators=sorted(a.operators),
                assets=len(a.assets),
                cves=len(a.cves),
            )
            for a in chosen
        ],
    )
