"""The writable TAXII collection of an operator: STIX 2.1 objects in, incident reports out, through
ingest's own validation (`IncidentIn`) and append (`ingest.store.append_incidents`), with each
object's id and version written in the same transaction as its report, so a repost stores
nothing new, ever, and a crash stores both or neither. No HTTP here (`api/taxii_inbox.py`).

Mapping (`exchange/envelope.py`; also the README's "Writing to the TAXII collection"):
- `incident`: one report, with the indicators of every object linked to it in the envelope (by a
  `relationship` either way, a `sighting`'s `sighting_of_ref`/`observed_data_refs`, an
  `observed-data`'s `object_refs`), not through another incident. Fields: the contract's names
  (`detected_at`, `occurred_at`, `category`, `functional_impact`, `information_impact`,
  `recoverability`, `location`) in the Incident Core Extension (extension-definition--ef765651-
  680c-498d-9894-99799f2fa126) or as `x_awareness_<name>`; else `detected_at` = `first_seen`,
  else `created`; `category` from the extension's `incident_types`, else `incident_type` or
  `labels` (ransomware; malware, malicious-code; ddos, denial-of-service; phishing; intrusion,
  compromised-system, unauthorized-access; data-breach, data-exfiltration; insider;
  supply-chain; equipment-failure), else `other`; `functional_impact` `none`; `summary` its name
  and description; `reference` its STIX id.
- `indicator` (pattern_type stix, `=` comparisons only, OR'ed), `observed-data` and the
  observables ipv4-addr, ipv6-addr, domain-name, url, email-addr and file (SHA-256, SHA-1 and
  MD5 hashes), `vulnerability` (the CVE of `external_references` source_name `cve`): indicators.
  Linked to no incident, each group of objects linked to each other is one report of category
  `other`, functional impact `none`, detected at the earliest `first_seen`, `first_observed` or
  `created` among them (observables alone: when they arrived).
- TLP: the most restrictive TLP 2.0 (or 1.0) marking among a report's objects; else amber.
- Versions: an object is its id and `modified` (else `created`). The same version again is a
  success, "already stored as incident N"; a later version of an incident is a new report that
  supersedes the earlier one (reports never change); an earlier one is refused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.clock import Clock
from awareness.db.engine import Database
from awareness.db.tables import stix_objects, taxii_statuses
from awareness.errors import NotFound
from awareness.exchange.envelope import Entry, Group, group_entries, read_envelope, report_fields
from awareness.ingest import store
from awareness.ingest.schemas import IncidentIn
from awareness.ingest.submit import validation_context
from awareness.logs import request_id
from awareness.metrics import Metrics
from awareness.scoring.benign import KnownBenign
from awareness.settings import Settings
from awareness.signals import Signals
from awareness.timestamps import time_to_json

MAX_OBJECTS = 1000
# Stay well under SQLite's limit on bound parameters in one statement.
_IN_CHUNK = 500
# (stix id, version) -> the incident it went into.
Stored = dict[str, dict[str, int]]
Report = IncidentIn | str | None  # valid, why not, or nothing to report


def _field(location: Sequence[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "body"


def _validated(group: Group, *, context: dict[str, Any], now: datetime) -> Report:
    """The group's report through the validation of `POST /v1/incidents`."""
    fields = report_fields(group, now=now)
    if fields is None:
        return None
    try:
        return IncidentIn.model_validate_json(json.dumps(fields), context=context)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_field(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        subject = group.members[0].id
        return f"the incident report of {subject} is invalid: {problems}"


class Inbox:
    """Writes to the operators' collections: envelopes read into reports, stored by ingest's
    append beside the objects' ids and versions and the request's status resource."""

    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        clock: Clock,
        signals: Signals,
        metrics: Metrics,
        benign: KnownBenign,
    ) -> None:
        self._database = database
        self._settings = settings
        self._clock = clock
        self._signals = signals
        self._metrics = metrics
        self._benign = benign

    async def add_objects(self, objects: Sequence[Any], *, principal: Principal) -> dict[str, Any]:
        """Store what the objects report; the TAXII status resource, stored with them."""
        assert principal.org_id is not None
        now = self._clock.now()
        entries = read_envelope(objects)
        groups = group_entries(entries)
        context = validation_context(self._settings, now=now)
        reports = [_validated(group, context=context, now=now) for group in groups]
        status_id = str(uuid.uuid4())
        # Two requests posting the same new object race to its primary key: the loser's
        # transaction rolls back whole, and its second attempt finds the winner's rows.
        for attempt in (1, 2):
            try:
                async with self._database.write() as conn:
                    writing = _Writing(conn, principal, now, status_id, self._benign)
                    status, stored = await writing.run(entries, groups, reports)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        if stored:
            self._metrics.reports_ingested.labels("incident").inc(stored)
            self._signals.reports_committed()
        return status


async def read_status(database: Database, *, status_id: str, principal: Principal) -> Any:
    """A status resource, for the organization that posted it only."""
    query = sa.select(taxii_statuses.c.body).where(
        taxii_statuses.c.id == status_id, taxii_statuses.c.org_id == principal.org_id
    )
    async with database.read() as conn:
        body = (await conn.execute(query)).scalar_one_or_none()
    if body is None:
        raise NotFound(f"no status {status_id} for this key")
    return body


