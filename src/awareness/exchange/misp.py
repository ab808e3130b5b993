"""A MISP feed of what one reader may see: an event per campaign and per exposure warning, their
manifest and hashes, in the layout MISP pulls (Sync Actions > Feeds, source format "MISP Feed").
Built only from the read models of `GET /v1/warnings` and `GET /v1/campaigns`, so it never shows
more than they do; known-benign indicators are left out wherever they could come from."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.db.engine import Database
from awareness.eventlog.reader import head
from awareness.eventlog.tlp import RANK
from awareness.eventlog.visibility import may_see_campaign
from awareness.exchange.ids import name_uuid
from awareness.scoring import ScoringConfig, exclusion_reason
from awareness.scoring.benign import KnownBenign
from awareness.views.campaigns import CampaignView, list_campaigns
from awareness.views.warnings import WarningIndicator, WarningView, list_warnings

ORG_NAME = "awareness"
# MISP's threat levels: 1 high, 2 medium, 3 low, 4 undefined.
THREAT_LEVELS = {"red": 1, "orange": 2, "yellow": 3, "blue": 4, "none": 4}
# Our indicator types as MISP attributes: (type, category, to_ids). A CVE names a weakness,
# not something to detect on the wire, so it never goes to an IDS.
ATTRIBUTES: dict[str, tuple[str, str, bool]] = {
    "ipv4": ("ip-dst", "Network activity", True),
    "ipv6": ("ip-dst", "Network activity", True),
    "domain": ("domain", "Network activity", True),
    "url": ("url", "Network activity", True),
    "sha256": ("sha256", "Payload delivery", True),
    "sha1": ("sha1", "Payload delivery", True),
    "md5": ("md5", "Payload delivery", True),
    "email": ("email-src", "Payload delivery", True),
    "cve": ("vulnerability", "External analysis", False),
}
# The colours of MISP's `tlp` taxonomy.
TLP_COLOURS = {
    "clear": "#ffffff",
    "green": "#339900",
    "amber": "#ffc000",
    "amber+strict": "#ffc000",
    "red": "#cc0033",
}
# What a report is shared under when it says nothing (CONTRACT: incident `tlp`).
DEFAULT_TLP = "amber"
CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
PAGE = 500

Benign = Callable[[str, str], bool]
Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Org:
    """The service as the creator (`Orgc`) of every event it publishes."""

    name: str
    uuid: str

    @classmethod
    def of(cls, public_url: str, name: str = ORG_NAME) -> Org:
        return cls(name, name_uuid("misp-orgc", public_url))

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "uuid": self.uuid}


class Named(Protocol):
    """An indicator as a read model shows it: `tlp` is the TLP the reader holds it under."""

    @property
    def type(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def tlp(self) -> str | None: ...


def _strictest(tlps: Iterable[str], default: str = DEFAULT_TLP) -> str:
    return max(tlps, key=RANK.__getitem__, default=default)


def _tag(name: str, colour: str = "#0088cc") -> dict[str, Any]:
    """A global tag, as PyMISP's `to_feed` writes one."""
    return {"colour": colour, "local": False, "name": name, "relationship_type": ""}


def _tlp_tag(tlp: str) -> dict[str, Any]:
    return _tag(f"tlp:{tlp}", TLP_COLOURS[tlp])


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _attribute(
    event_uuid: str, kind: str, value: str, tlp: str, *, timestamp: int
) -> dict[str, Any]:
    misp_type, category, to_ids = ATTRIBUTES[kind]
    return {
        "uuid": name_uuid("misp-attribute", event_uuid, kind, value),
        "type": misp_type,
        "category": category,
        "value": value,
        "to_ids": to_ids,
        "comment": "",
        "deleted": False,
        "disable_correlation": False,
        "timestamp": str(timestamp),
        "Tag": [_tlp_tag(tlp)],
    }


def _shown(items: Iterable[Named], default_tlp: str, benign: Benign) -> list[tuple[str, str, str]]:
    """(type, value, tlp) of the indicators a view shows, less the known-benign ones, once each."""
    seen: set[tuple[str, str]] = set()
    shown = []
    for item in items:
        kind, value = item.type, item.value
        if kind not in ATTRIBUTES or (kind, value) in seen or benign(kind, value):
            continue
        seen.add((kind, value))
        shown.append((kind, value, item.tlp if item.tlp in RANK else default_tlp))
    return shown


def _sightings(attribute_uuid: str, campaign: CampaignView) -> list[dict[str, Any]]:
    """One sighting per organization of the campaign, by sector, never by organization: each of
    its sectors had at least one; the others are dated at its last report and name every sector
    (which sector each was in is not shown to readers, so it is not here either)."""
    sectors = list(campaign.sectors) or ["unknown"]
    count = max(campaign.organizations, len(sectors))
    sources = sectors + [", ".join(sectors)] * (count - len(sectors))
    first, last = _stamp(campaign.first_seen), _stamp(campaign.last_seen)
    return [
        {
            "uuid": name_uuid("misp-sighting", attribute_uuid, str(index)),
            "type": "0",
            "date_sighting": str(first if index == 0 else last),
            "source": source,
        }
        for index, source in enumerate(sources)
    ]


