"""Vulnerability warnings: operators' assets matched against the imported KEV catalogue and CSAF
advisories. A consumer of `vulnerability_scans`, which an asset report (that asset) and an
import (every asset) add to in their own transactions: each step matches the assets asked
for, warns their operators of what is new, withdraws what no longer holds, and deletes the
requests it handled, all in one transaction, so a request is handled exactly once.

After a KEV import or an exposure warning, a step also raises the level of each recent
exposure warning whose product or CVE is in the KEV catalogue: a product attacked at a peer
and known to be exploited in the wild is more urgent than either alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.clock import Clock
from awareness.consumers.leader import Leadership
from awareness.consumers.runner import Progress
from awareness.correlator.emit import (
    emit_warning,
    reissue_warning,
    withdraw_warning,
)
from awareness.db.tables import (
    advisories,
    advisory_products,
    assets,
    kev_entries,
    vulnerability_hits,
    vulnerability_scans,
    warnings,
)
from awareness.eventlog.writer import EventWriter
from awareness.scoring.advisories import (
    Advisory,
    AffectedProduct,
    Aliases,
    Asset,
    KevEntry,
    match,
    normalize,
)
from awareness.scoring.config import ScoringConfig
from awareness.scoring.levels import Level
from awareness.scoring.vendors import compact
from awareness.scoring.vulnerabilities import (
    AdvisoryFacts,
    AssetFacts,
    Facts,
    Finding,
    KevFacts,
    Known,
    compare,
    evidence_of,
    group_key,
    groups,
    kev_topic,
    level_of,
    title_of,
    withdrawal_note,
)
from awareness.settings import Settings

KIND = "vulnerability"
# Requests that ask for every asset, and those after which recent exposure warnings are
# checked against the KEV catalogue.
EVERY_ASSET = ("kev", "csaf", "migration")
EXPOSURES = ("kev", "exposure", "migration")


async def request_scan(
    conn: AsyncConnection,
    *,
    reason: str,
    at: datetime,
    pairs: Iterable[tuple[str, str]] = (),
) -> None:
    """Ask the matcher for these (organization, asset) pairs, or, with none, for every asset."""
    rows = [{"org_id": org, "asset_id": asset, "reason": reason, "requested_at": at}
            for org, asset in pairs]  # fmt: skip
    if not rows:
        rows = [{"org_id": None, "asset_id": None, "reason": reason, "requested_at": at}]
    await conn.execute(sa.insert(vulnerability_scans), rows)


class Matcher:
    """Run by `consumers.runner.Runner`, one process per database (leader-elected)."""

    name = "vulnerabilities"
    exclusive = True

    def __init__(self, *, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        # Told the newest seq after a step appended events (wakes the feeds).
        self.on_appended: Callable[[int], None] | None = None

    async def step(self, leadership: Leadership) -> Progress:
        options = self._settings.vulnerabilities
        async with leadership.transaction() as conn:
            writer = EventWriter(conn)
            handled, more = await match_requested(
                conn, writer, aliases=self._settings.vendors.aliases,
                scoring=self._settings.scoring, now=self._clock.now(), batch=options.batch,
            )  # fmt: skip
        if writer.appended and self.on_appended is not None:
            self.on_appended(max(writer.appended))
        return Progress(handled, more=more)


async def match_requested(
    conn: AsyncConnection,
    writer: EventWriter,
    *,
    aliases: Aliases,
    scoring: ScoringConfig,
    now: datetime,
    batch: int,
) -> tuple[int, bool]:
    """Handle up to `batch` requests: (how many, whether more wait)."""
    requests = (
        (
            await conn.execute(
                sa.select(vulnerability_scans).order_by(vulnerability_scans.c.id).limit(batch + 1)
            )
        )
        .mappings()
        .all()
    )
    more = len(requests) > batch
    requests = requests[:batch]
    if not requests:
        return 0, False
    every = any(r["org_id"] is None and r["reason"] in EVERY_ASSET for r in requests)
    pairs = {(r["org_id"], r["asset_id"]) for r in requests if r["org_id"] is not None}
    if every or pairs:
        await _match_assets(
            conn, writer, None if every else pairs, aliases=aliases, scoring=scoring, now=now
        )
    if any(r["reason"] in EXPOSURES for r in requests):
        await _raise_exposures(conn, writer, aliases=aliases, scoring=scoring, now=now)
    taken = [r["id"] for r in requests]
    await conn.execute(sa.delete(vulnerability_scans).where(vulnerability_scans.c.id.in_(taken)))
    return len(requests), more


@dataclass(frozen=True, slots=True)
class _Stored:
    org_id: str
    asset_id: str
    sector: str
    asset: Asset
    facts: AssetFacts


async def _assets(conn: AsyncConnection, pairs: set[tuple[str, str]] | None) -> list[_Stored]:
    query = sa.select(
        assets.c.org_id, assets.c.asset_id, assets.c.sector, assets.c.vendor, assets.c.product,
        assets.c.version, assets.c.cves,
    )  # fmt: skip
    if pairs is not None:
        query = query.where(sa.tuple_(assets.c.org_id, assets.c.asset_id).in_(sorted(pairs)))
    found = []
    for row in (await conn.execute(query)).mappings():
        asset = Asset(row["vendor"], row["product"], row["version"], tuple(row["cves"] or ()))
        facts = AssetFacts(row["asset_id"], row["vendor"], row["product"], row["version"])
        found.append(_Stored(row["org_id"], row["asset_id"], row["sector"], asset, facts))
    return found


@dataclass
class _Candidates:
    """The advisories and KEV entries the assets may match: by vendor, and by CVE listed."""

    by_vendor: dict[str, list[Advisory]]
    by_cve: dict[str, list[Advisory]]
    kev: dict[str, KevEntry]
    kev_by_vendor: dict[str, list[KevEntry]]
    advisories: dict[str, Advisory]

    def advisories_for(self, vendor: str, cves: Iterable[str]) -> list[Advisory]:
        found = {a.id: a for a in self.by_vendor.get(vendor, ())}
        for cve in cves:
            found.update((a.id, a) for a in self.by_cve.get(cve, ()))
        return list(found.values())

    def kev_for(
        self, vendor: str, cves: Iterable[str], advisories: Iterable[Advisory]
    ) -> dict[str, KevEntry]:
        found = {e.cve: e for e in self.kev_by_vendor.get(vendor, ())}
        named = {*cves, *(cve for a in advisories for cve in a.cves)}
        found.update((cve, self.kev[cve]) for cve in named if cve in self.kev)
        return found


def _vendor(name: str | None, aliases: Aliases) -> str:
    return compact(normalize(name, aliases)) if name else ""


def _product(name: str, aliases: Aliases) -> str:
    return compact(normalize(name, aliases))


async def _candidates(
    conn: AsyncConnection, stored: Sequence[_Stored], aliases: Aliases
) -> _Candidates:
    """Read once per pass, only for the vendors and CVEs the assets name."""
    vendors = sorted({_vendor(s.asset.vendor, aliases) for s in stored} - {""})
    listed = sorted({cve for s in stored for cve in s.asset.cves})
    vendor_key = sa.func.replace(advisory_products.c.vendor_key, " ", "")
    ids = set(
        (
            await conn.execute(
                sa.select(advisory_products.c.advisory_id).where(vendor_key.in_(vendors)).distinct()
            )
        ).scalars()
    )
    if listed:
        wanted = set(listed)
        for ident, cves in await conn.execute(sa.select(advisories.c.id, advisories.c.cves)):
            if wanted.intersection(cves or ()):
                ids.add(ident)
    loaded = await _advisories(conn, sorted(ids))
    by_vendor: dict[str, list[Advisory]] = {}
    by_cve: dict[str, list[Advisory]] = {}
    for advisory in loaded.values():
        for vendor in {_vendor(p.vendor, aliases) for p in advisory.products}:
            by_vendor.setdefault(vendor, []).append(advisory)
        for cve in advisory.cves:
            by_cve.setdefault(cve, []).append(advisory)
    named = sorted({*listed, *(cve for a in loaded.values() for cve in a.cves)})
    kev_vendor = sa.func.replace(kev_entries.c.vendor_key, " ", "")
    kev: dict[str, KevEntry] = {}
    for start in range(0, max(len(named), 1), 500):
        chunk = named[start : start + 500]
        query = sa.select(kev_entries).where(
            sa.or_(kev_vendor.in_(vendors), kev_entries.c.cve.in_(chunk))
        )
        kev.update((row["cve"], _kev(row)) for row in (await conn.execute(query)).mappings())
    kev_by_vendor: dict[str, list[KevEntry]] = {}
    for entry in kev.values():
        kev_by_vendor.setdefault(_vendor(entry.vendor, aliases), []).append(entry)
    return _Candidates(by_vendor, by_cve, kev, kev_by_vendor, loaded)


def _kev(row: Any) -> KevEntry:
    return KevEntry(
        cve=row["cve"], vendor=row["vendor"], product=row["product"], name=row["name"],
        date_added=row["date_added"], due_date=row["due_date"], ransomware=row["ransomware"],
        description=row["description"], action=row["action"], digest=row["digest"],
    )  # fmt: skip


async def _advisories(conn: AsyncConnection, ids: list[str]) -> dict[str, Advisory]:
    loaded: dict[str, Advisory] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        products: dict[str, list[AffectedProduct]] = {}
        query = sa.select(advisory_products).where(advisory_products.c.advisory_id.in_(chunk))
        for row in (await conn.execute(query.order_by(advisory_products.c.id))).mappings():
            products.setdefault(row["advisory_id"], []).append(
                AffectedProduct(
                    vendor=row["vendor"],
                    product=row["product"],
                    versions=row["versions"],
                    status=row["status"],
                    cves=tuple(row["cves"]),
                    remediation=row["remediation"],
                )
            )
        rows = await conn.execute(sa.select(advisories).where(advisories.c.id.in_(chunk)))
        for row in rows.mappings():
            loaded[row["id"]] = Advisory(
                id=row["id"], title=row["title"], published=row["published"],
                updated=row["updated"], cves=tuple(row["cves"]), criticality=row["criticality"],
                products=tuple(products.get(row["id"], ())), digest=row["digest"],
            )  # fmt: skip
    return loaded


async def _match_assets(
    conn: AsyncConnection,
    writer: EventWriter,
    pairs: set[tuple[str, str]] | None,
    *,
    aliases: Aliases,
    scoring: ScoringConfig,
    now: datetime,
) -> None:
    stored = await _assets(conn, pairs)
    candidates = await _candidates(conn, stored, aliases)
    found: list[Finding] = []
    for item in stored:
        vendor = _vendor(item.asset.vendor, aliases)
        listed = item.asset.cves
        mine = candidates.advisories_for(vendor, listed)
        kev = candidates.kev_for(vendor, listed, mine)
        # KEV findings are told per product the operator runs (the catalogue names one
        # product many ways), or per asset when it names none.
        if item.asset.vendor and item.asset.product:
            kev_by_product = kev_topic(vendor, _product(item.asset.product, aliases))
        else:
            kev_by_product = kev_topic("asset", item.asset_id)
        for hit in match(item.asset, mine, kev, aliases=aliases):
            if hit.advisory_id is not None:
                digest, topic = candidates.advisories[hit.advisory_id].digest, hit.advisory_id
            else:
                digest, topic = kev[hit.cve].digest, kev_by_product
            found.append(
                Finding(
                    item.org_id,
                    item.asset_id,
                    hit.cve,
                    hit.source,
                    hit.advisory_id or "",
                    digest,
                    hit.reason,
                    hit.remediation,
                    topic,
                )
            )
    query = sa.select(vulnerability_hits)
    if pairs is not None:
        query = query.where(
            sa.tuple_(vulnerability_hits.c.org_id, vulnerability_hits.c.asset_id).in_(sorted(pairs))
        )
    known = [
        Known(r["org_id"], r["asset_id"], r["cve"], r["source"], r["advisory_id"], r["digest"],
              r["warning_id"])
        for r in (await conn.execute(query)).mappings()
    ]  # fmt: skip
    outcome = compare(found, known)
    sectors = {(s.org_id, s.asset_id): s.sector for s in stored}
    facts = Facts(
        kev={
            cve: KevFacts(e.name, e.date_added, e.due_date, e.ransomware, e.action)
            for cve, e in candidates.kev.items()
        },
        advisories={
            a.id: AdvisoryFacts(a.id, a.title, a.criticality)
            for a in candidates.advisories.values()
        },
        assets={(s.org_id, s.asset_id): s.facts for s in stored},
    )
    for row in [*outcome.gone, *outcome.replaced]:
        await conn.execute(
            sa.delete(vulnerability_hits).where(
                vulnerability_hits.c.org_id == row.org_id,
                vulnerability_hits.c.asset_id == row.asset_id,
                vulnerability_hits.c.cve == row.cve,
                vulnerability_hits.c.source == row.source,
                vulnerability_hits.c.advisory_id == row.advisory_id,
            )
        )
    raised: dict[int, int] = {}  # a replaced row's warning -> the warning that replaced it
    standing = await _open_warnings(conn, {f.org_id for f in outcome.news})
    extended: dict[int, list[Finding]] = {}
    for group in groups(outcome.news):
        updated = any(f.key in outcome.updated for f in group)
        org_id = group[0].org_id
        sector = sectors[(org_id, group[0].asset_id)]
        # Another asset of an advisory already warned of: the open warning names it too.
        warning_id = None if updated else standing.get((org_id, group_key(group)))
        if warning_id is None:
            warning_id = await emit_warning(
                conn, writer, kind=KIND, sector=sector, sectors=(),
                level=level_of(group, facts, cfg=scoring.vulnerability).label,
                title=title_of(group, facts, updated=updated),
                evidence=evidence_of(group, facts, updated=updated), at=now,
                target_orgs=[org_id],
            )  # fmt: skip
        else:
            extended.setdefault(warning_id, []).extend(group)
        await conn.execute(
            sa.insert(vulnerability_hits),
            [
                {"org_id": f.org_id, "asset_id": f.asset_id, "cve": f.cve, "source": f.source,
                 "advisory_id": f.advisory_id, "sector": sector, "topic": f.about,
                 "digest": f.digest,
                 "reason": f.reason[:2000], "warning_id": warning_id, "found_at": now}
                for f in group
            ],
        )  # fmt: skip
        for row in outcome.replaced:
            if any(f.key == row.key for f in group):
                raised[row.warning_id] = warning_id
    for warning_id, added in sorted(extended.items()):
        cves = ", ".join(sorted({f.cve for f in added}))
        named = ", ".join(sorted({f.asset_id for f in added}))
        why = f"Also: {cves} on {named}"
        await _refresh(conn, writer, warning_id, facts, scoring=scoring, now=now, why=why)
    await _close(conn, writer, outcome.gone, outcome.replaced, raised, facts,
                 scoring=scoring, now=now)  # fmt: skip


async def _open_warnings(conn: AsyncConnection, orgs: set[str]) -> dict[tuple[str, str], int]:
    """The unresolved vulnerability warnings of these organizations, by what they are about."""
    if not orgs:
        return {}
    query = (
        sa.select(vulnerability_hits)
        .join(warnings, warnings.c.id == vulnerability_hits.c.warning_id)
        .where(vulnerability_hits.c.org_id.in_(sorted(orgs)), warnings.c.state != "resolved")
    )
    rows: dict[int, list[Finding]] = {}
    for row in (await conn.execute(query)).mappings():
        rows.setdefault(row["warning_id"], []).append(_finding(row))
    return {(found[0].org_id, group_key(found)): warning_id for warning_id, found in rows.items()}


def _finding(row: Any) -> Finding:
    return Finding(
        row["org_id"], row["asset_id"], row["cve"], row["source"], row["advisory_id"],
        row["digest"], row["reason"], topic=row["topic"],
    )  # fmt: skip


async def _refresh(
    conn: AsyncConnection,
    writer: EventWriter,
    warning_id: int,
    facts: Facts,
    *,
    scoring: ScoringConfig,
    now: datetime,
    why: str,
) -> None:
    """The warning rewritten from the findings it holds now, and told again."""
    query = sa.select(vulnerability_hits).where(vulnerability_hits.c.warning_id == warning_id)
    found = [_finding(row) for row in (await conn.execute(query)).mappings()]
    before = (
        await conn.execute(sa.select(warnings.c.evidence).where(warnings.c.id == warning_id))
    ).scalar_one()
    missing = {(f.org_id, f.asset_id) for f in found} - set(facts.assets)
    known = dict(facts.assets) | await _asset_facts(conn, missing)
    facts = Facts(facts.kev, facts.advisories, known)
    updated = bool(before.get("updated")) if isinstance(before, dict) else False
    evidence = evidence_of(found, facts, updated=updated)
    # Remediation is read with a match, not stored with it: what was said is kept.
    earlier = (before or {}).get("advisory") or {}
    if evidence["advisory"] is not None and earlier.get("remediation"):
        evidence["advisory"]["remediation"] = sorted(
            {*earlier["remediation"], *evidence["advisory"]["remediation"]}
        )
    await reissue_warning(
        conn, writer, warning_id, at=now,
        level=level_of(found, facts, cfg=scoring.vulnerability).label,
        title=title_of(found, facts, updated=updated), evidence=evidence, why=why,
    )  # fmt: skip


async def _asset_facts(
    conn: AsyncConnection, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], AssetFacts]:
    if not pairs:
        return {}
    query = sa.select(
        assets.c.org_id, assets.c.asset_id, assets.c.vendor, assets.c.product, assets.c.version
    ).where(sa.tuple_(assets.c.org_id, assets.c.asset_id).in_(sorted(pairs)))
    return {
        (org, asset): AssetFacts(asset, vendor, product, version)
        for org, asset, vendor, product, version in await conn.execute(query)
    }


async def _close(
    conn: AsyncConnection,
    writer: EventWriter,
    gone: Sequence[Known],
    replaced: Sequence[Known],
    raised: dict[int, int],
    facts: Facts,
    *,
    scoring: ScoringConfig,
    now: datetime,
) -> None:
    """A warning with no finding left is withdrawn (or superseded by the one its updated
    advisory raised); one that lost some of its assets is rewritten without them."""
    touched = sorted({row.warning_id for row in [*gone, *replaced]})
    if not touched:
        return
    remaining = set(
        (
            await conn.execute(
                sa.select(vulnerability_hits.c.warning_id)
                .where(vulnerability_hits.c.warning_id.in_(touched))
                .distinct()
            )
        ).scalars()
    )
    for warning_id in touched:
        lost = [row for row in gone if row.warning_id == warning_id]
        if warning_id in remaining:
            if lost:
                why = withdrawal_note(lost, facts, partial=True)
                await _refresh(conn, writer, warning_id, facts, scoring=scoring, now=now, why=why)
            continue
        if lost:
            note = withdrawal_note(lost, facts)
        else:
            note = f"Superseded by warning {raised[warning_id]}: the advisory was updated"
        await withdraw_warning(conn, writer, warning_id, at=now, note=note)


async def _raise_exposures(
    conn: AsyncConnection,
    writer: EventWriter,
    *,
    aliases: Aliases,
    scoring: ScoringConfig,
    now: datetime,
) -> None:
    """Each open exposure warning of the last `exposure.lookback_days` whose CVE or product is
    in the KEV catalogue goes up one level, once; one at red already says so on its card and
    timeline but is not sent again (a new level is news, the same one is not)."""
    since = now - timedelta(days=scoring.exposure.lookback_days)
    rows = (
        await conn.execute(
            sa.select(warnings.c.id, warnings.c.level, warnings.c.title, warnings.c.evidence)
            .where(
                warnings.c.kind == "exposure",
                warnings.c.created_at >= since,
                warnings.c.state != "resolved",
            )
            .order_by(warnings.c.id)
        )
    ).all()
    for warning_id, level, title, evidence in rows:
        if not isinstance(evidence, dict) or "known_exploited" in evidence:
            continue
        entries = await _exploited(conn, evidence, aliases)
        if not entries:
            continue
        raised = Level(min(int(Level.parse(level)) + 1, int(Level.RED)))
        cves = ", ".join(entry.cve for entry in entries[:3])
        known = [{"cve": e.cve, "name": e.name, "date_added": e.date_added.isoformat(),
                  "ransomware": e.ransomware} for e in entries]  # fmt: skip
        moved = raised.label != level
        because = f"the KEV catalogue lists {cves}"
        why = f"Raised from {level} to {raised.label}: {because}" if moved else because
        await reissue_warning(
            conn, writer, warning_id, at=now, level=raised.label,
            title=f"{title}; known exploited ({cves})",
            evidence=evidence | {"known_exploited": known}, why=why, announce=moved,
        )  # fmt: skip


async def _exploited(
    conn: AsyncConnection, evidence: dict[str, Any], aliases: Aliases
) -> list[KevEntry]:
    """The KEV entries of an exposure's CVE, or of its product (matched as an asset's)."""
    if evidence.get("matched_on") == "cve":
        query = sa.select(kev_entries).where(kev_entries.c.cve == str(evidence.get("key")))
        return [_kev(row) for row in (await conn.execute(query)).mappings()]
    vendor, product = evidence.get("vendor"), evidence.get("product")
    if not vendor or not product:
        return []
    key = _vendor(str(vendor), aliases)
    query = sa.select(kev_entries).where(sa.func.replace(kev_entries.c.vendor_key, " ", "") == key)
    entries = {row["cve"]: _kev(row) for row in (await conn.execute(query)).mappings()}
    hits = match(Asset(str(vendor), str(product), None), (), entries, aliases=aliases)
    return sorted((entries[hit.cve] for hit in hits), key=lambda e: e.date_added, reverse=True)
