"""TAXII 2.1 read collections: which a reader has, their filters, and keyset pages of their
objects. The warnings collections stream the warnings log in `seq` order (a warning's objects
are added at its `created_at`), the incidents collection the incidents in id order; a position
is (seq or incident id, index of the object within it), so page 100 costs what page 1 costs.
No HTTP here: `api/taxii.py` serves it."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import AsyncGenerator, AsyncIterator, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.db.tables import incidents, organizations, warnings
from awareness.errors import Forbidden, InvalidRequest, NotFound
from awareness.eventlog.visibility import visible_to
from awareness.exchange import stix
from awareness.exchange.ids import STIX_MEDIA_TYPE, collection_id, inbox_id
from awareness.views.incidents import list_incidents
from awareness.views.warnings import list_warnings

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Units (warnings or incidents) one request reads at most while filters let nothing through,
# before it answers with what it has and a `next` (a page ends only between two dates).
SCAN_BUDGET = 5000

TITLES = {
    "warnings": ("Early warnings", "Each warning as a report with its level (extension)"),
    "campaigns": ("Campaigns", "Campaigns, their indicators and what ties them"),
    "sightings": ("Sightings", "Campaign indicators seen in sectors, with counts"),
    "incidents": ("Incidents", "Incident reports you may read"),
    "exposure": ("Exposure", "Vulnerabilities and software involved in incidents elsewhere"),
}
KINDS = {"warnings": (), "campaigns": ("campaign",), "sightings": ("campaign",),
         "exposure": ("exposure",)}  # fmt: skip


def readable(principal: Principal) -> list[str]:
    """The read collections of a role: what `GET /v1/warnings`, `/v1/campaigns` and
    `/v1/incidents` let it read."""
    if principal.role is Role.operator:
        return ["warnings", "exposure", "incidents"]
    if principal.role is Role.responder:
        return ["warnings", "campaigns", "sightings", "exposure"]
    return ["warnings", "campaigns", "sightings", "incidents", "exposure"]


def collections(principal: Principal) -> list[dict[str, Any]]:
    found = []
    for name in readable(principal):
        title, description = TITLES[name]
        found.append(
            {"id": collection_id(name), "title": title, "description": description,
             "can_read": True, "can_write": False, "media_types": [STIX_MEDIA_TYPE]}
        )  # fmt: skip
    if principal.role is Role.operator and principal.org_id:
        found.append(
            {"id": inbox_id(principal.org_id), "title": f"Reports from {principal.org_id}",
             "description": "Your organization's reports, as STIX bundles",
             "can_read": False, "can_write": True, "media_types": [STIX_MEDIA_TYPE]}
        )  # fmt: skip
    return found


def find_collection(principal: Principal, wanted: str) -> dict[str, Any]:
    for found in collections(principal):
        if found["id"] == wanted:
            return found
    raise NotFound(f"no collection {wanted} for this key")


def readable_name(principal: Principal, wanted: str) -> str:
    """The read collection by id; 403 for the caller's own write-only inbox, else 404."""
    found = find_collection(principal, wanted)
    if not found["can_read"]:
        raise Forbidden("this collection is write-only: POST objects to it")
    return next(name for name in readable(principal) if collection_id(name) == wanted)


# ---- Filters ----

_FRACTION = re.compile(r"\.(\d+)")


def parse_timestamp(text: str, parameter: str) -> datetime:
    """RFC 3339, with or without fractional seconds (beyond microseconds cut), `Z` or an
    offset."""
    cleaned = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text.strip(), count=1)
    try:
        moment = datetime.fromisoformat(cleaned.replace("z", "Z"))
    except ValueError:
        raise InvalidRequest(f"{parameter}: not an RFC 3339 timestamp: {text!r}") from None
    if moment.tzinfo is None:
        raise InvalidRequest(f"{parameter}: the timestamp needs Z or an offset: {text!r}")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Query:
    added_after: datetime | None = None
    limit: int = DEFAULT_LIMIT
    position: tuple[int, int] | None = None
    types: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    modes: frozenset[str] = frozenset({"last"})
    versions: frozenset[str] = frozenset()
    spec_versions: frozenset[str] | None = None