def _event(
    uuid: str, *, info: str, date: datetime, timestamp: int, level: str, resolved: bool,
    tags: list[dict[str, Any]], attributes: list[dict[str, Any]], org: Org,
) -> Event:  # fmt: skip
    return {
        "Event": {
            "uuid": uuid,
            "info": info,
            "date": date.date().isoformat(),
            "threat_level_id": str(THREAT_LEVELS[level]),
            "analysis": "2" if resolved else "1",
            "timestamp": str(timestamp),
            "publish_timestamp": str(timestamp),
            "published": True,
            "extends_uuid": "",
            "Orgc": org.to_json(),
            "Tag": tags,
            "Attribute": attributes,
        }
    }


def campaign_event(
    campaign: CampaignView, warnings: Sequence[WarningView], *, org: Org, benign: Benign
) -> Event:
    """A campaign as an event: its indicators as the reader holds them, sighted by sector at the
    opening indicator; resolved once every warning of it is."""
    uuid = name_uuid("misp-event", org.uuid, "campaign", str(campaign.id))
    moments = [campaign.last_seen, *(w.created_at for w in warnings)]
    moments += [w.resolved_at for w in warnings if w.resolved_at is not None]
    timestamp = _stamp(max(moments))
    warning_tlp = _strictest(w.tlp for w in warnings)
    shown = _shown(campaign.indicators, warning_tlp, benign)
    attributes = [_attribute(uuid, k, v, tlp, timestamp=timestamp) for k, v, tlp in shown]
    if attributes:
        opening = campaign.indicator
        at = next(
            (
                a
                for a, (k, v, _) in zip(attributes, shown, strict=True)
                if opening is not None and (k, v) == (opening.type, opening.value)
            ),
            attributes[0],
        )
        at["Sighting"] = _sightings(at["uuid"], campaign)
    tlp = _strictest([*(tlp for _, _, tlp in shown), *(w.tlp for w in warnings)])
    sectors = ", ".join(campaign.sectors)
    plural = "organization" if campaign.organizations == 1 else "organizations"
    return _event(
        uuid, info=f"awareness campaign {campaign.id}: {campaign.pace} campaign reported by "
        f"{campaign.organizations} {plural} in {sectors}", date=campaign.first_seen,
        timestamp=timestamp, level=campaign.level,
        resolved=bool(warnings) and all(w.state == "resolved" for w in warnings),
        tags=_event_tags(tlp, "campaign", campaign.sectors), attributes=attributes, org=org,
    )  # fmt: skip


def exposure_event(warning: WarningView, *, org: Org, benign: Benign) -> Event:
    """An exposure warning as an event: the CVE it matched on, if the reader may see it."""
    uuid = name_uuid("misp-event", org.uuid, "warning", str(warning.id))
    moments = [warning.created_at] + ([warning.resolved_at] if warning.resolved_at else [])
    timestamp = _stamp(max(moments))
    tlp = warning.tlp
    items: list[Named] = list(warning.indicators or ())
    evidence = warning.evidence
    key = evidence.get("key")
    # The evidence names what matched; a value withheld from this reader is no longer in it.
    matched_cve = evidence.get("matched_on") == "cve" and isinstance(key, str) and CVE.match(key)
    if not items and matched_cve and isinstance(key, str):
        items = [WarningIndicator(type="cve", value=key, tlp=tlp)]
    shown = _shown(items, tlp, benign)
    attributes = [_attribute(uuid, k, v, t, timestamp=timestamp) for k, v, t in shown]
    tags = _event_tags(_strictest([tlp, *(t for _, _, t in shown)]), "exposure", warning.sectors)
    return _event(
        uuid, info=warning.title, date=warning.created_at, timestamp=timestamp,
        level=warning.level, resolved=warning.state == "resolved", tags=tags,
        attributes=attributes, org=org,
    )  # fmt: skip


def _event_tags(tlp: str, kind: str, sectors: Iterable[str]) -> list[dict[str, Any]]:
    return [
        _tlp_tag(tlp),
        _tag(f'awareness:kind="{kind}"'),
        *(_tag(f'awareness:sector="{sector}"') for sector in sorted(set(sectors))),
    ]


def manifest_entry(event: Event) -> dict[str, Any]:
    """An event's line of manifest.json, as PyMISP's `MISPEvent.manifest` writes it."""
    body = event["Event"]
    return {
        "Orgc": body["Orgc"],
        "Tag": body["Tag"],
        "info": body["info"],
        "date": body["date"],
        "analysis": int(body["analysis"]),
        "threat_level_id": int(body["threat_level_id"]),
        "timestamp": int(body["timestamp"]),
        "published": body["published"],
    }


