"""Imports CISA's KEV catalogue and CSAF advisories into `kev_entries`, `advisories` and
`advisory_products`: upserts by CVE or advisory id, comparing the parser's digest, so a
re-import writes only what changed and says how much was new, updated, unchanged or refused.

Preparing (parsing, judging each entry) touches no database and may run before the write
transaction, or in a thread; storing writes in bulk inside the caller's one transaction.

What is refused and what is rejected: an entry or document that cannot be read is refused with
its reason while the others import; input of which nothing can be read (not JSON, not a KEV
catalogue, no CSAF advisory in it) is rejected whole (`FeedRejected`) and nothing changes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth import audit
from awareness.db.tables import advisories, advisory_products, kev_entries, vulnerability_scans
from awareness.db.upsert import upsert
from awareness.feeds.documents import Document, FeedRejected
from awareness.scoring.advisories import (
    Advisory,
    AdvisoryError,
    Aliases,
    KevEntry,
    normalize,
    parse_csaf,
    parse_kev_entries,
)

# Rows per statement: bounded memory and parameter counts, and a progress line per chunk.
CHUNK = 500
KEV_HELP = (
    "import CISA's catalogue as published (known_exploited_vulnerabilities.json, "
    "https://www.cisa.gov/known-exploited-vulnerabilities-catalog)"
)
CSAF_HELP = "import CSAF 2.0 advisories: JSON documents, a JSON array of them, or JSON lines"
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did. `changed` lists the ids written (new or updated), for matching."""

    feed: Literal["kev", "csaf"]
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
        }

    def summary(self) -> str:
        return (
            f"{self.feed}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.refused)} refused"
        )


@dataclass(frozen=True)
class Prepared:
    """Rows ready to store, keyed by id, and what was refused on the way."""

    feed: Literal["kev", "csaf"]
    rows: dict[str, dict[str, Any]]
    products: dict[str, list[dict[str, Any]]]
    refused: list[dict[str, str]]


def _problem(table: sa.Table, row: Mapping[str, Any]) -> str | None:
    """What the database would refuse, said before it is asked: text longer than its column,
    and NUL characters (PostgreSQL cannot store them; SQLite would, and the two would differ)."""
    for name, value in row.items():
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            return f"{name} contains a NUL character"
        length = getattr(table.c[name].type, "length", None) if name in table.c else None
        if length is not None and isinstance(value, str) and len(value) > length:
            return f"{name} is longer than {length} characters"
    return None