class _Writing:
    """One attempt at storing an envelope, inside one transaction."""

    def __init__(
        self,
        conn: AsyncConnection,
        principal: Principal,
        now: datetime,
        status_id: str,
        benign: KnownBenign,
    ) -> None:
        self.conn = conn
        self.principal = principal
        self.now = now
        self.status_id = status_id
        self.benign = benign
        self.notes: dict[int, list[tuple[bool, str]]] = {}

    def note(self, entry: Entry, ok: bool, message: str) -> None:
        self.notes.setdefault(id(entry), []).append((ok, message))

    async def run(
        self, entries: list[Entry], groups: list[Group], reports: list[Report]
    ) -> tuple[dict[str, Any], int]:
        stored = await self._stored({e.id for e in entries if e.id})
        new: list[tuple[Group, IncidentIn, int | None]] = []
        for group, report in zip(groups, reports, strict=True):
            decided = self._decide(group, report, stored)
            if decided is not None:
                new.append(decided)
        ids: list[int] = []
        if new:
            ids = await store.append_incidents(
                self.conn, principal=self.principal, items=[report for _, report, _ in new],
                now=self.now, request_id=request_id.get(), benign=self.benign,
            )  # fmt: skip
        rows = self._recorded(new, ids, stored)
        if rows:
            await self.conn.execute(stix_objects.insert(), rows)
        status = self._status(entries)
        await self.conn.execute(
            taxii_statuses.insert().values(
                id=self.status_id,
                org_id=self.principal.org_id,
                key_id=self.principal.key_id,
                request_timestamp=self.now,
                body=status,
            )
        )
        return status, len(ids)

    async def _stored(self, stix_ids: set[str]) -> Stored:
        found: Stored = {}
        ordered = sorted(stix_ids)
        for start in range(0, len(ordered), _IN_CHUNK):
            query = sa.select(
                stix_objects.c.stix_id, stix_objects.c.version, stix_objects.c.incident_id
            ).where(
                stix_objects.c.org_id == self.principal.org_id,
                stix_objects.c.stix_id.in_(ordered[start : start + _IN_CHUNK]),
            )
            for row in await self.conn.execute(query):
                found.setdefault(row.stix_id, {})[row.version] = row.incident_id
        return found

    def _decide(
        self, group: Group, report: Report, stored: Stored
    ) -> tuple[Group, IncidentIn, int | None] | None:
        """What becomes of a group: a new report (with the incident it supersedes), or notes
        saying why not."""
        incident = group.incident
        earlier = None
        if incident is not None:
            versions = stored.get(incident.id, {})
            if incident.key in versions:
                first = versions[incident.key]
                for entry in group.entries:
                    had = stored.get(entry.id, {}).get(entry.key)
                    if had is not None:
                        self.note(entry, True, f"already stored as incident {had}")
                    else:
                        self.note(
                            entry, False,
                            f"{incident.id} at this version is already stored as incident "
                            f"{first}, and a stored report never changes: post a new version "
                            "of the incident (a later modified) to add to it",
                        )  # fmt: skip
                return None
            later = [key for key in versions if key > incident.key]
            if later:
                reason = (
                    f"a later version of {incident.id} is already stored as incident "
                    f"{versions[max(later)]}"
                )
                for entry in group.entries:
                    self.note(entry, False, reason)
                return None
            if versions:
                earlier = versions[max(versions)]
        elif all(entry.key in stored.get(entry.id, {}) for entry in group.entries):
            for entry in group.entries:
                self.note(entry, True, f"already stored as incident {stored[entry.id][entry.key]}")
            return None
        if report is None or isinstance(report, str):
            reason = report or (
                "nothing to report: no incident, indicator, observable or CVE is linked to it "
                "in this envelope"
            )
            for entry in group.entries:
                self.note(entry, False, reason)
            return None
        return group, report, earlier

    def _recorded(
        self, new: list[tuple[Group, IncidentIn, int | None]], ids: list[int], stored: Stored
    ) -> list[dict[str, Any]]:
        """The rows naming each object's first report, and the notes of what was stored."""
        rows: list[dict[str, Any]] = []
        first: dict[tuple[str, str], int] = {}
        for (group, _, earlier), incident_id in zip(new, ids, strict=True):
            for entry in group.entries:
                had = stored.get(entry.id, {}).get(entry.key, first.get((entry.id, entry.key)))
                if had is not None:
                    self.note(entry, True, f"already stored as incident {had}; also in incident "
                              f"{incident_id}")  # fmt: skip
                    continue
                first[entry.id, entry.key] = incident_id
                message = f"stored as incident {incident_id}"
                if entry is group.incident and earlier is not None:
                    message += f"; supersedes incident {earlier} (an earlier version)"
                self.note(entry, True, message)
                rows.append(
                    {"org_id": self.principal.org_id, "stix_id": entry.id, "version": entry.key,
                     "type": entry.type, "incident_id": incident_id, "status_id": self.status_id,
                     "stored_at": self.now}
                )  # fmt: skip
        return rows

    def _status(self, entries: list[Entry]) -> dict[str, Any]:
        """The TAXII status resource: every object a success or a failure, none pending."""
        successes, failures = [], []
        for entry in entries:
            detail = {"id": entry.id, "version": entry.version or time_to_json(self.now)}
            notes = self.notes.get(id(entry), [])
            good = [message for ok, message in notes if ok]
            if entry.refused is not None:
                failures.append(detail | {"message": entry.refused})
            elif entry.accepted is not None:
                successes.append(detail | {"message": entry.accepted})
            elif good:
                successes.append(detail | {"message": "; ".join(dict.fromkeys(good))})
            else:
                reasons = [message for _, message in notes] or ["linked to nothing reported"]
                failures.append(detail | {"message": "; ".join(dict.fromkeys(reasons))})
        return {
            "id": self.status_id,
            "status": "complete",
            "request_timestamp": time_to_json(self.now),
            "total_count": len(entries),
            "success_count": len(successes),
            "successes": successes,
            "failure_count": len(failures),
            "failures": failures,
            "pending_count": 0,
            "pendings": [],
        }