def encode_next(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}.{position[1]}".encode()).decode().rstrip("=")


def decode_next(token: str) -> tuple[int, int]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        seq, index = text.split(".")
        return int(seq), int(index)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest(f"next: not a token this server gave: {token!r}") from None


def _listed(params: Mapping[str, str], name: str) -> frozenset[str] | None:
    value = params.get(name)
    if value is None:
        return None
    items = frozenset(part.strip() for part in value.split(",") if part.strip())
    if not items:
        raise InvalidRequest(f"{name}: empty")
    return items


def parse_query(params: Mapping[str, str], *, default_version: str = "last") -> Query:
    """The filters of a TAXII request; 400 naming the parameter for a bad one."""
    limit = DEFAULT_LIMIT
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            raise InvalidRequest(f"limit: not an integer: {params['limit']!r}") from None
        if limit < 1:
            raise InvalidRequest("limit: must be at least 1")
        limit = min(limit, MAX_LIMIT)
    added_after = params.get("added_after")
    token = params.get("next")
    modes: set[str] = set()
    versions: set[str] = set()
    for item in _listed(params, "match[version]") or {default_version}:
        if item in ("last", "first", "all"):
            modes.add(item)
        else:
            versions.add(stix.stamp(parse_timestamp(item, "match[version]")))
    spec_versions = _listed(params, "match[spec_version]")
    if spec_versions is not None and not spec_versions <= {"2.0", "2.1"}:
        raise InvalidRequest("match[spec_version]: 2.0 or 2.1")
    return Query(
        added_after=parse_timestamp(added_after, "added_after") if added_after else None,
        limit=limit,
        position=decode_next(token) if token else None,
        types=_listed(params, "match[type]"),
        ids=_listed(params, "match[id]"),
        modes=frozenset(modes),
        versions=frozenset(versions),
        spec_versions=spec_versions,
    )


# ---- Streams of objects ----


@dataclass(frozen=True, slots=True)
class Item:
    position: tuple[int, int]
    date_added: datetime
    obj: dict[str, Any]
    # Objects that recur from unit to unit (a campaign, its indicators) are one family each:
    # `first` and `last` keep the family's version of its first or last unit.
    family: Hashable | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    """The scan budget is spent: the stream stops between two dates, at `position`."""

    position: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Unit:
    key: int
    date_added: datetime
    entries: list[tuple[dict[str, Any], Hashable | None]]


