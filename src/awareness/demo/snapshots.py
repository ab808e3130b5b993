"""The KEV catalogue and CISA ICS advisories shipped in `data/` (see its README for sources and
licences), and their import into the demo's database."""

from __future__ import annotations

import asyncio
from datetime import datetime
from importlib import resources

from awareness.db.engine import Database
from awareness.feeds import importer
from awareness.feeds.documents import Document, split_documents
from awareness.scoring.advisories import Aliases

KEV = "known_exploited_vulnerabilities.json.gz"
CSAF = ("cisa_csaf_ot_2023.jsonl.gz", "cisa_csaf_ot_2024.jsonl.gz")


def snapshot_bytes(name: str) -> bytes:
    """One shipped file, as stored (gzip)."""
    return resources.files("awareness.demo").joinpath("data", name).read_bytes()


def kev_document() -> object:
    (document,) = split_documents(snapshot_bytes(KEV), KEV, lines=False)
    return document.content


def csaf_documents() -> list[Document]:
    return [doc for name in CSAF for doc in split_documents(snapshot_bytes(name), name)]


def _prepare(aliases: Aliases) -> tuple[importer.Prepared, importer.Prepared]:
    kev = importer.prepare_kev(kev_document(), aliases=aliases)
    return kev, importer.prepare_csaf(csaf_documents(), aliases=aliases)


async def import_snapshots(
    database: Database, *, now: datetime, aliases: Aliases
) -> list[importer.ImportReport]:
    """Both snapshots, parsed off the event loop, each stored in one transaction."""
    reports = []
    for prepared in await asyncio.to_thread(_prepare, aliases):
        async with database.write() as conn:
            reports.append(await importer.store(conn, prepared, now=now, actor="demo"))
    return reports
