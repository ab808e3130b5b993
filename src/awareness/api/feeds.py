"""Feed imports over HTTP, for admins: CISA's KEV catalogue and CSAF 2.0 advisories, answered
with what was new, updated, unchanged and refused. The body is read only after the caller is
known to be an admin, and parsed off the event loop: a year of advisories is megabytes."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from awareness.api.components import Components
from awareness.api.deps import Admin, ComponentsDep
from awareness.auth.principal import Principal
from awareness.errors import InvalidRequest, UnsupportedMediaType
from awareness.feeds import importer
from awareness.feeds.documents import Document, split_documents

router = APIRouter(prefix="/v1/feeds", tags=["feeds"])
JSON = "application/json"
# JSON lines under the names clients send them as.
JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


class Refused(BaseModel):
    id: str
    reason: str


class ImportOut(BaseModel):
    """What the import did; refused entries did not stop the others."""

    feed: Literal["kev", "csaf"]
    new: int
    updated: int
    unchanged: int
    refused: list[Refused]


def _media(request: Request, accepted: tuple[str, ...]) -> str:
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in accepted:
        shown = f"is {media!r}" if media else "is missing"
        raise UnsupportedMediaType(
            f"Content-Type {shown}: send the body as {' or '.join(accepted)}"
        )
    return media


def _readable(documents: list[Document]) -> list[Document]:
    """The body's documents; 400 when the body as a whole is not JSON (or JSON lines)."""
    if len(documents) == 1 and documents[0].problem is not None:
        raise InvalidRequest(f"the body is {documents[0].problem}")
    return documents


async def _kev(request: Request, components: ComponentsDep) -> importer.Prepared:
    _media(request, (JSON,))
    raw = await request.body()
    aliases = components.settings.vendors.aliases

    def prepare() -> importer.Prepared:
        (document,) = _readable(list(split_documents(raw, "body", lines=False)))
        return importer.prepare_kev(document.content, aliases=aliases)

    return await asyncio.to_thread(prepare)


async def _csaf(request: Request, components: ComponentsDep) -> importer.Prepared:
    # JSON: one document or an array of them (JSON lines sent as JSON are read as such too).
    lines = True if _media(request, (JSON, *JSON_LINES)) != JSON else None
    raw = await request.body()
    aliases = components.settings.vendors.aliases

    def prepare() -> importer.Prepared:
        documents = _readable(list(split_documents(raw, "body", lines=lines)))
        return importer.prepare_csaf(documents, aliases=aliases)

    return await asyncio.to_thread(prepare)


async def _store(
    prepared: importer.Prepared, principal: Principal, components: Components
) -> dict[str, Any]:
    """One transaction; then the matcher is woken to match every asset against what changed."""
    async with components.database.write() as conn:
        report = await importer.store(
            conn, prepared, now=components.clock.now(), actor=principal.actor
        )
    if report.changed:
        components.signals.reports_committed()
    return report.counts()


def _documented(schema: dict[str, Any], example: Any, description: str) -> dict[str, Any]:
    content = {JSON: {"schema": schema, "example": example}}
    return {"requestBody": {"required": True, "description": description, "content": content}}