@dataclass
class Reader:
    """One request's reading of one collection."""

    conn: AsyncConnection
    principal: Principal
    name: str
    sectors: Sequence[str]
    public_url: str
    bounds: dict[Hashable, tuple[int, int]] = field(default_factory=dict)

    async def start_key(self, query: Query) -> int:
        if query.position is not None:
            return query.position[0]
        if query.added_after is None or query.added_after < stix.EPOCH:
            return 0
        if self.name == "incidents":
            found = sa.select(incidents.c.id).where(
                self.principal.report_scope(incidents), incidents.c.received_at > query.added_after
            ).order_by(incidents.c.id).limit(1)  # fmt: skip
        else:
            found = sa.select(warnings.c.seq).where(
                warnings.c.seq.is_not(None), warnings.c.created_at > query.added_after
            ).order_by(warnings.c.seq).limit(1)  # fmt: skip
        key = (await self.conn.execute(found)).scalar()
        return key if key is not None else 2**62

    async def units(self, start: int) -> AsyncIterator[Unit]:
        if start <= 0:
            shared = stix.shared_objects(self.sectors, public_url=self.public_url)
            yield Unit(0, stix.EPOCH, [(obj, None) for obj in shared])
        after = max(start - 1, 0)
        chunk = 64
        while True:
            if self.name == "incidents":
                found = await self._incidents(after, chunk)
            else:
                found = await self._warnings(after, chunk)
            for unit in found:
                yield unit
            if len(found) < chunk:
                return
            after = found[-1].key
            chunk = min(chunk * 2, 1024)

    async def _warnings(self, after: int, chunk: int) -> list[Unit]:
        read = await list_warnings(
            self.conn, principal=self.principal, after=after, before=None, newest_first=False,
            sectors=(), kinds=KINDS[self.name], acknowledged=None, limit=chunk,
        )  # fmt: skip
        campaigns = {w.campaign_id for w in read if w.kind == "campaign" and w.campaign_id}
        matches = {key for w in read if w.kind == "exposure" and (key := stix.exposure_key(w))}
        await self._campaign_bounds(campaigns)
        await self._exposure_bounds(matches)
        units = []
        for warning in read:
            campaign = ("campaign", warning.campaign_id)
            entries: list[tuple[dict[str, Any], Hashable | None]]
            if self.name == "warnings":
                objects = stix.warning_objects(warning)
                entries = [(objects[0], None), *((obj, campaign) for obj in objects[1:])]
            elif self.name == "campaigns":
                entries = [(obj, campaign) for obj in stix.campaign_objects(warning)]
            elif self.name == "sightings":
                entries = [(obj, campaign) for obj in stix.sighting_objects(warning)]
            else:
                matched = stix.exposure_key(warning)
                family = ("exposure", *matched) if matched else None
                entries = [(obj, family) for obj in stix.exposure_objects(warning)]
            units.append(Unit(warning.seq, warning.created_at, entries))
        return units

    async def _campaign_bounds(self, ids: set[int]) -> None:
        wanted = sorted(i for i in ids if ("campaign", i) not in self.bounds)
        if not wanted:
            return
        query = (
            sa.select(warnings.c.campaign_id, sa.func.min(warnings.c.seq),
                      sa.func.max(warnings.c.seq))
            .where(warnings.c.seq.is_not(None), warnings.c.kind == "campaign",
                   warnings.c.campaign_id.in_(wanted),
                   visible_to(self.principal, warnings.c.seq, warnings.c.kind))
            .group_by(warnings.c.campaign_id)
        )  # fmt: skip
        for campaign_id, first, last in await self.conn.execute(query):
            self.bounds[("campaign", campaign_id)] = (first, last)

    async def _exposure_bounds(self, matches: set[tuple[str, str]]) -> None:
        wanted = sorted(m for m in matches if ("exposure", *m) not in self.bounds)
        if not wanted:
            return
        on = warnings.c.evidence["matched_on"].as_string()
        key = warnings.c.evidence["key"].as_string()
        query = (
            sa.select(on, key, sa.func.min(warnings.c.seq), sa.func.max(warnings.c.seq))
            .where(warnings.c.seq.is_not(None), warnings.c.kind == "exposure",
                   key.in_(sorted({k for _, k in wanted})),
                   visible_to(self.principal, warnings.c.seq, warnings.c.kind))
            .group_by(on, key)
        )  # fmt: skip
        for matched_on, matched, first, last in await self.conn.execute(query):
            self.bounds[("exposure", matched_on, matched)] = (first, last)

    async def _incidents(self, after: int, chunk: int) -> list[Unit]:
        scope = self.principal.report_scope(incidents)
        ids = (
            await self.conn.execute(
                sa.select(incidents.c.id).where(scope, incidents.c.id > after)
                .order_by(incidents.c.id).limit(chunk)
            )
        ).scalars().all()  # fmt: skip
        if not ids:
            return []
        # The read model lists newest first below an id: the same rows, in one snapshot.
        read = await list_incidents(
            self.conn, principal=self.principal, limit=len(ids), before_id=ids[-1] + 1
        )
        read.sort(key=lambda incident: incident.id)
        orgs = sorted({incident.org_id for incident in read})
        firsts: dict[str, int] = dict(
            (
                await self.conn.execute(
                    sa.select(incidents.c.org_id, sa.func.min(incidents.c.id))
                    .where(scope, incidents.c.org_id.in_(orgs)).group_by(incidents.c.org_id)
                )
            ).all()
        )  # fmt: skip
        named = {
            row.id: row
            for row in await self.conn.execute(
                sa.select(organizations).where(organizations.c.id.in_(orgs))
            )
        }
        units = []
        for incident in read:
            entries: list[tuple[dict[str, Any], Hashable | None]] = []
            org = named.get(incident.org_id)
            if firsts.get(incident.org_id) == incident.id and org is not None:
                identity = stix.organization_identity(
                    org.id, org.name, org.sector, created=min(org.created_at, incident.received_at),
                    tlp=incident.tlp,
                )  # fmt: skip
                entries.append((identity, None))
            entries += [(obj, None) for obj in stix.incident_objects(incident)]
            units.append(Unit(incident.id, incident.received_at, entries))
        return units

    def keeps(self, query: Query, unit: Unit, obj: dict[str, Any], family: Hashable | None) -> bool:
        if query.types is not None and obj["type"] not in query.types:
            return False
        if query.ids is not None and obj["id"] not in query.ids:
            return False
        if query.spec_versions is not None and "2.1" not in query.spec_versions:
            return False
        if "all" in query.modes:
            return True
        if query.versions and stix.version_of(obj, stix.stamp(unit.date_added)) in query.versions:
            return True
        bounds = self.bounds.get(family) if family is not None else None
        if bounds is None:
            return bool(query.modes)
        return ("first" in query.modes and bounds[0] == unit.key) or (
            "last" in query.modes and bounds[1] == unit.key
        )

    async def items(
        self, query: Query, *, budget: int | None
    ) -> AsyncGenerator[Item | Pause, None]:
        start = await self.start_key(query)
        skip = query.position[1] if query.position is not None else 0
        scanned = 0
        previous: datetime | None = None
        async for unit in self.units(start):
            if budget is not None and scanned >= budget and unit.date_added != previous:
                yield Pause((unit.key, 0))
                return
            scanned += 1
            previous = unit.date_added
            if query.added_after is not None and unit.date_added <= query.added_after:
                continue
            for index, (obj, family) in enumerate(unit.entries):
                if unit.key == start and index < skip:
                    continue
                if self.keeps(query, unit, obj, family):
                    yield Item((unit.key, index), unit.date_added, obj, family)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Item]
    more: bool
    next: str | None

    @property
    def first_added(self) -> str | None:
        return stix.stamp(self.items[0].date_added) if self.items else None

    @property
    def last_added(self) -> str | None:
        return stix.stamp(self.items[-1].date_added) if self.items else None