def aliases_digest(aliases: Aliases) -> str:
    """A fingerprint of the alias table: rows keyed with another table are written again."""
    table = {
        "names": dict(aliases.names),
        "families": {key: [list(p) for p in found] for key, found in aliases.families.items()},
    }
    text = json.dumps(table, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _kind(value: Any) -> str:
    """What JSON calls the value's type."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _rejected(what: str, refused: Sequence[Mapping[str, str]], help_text: str) -> FeedRejected:
    first = refused[0]
    more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
    return FeedRejected(f"{what}: {first['id']}: {first['reason']}{more}; {help_text}")


def _kev_row(entry: KevEntry, aliases: Aliases, fingerprint: str) -> dict[str, Any]:
    return {
        "cve": entry.cve,
        "vendor": entry.vendor,
        "product": entry.product,
        "name": entry.name,
        "date_added": entry.date_added,
        "due_date": entry.due_date,
        "ransomware": entry.ransomware,
        "description": entry.description,
        "action": entry.action,
        "vendor_key": normalize(entry.vendor, aliases),
        "product_key": normalize(entry.product, aliases),
        "digest": entry.digest,
        "aliases_digest": fingerprint,
    }


def prepare_kev(document: Any, *, aliases: Aliases | None = None) -> Prepared:
    """The catalogue's entries as rows, their names normalized with `aliases`;
    `FeedRejected` when it is not a KEV catalogue."""
    aliases = aliases or Aliases()
    fingerprint = aliases_digest(aliases)
    if not isinstance(document, Mapping):
        kind = _kind(document)
        raise FeedRejected(f"not a KEV catalogue: its top level is a JSON {kind}; {KEV_HELP}")
    try:
        entries, refusals = parse_kev_entries(document)
    except AdvisoryError as exc:
        raise FeedRejected(f"not a KEV catalogue: {exc}; {KEV_HELP}") from None
    refused = [{"id": str(which), "reason": reason} for which, reason in refusals]
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        row = _kev_row(entry, aliases, fingerprint)
        problem = _problem(kev_entries, row)
        if problem is None and entry.cve in rows:
            problem = "listed twice in the catalogue; the first is kept"
        if problem is not None:
            refused.append({"id": entry.cve, "reason": problem})
            continue
        rows[entry.cve] = row
    if not rows and refused:
        raise _rejected("not a KEV catalogue: no entry of it can be read", refused, KEV_HELP)
    return Prepared("kev", rows, {}, refused)


def _advisory_rows(
    advisory: Advisory, aliases: Aliases, fingerprint: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    row = {
        "id": advisory.id,
        "source": "csaf",
        "title": advisory.title,
        "published": advisory.published,
        "updated": advisory.updated,
        "criticality": advisory.criticality,
        "cves": list(advisory.cves),
        "digest": advisory.digest,
        "aliases_digest": fingerprint,
    }
    products = [
        {
            "advisory_id": advisory.id,
            "vendor": product.vendor,
            "product": product.product,
            "versions": product.versions,
            "status": product.status,
            "cves": list(product.cves),
            "remediation": product.remediation,
            "vendor_key": normalize(product.vendor, aliases),
            "product_key": normalize(product.product, aliases),
        }
        for product in advisory.products
    ]
    return row, products


def _refusal(document: Document, reason: str) -> dict[str, str]:
    """Named by the advisory's own id when it has a readable one (saying where it was), else
    by where it was."""
    content = document.content
    found = content.get("document") if isinstance(content, Mapping) else None
    tracking = found.get("tracking") if isinstance(found, Mapping) else None
    ident = tracking.get("id") if isinstance(tracking, Mapping) else None
    if isinstance(ident, str) and ident.strip():
        return {"id": ident.strip()[:64], "reason": f"{reason} ({document.where})"}
    return {"id": document.where, "reason": reason}


def prepare_csaf(
    documents: Iterable[Document | Mapping[str, Any]], *, aliases: Aliases | None = None
) -> Prepared:
    """Each document parsed on its own: one that cannot be read is refused and the others
    kept; the same advisory twice keeps its newest revision. `FeedRejected` when nothing at
    all is a CSAF advisory."""
    aliases = aliases or Aliases()
    fingerprint = aliases_digest(aliases)
    rows: dict[str, dict[str, Any]] = {}
    products: dict[str, list[dict[str, Any]]] = {}
    refused: list[dict[str, str]] = []
    for number, item in enumerate(documents):
        document = item if isinstance(item, Document) else Document(f"[{number}]", item)
        if document.problem is not None:
            refused.append({"id": document.where, "reason": document.problem})
            continue
        if not isinstance(document.content, Mapping):
            reason = f"a JSON {_kind(document.content)}, not a CSAF document"
            refused.append({"id": document.where, "reason": reason})
            continue
        try:
            advisory = parse_csaf(document.content)
        except AdvisoryError as exc:
            refused.append(_refusal(document, str(exc)))
            continue
        row, named = _advisory_rows(advisory, aliases, fingerprint)
        problem = _problem(advisories, row) or next(
            (p for p in (_problem(advisory_products, r) for r in named) if p), None
        )
        if problem is not None:
            refused.append(_refusal(document, problem))
            continue
        earlier = rows.get(advisory.id)
        if earlier is not None and earlier["updated"] > advisory.updated:
            continue  # an older revision of one already read
        rows[advisory.id] = row
        products[advisory.id] = named
    if not rows:
        if not refused:
            raise FeedRejected(f"no CSAF document in it; {CSAF_HELP}")
        raise _rejected("no CSAF advisory could be read", refused, CSAF_HELP)
    return Prepared("csaf", rows, products, refused)


async def _digests(
    conn: AsyncConnection, table: sa.Table, key: str, ids: list[str]
) -> dict[str, tuple[str, str]]:
    """The stored (digest, aliases digest) of those ids that are stored."""
    column = table.c[key]
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        query = sa.select(column, table.c.digest, table.c.aliases_digest).where(
            column.in_(ids[start : start + CHUNK])
        )
        found.update({str(k): (d, a) for k, d, a in (await conn.execute(query)).all()})
    return found


async def store(
    conn: AsyncConnection,
    prepared: Prepared,
    *,
    now: datetime,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Writes what is new or changed, in the caller's transaction; records the import in the
    audit trail when an actor is named."""
    table, key = (kev_entries, "cve") if prepared.feed == "kev" else (advisories, "id")
    report = ImportReport(prepared.feed, refused=list(prepared.refused))
    known = await _digests(conn, table, key, list(prepared.rows))
    writing: list[dict[str, Any]] = []
    for ident, row in prepared.rows.items():
        stored = known.get(ident)
        if stored == (row["digest"], row["aliases_digest"]):
            report.unchanged += 1
            continue
        if stored is None:
            report.new += 1
        else:
            report.updated += 1
        writing.append(row | {"imported_at": now})
        report.changed.append(ident)
    replaced = [ident for ident in report.changed if ident in known]
    for start in range(0, len(writing), CHUNK):
        chunk = writing[start : start + CHUNK]
        await upsert(conn, table, chunk, keys=[key])
        if prepared.feed == "csaf":
            await _replace_products(conn, prepared, chunk, replaced=set(replaced))
        if progress is not None:
            progress(start + len(chunk), len(writing))
    if report.changed:
        # Every asset is matched again against what changed, in this import's transaction.
        await conn.execute(
            vulnerability_scans.insert().values(
                org_id=None, asset_id=None, reason=prepared.feed, requested_at=now
            )
        )
    if actor is not None:
        details = report.counts() | {"refused": len(report.refused)}
        await audit.record(
            conn, at=now, actor=actor, action="feed.import", target=f"feed:{prepared.feed}",
            details=details,
        )  # fmt: skip
    return report


async def _replace_products(
    conn: AsyncConnection, prepared: Prepared, chunk: list[dict[str, Any]], *, replaced: set[str]
) -> None:
    ids = [row["id"] for row in chunk]
    stale = [ident for ident in ids if ident in replaced]
    if stale:
        await conn.execute(
            sa.delete(advisory_products).where(advisory_products.c.advisory_id.in_(stale))
        )
    rows = [product for ident in ids for product in prepared.products[ident]]
    for start in range(0, len(rows), CHUNK * 4):
        await conn.execute(sa.insert(advisory_products), rows[start : start + CHUNK * 4])


async def import_kev(
    conn: AsyncConnection,
    document: Any,
    now: datetime,
    *,
    aliases: Aliases | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """The KEV catalogue (its parsed JSON) into `kev_entries`, in the caller's transaction."""
    prepared = prepare_kev(document, aliases=aliases)
    return await store(conn, prepared, now=now, actor=actor, progress=progress)


async def import_csaf(
    conn: AsyncConnection,
    documents: Iterable[Document | Mapping[str, Any]],
    now: datetime,
    *,
    aliases: Aliases | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """CSAF advisories (parsed JSON, or `Document`s from `documents.read_documents`) into
    `advisories` and `advisory_products`, in the caller's transaction."""
    prepared = prepare_csaf(documents, aliases=aliases)
    return await store(conn, prepared, now=now, actor=actor, progress=progress)