def hash_lines(events: Mapping[str, Event]) -> str:
    """hashes.csv as MISP's feed generators write it: `md5 of a value,event uuid` per line."""
    lines = []
    for uuid, event in events.items():
        for attribute in event["Event"]["Attribute"]:
            digest = hashlib.md5(attribute["value"].encode(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest},{uuid}\n")
    return "".join(lines)


async def read_events(
    conn: AsyncConnection, *, principal: Principal, org: Org, benign: Benign, page: int = PAGE
) -> dict[str, Event]:
    """Every event of the reader's feed, oldest first, in one pass over each read model (paged):
    its campaign and exposure warnings, then the campaigns it may read."""
    exposures: list[WarningView] = []
    by_campaign: dict[int, list[WarningView]] = {}
    after = 0
    while True:
        found = await list_warnings(
            conn, principal=principal, after=after, before=None, newest_first=False, sectors=(),
            kinds=("campaign", "exposure"), acknowledged=None, limit=page,
        )  # fmt: skip
        for warning in found:
            if warning.kind == "exposure":
                exposures.append(warning)
            elif warning.campaign_id is not None:
                by_campaign.setdefault(warning.campaign_id, []).append(warning)
        if len(found) < page:
            break
        after = found[-1].seq
    campaigns = await _campaigns(conn, principal=principal, page=page)
    events = [
        (c.first_seen, campaign_event(c, by_campaign.get(c.id, []), org=org, benign=benign))
        for c in campaigns
    ]
    events += [(w.created_at, exposure_event(w, org=org, benign=benign)) for w in exposures]
    events.sort(key=lambda pair: pair[0])
    return {event["Event"]["uuid"]: event for _, event in events}


async def _campaigns(
    conn: AsyncConnection, *, principal: Principal, page: int
) -> list[CampaignView]:
    """The campaigns `GET /v1/campaigns` shows the reader: none to operators."""
    if principal.role is Role.operator:
        return []
    campaigns: list[CampaignView] = []
    before: int | None = None
    while True:
        listed = await list_campaigns(conn, principal=principal, limit=page, before_id=before)
        campaigns += [c for c in listed if may_see_campaign(principal, c.sectors)]
        if len(listed) < page:
            return campaigns
        before = listed[-1].id


def benign_test(known: KnownBenign, scoring: ScoringConfig) -> Benign:
    """Known benign: on a warninglist the service reads, or what never makes a campaign (the
    campaign allow-list, addresses and names that are not on the internet)."""

    def benign(kind: str, value: str) -> bool:
        return known.match(kind, value) is not None or (
            exclusion_reason(kind, value, cfg=scoring) is not None
        )

    return benign


@dataclass(frozen=True, slots=True)
class Feed:
    """One reader's feed as of an event-log position."""

    head: int
    built: float
    events: dict[str, Event]

    def manifest(self) -> dict[str, Any]:
        return {uuid: manifest_entry(event) for uuid, event in self.events.items()}

    def hashes(self) -> str:
        return hash_lines(self.events)


class FeedCache:
    """The feeds of the keys that pulled last, so that MISP fetching the manifest and then each
    event builds the feed once, not once per event. A feed is rebuilt when the event log moved
    (every warning, acknowledgement and resolution is an event); an event is served from a feed
    up to `grace_seconds` behind the log, which is the manifest MISP has just read."""

    def __init__(
        self,
        *,
        keys: int = 16,
        grace_seconds: float = 30.0,
        page: int = PAGE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._feeds: OrderedDict[int, Feed] = OrderedDict()
        self._locks: dict[int, asyncio.Lock] = {}
        self._keys = keys
        self._grace = grace_seconds
        self._page = page
        self._monotonic = monotonic

    async def feed(
        self, database: Database, principal: Principal, *, org: Org, benign: Benign,
        grace: bool = False,
    ) -> Feed:  # fmt: skip
        """The reader's feed, current with the event log (or within the grace, if `grace`)."""
        lock = self._locks.setdefault(principal.key_id, asyncio.Lock())
        async with lock:
            cached = self._feeds.get(principal.key_id)
            if cached is not None and grace and self._monotonic() - cached.built < self._grace:
                return cached
            async with database.read() as conn:
                position = await head(conn)
                if cached is None or cached.head != position:
                    events = await read_events(
                        conn, principal=principal, org=org, benign=benign, page=self._page
                    )
                    cached = Feed(position, self._monotonic(), events)
            self._feeds[principal.key_id] = cached
            self._feeds.move_to_end(principal.key_id)
            while len(self._feeds) > self._keys:
                evicted, _ = self._feeds.popitem(last=False)
                self._locks.pop(evicted, None)
            return cached

    async def event(
        self, database: Database, principal: Principal, uuid: str, *, org: Org, benign: Benign
    ) -> Event | None:
        """One event of the reader's feed, or None: absent or outside its scope alike."""
        found = await self.feed(database, principal, org=org, benign=benign, grace=True)
        if uuid not in found.events:
            found = await self.feed(database, principal, org=org, benign=benign)
        return found.events.get(uuid)