async def read_page(reader: Reader, query: Query) -> Page:
    """At most `limit` objects, never ending inside a group of objects added at one instant
    (fewer instead), so a client paging by `added_after` = the last date added loses nothing;
    a single group larger than `limit` is cut, and only `next` resumes inside it."""
    out: list[Item] = []
    group: list[Item] = []
    resume: tuple[int, int] | None = None
    budget = None if query.ids is not None else max(SCAN_BUDGET, 4 * query.limit)
    stream = reader.items(query, budget=budget)
    try:
        async for entry in stream:
            if isinstance(entry, Pause):
                if group and len(out) + len(group) <= query.limit:
                    out += group
                    group = []
                resume = group[0].position if group else entry.position
                break
            if group and entry.date_added != group[0].date_added:
                out += group
                group = []
            group.append(entry)
            if out and len(out) + len(group) > query.limit:
                resume = group[0].position
                break
            if not out and len(group) > query.limit:
                out, resume = group[: query.limit], group[query.limit].position
                break
        else:
            out += group
    finally:
        await stream.aclose()
    return Page(out, resume is not None, encode_next(resume) if resume is not None else None)


def envelope(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = {"more": page.more, "objects": [item.obj for item in page.items]}
    if page.next is not None:
        found["next"] = page.next
    return found


def manifest(page: Page) -> dict[str, Any]:
    entries = []
    for item in page.items:
        added = stix.stamp(item.date_added)
        entries.append(
            {"id": item.obj["id"], "date_added": added,
             "version": stix.version_of(item.obj, added), "media_type": STIX_MEDIA_TYPE}
        )  # fmt: skip
    found: dict[str, Any] = {"more": page.more, "objects": entries}
    if page.next is not None:
        found["next"] = page.next
    return found


def versions(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = {
        "more": page.more,
        "versions": [stix.version_of(i.obj, stix.stamp(i.date_added)) for i in page.items],
    }
    if page.next is not None:
        found["next"] = page.next
    return found