_KEV_EXAMPLE = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2025.08.25",
    "dateReleased": "2025-08-25T17:04:19.9796Z",
    "count": 1,
    "vulnerabilities": [
        {
            "cveID": "CVE-2021-22681",
            "vendorProject": "Rockwell Automation",
            "product": "Logix Controllers",
            "vulnerabilityName": "Rockwell Automation Logix Controllers Authentication Bypass",
            "dateAdded": "2025-08-25",
            "shortDescription": "Logix controllers may allow an attacker to bypass verification.",
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": "2025-09-15",
            "knownRansomwareCampaignUse": "Unknown",
            "notes": "https://www.cisa.gov/news-events/ics-advisories/icsa-21-056-03",
            "cwes": ["CWE-522"],
        }
    ],
}
_KEV_SCHEMA = {
    "type": "object",
    "required": ["vulnerabilities"],
    "properties": {"vulnerabilities": {"type": "array", "items": {"type": "object"}}},
}
# ICSA-24-081-01 (CISA, public domain), trimmed to what matching reads.
_CSAF_EXAMPLE = {
    "document": {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "distribution": {
            "text": "Disclosure is not limited",
            "tlp": {"label": "WHITE", "url": "https://us-cert.cisa.gov/tlp/"},
        },
        "lang": "en-US",
        "notes": [
            {
                "category": "legal_disclaimer",
                "text": "All information products included in "
                'https://us-cert.cisa.gov/ics are provided "as is" for '
                "informational purposes only. The Department of Homeland "
                "Security (DHS) does not provide any warranties of any kind "
                "regarding any information contained within. DHS does not "
                "endorse any commercial product or service, referenced in "
                "this product or otherwise. Further dissemination of this "
                "product is governed by the Traffic Light Protocol (TLP) "
                "marking in the header. For more information about TLP, see "
                "https://us-cert.cisa.gov/tlp/.",
                "title": "Legal Notice",
            }
        ],
        "publisher": {
            "category": "coordinator",
            "contact_details": "central@cisa.dhs.gov",
            "name": "CISA",
            "namespace": "https://www.cisa.gov/",
        },
        "references": [
            {
                "category": "self",
                "summary": "ICS Advisory ICSA-24-081-01 JSON",
                "url": "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/2024/icsa-24-081-01.json",
            }
        ],
        "title": "Advantech WebAccess/SCADA",
        "tracking": {
            "current_release_date": "2024-03-21T06:00:00.000000Z",
            "id": "ICSA-24-081-01",
            "initial_release_date": "2024-03-21T06:00:00.000000Z",
            "revision_history": [
                {
                    "date": "2024-03-21T06:00:00.000000Z",
                    "legacy_version": "Initial",
                    "number": "1",
                    "summary": "Initial Publication",
                }
            ],
            "status": "final",
            "version": "1",
        },
    },
    "product_tree": {
        "branches": [
            {
                "branches": [
                    {
                        "branches": [
                            {
                                "category": "product_version",
                                "name": "9.1.5U",
                                "product": {
                                    "name": "Advantech WebAccess/SCADA: 9.1.5U",
                                    "product_id": "CSAFPID-0001",
                                },
                            }
                        ],
                        "category": "product_name",
                        "name": "WebAccess/SCADA",
                    }
                ],
                "category": "vendor",
                "name": "Advantech",
            }
        ]
    },
    "vulnerabilities": [
        {
            "cve": "CVE-2024-2453",
            "notes": [
                {
                    "category": "summary",
                    "text": "There is a SQL Injection vulnerability in "
                    "Advantech's WebAccess/SCDA software that allows an "
                    "authenticated attacker to remotely inject SQL code "
                    "on the database. Successful exploitation of this "
                    "vulnerability could allow an attacker to read or "
                    "modify data on the remote database.",
                    "title": "Vulnerability Summary",
                }
            ],
            "product_status": {"known_affected": ["CSAFPID-0001"]},
            "remediations": [
                {
                    "category": "vendor_fix",
                    "details": "Advantech recomends updating "
                    "WebAccess/SCADA to version 9.1.6 or "
                    "higher to mitigate this vulnerability.",
                    "product_ids": ["CSAFPID-0001"],
                }
            ],
            "scores": [
                {
                    "cvss_v3": {
                        "baseScore": 6.4,
                        "baseSeverity": "MEDIUM",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
                        "version": "3.1",
                    },
                    "products": ["CSAFPID-0001"],
                }
            ],
        }
    ],
}
_CSAF_DOCUMENT = {
    "type": "object",
    "required": ["document"],
    "properties": {"document": {"type": "object"}},
}
_CSAF_SCHEMA = {"oneOf": [_CSAF_DOCUMENT, {"type": "array", "items": _CSAF_DOCUMENT}]}


@router.post(
    "/kev",
    response_model=ImportOut,
    openapi_extra=_documented(
        _KEV_SCHEMA,
        _KEV_EXAMPLE,
        "CISA's KEV catalogue as published (`known_exploited_vulnerabilities.json`).",
    ),
)
async def import_kev(
    principal: Admin,
    components: ComponentsDep,
    prepared: Annotated[importer.Prepared, Depends(_kev)],
) -> dict[str, Any]:
    """Import CISA's Known Exploited Vulnerabilities catalogue: entries upserted by CVE. An
    entry that cannot be read is refused, with its reason, and the others imported; a body
    that is not a KEV catalogue is 422 and changes nothing."""
    return await _store(prepared, principal, components)


@router.post(
    "/csaf",
    response_model=ImportOut,
    openapi_extra=_documented(
        _CSAF_SCHEMA,
        _CSAF_EXAMPLE,
        "One CSAF 2.0 document or a JSON array of them as `application/json`; or JSON lines, "
        "one document per line, as `application/x-ndjson`.",
    ),
)
async def import_csaf(
    principal: Admin,
    components: ComponentsDep,
    prepared: Annotated[importer.Prepared, Depends(_csaf)],
) -> dict[str, Any]:
    """Import CSAF 2.0 advisories (CISA's ICS advisories): upserted by tracking id, with the
    products they name. A document that cannot be read is refused, with its reason, and the
    others imported; a body of which no document is a CSAF advisory is 422 and changes
    nothing. Bodies up to `limits.max_batch_body_bytes`."""
    return await _store(prepared, principal, components)
