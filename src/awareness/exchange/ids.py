"""Stable identifiers: the same collection, object or event keeps its id across restarts,
replicas and re-reads, so peers that pull again recognize what they already hold."""

from __future__ import annotations

import uuid

# The service's namespace for name-based (version 5) UUIDs.
NAMESPACE = uuid.UUID("6f1d1b1e-3c1a-5d8e-9c59-7a0e0a3b2f11")

API_ROOT = "api"
MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


def name_uuid(*parts: str) -> str:
    """A UUID named by `parts`: the same parts, the same id."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def collection_id(name: str) -> str:
    """A read collection's id (`warnings`, `campaigns`, `sightings`, `incidents`, `exposure`)."""
    return name_uuid("collection", name)


def inbox_id(org_id: str) -> str:
    """The writable collection of one operator organization."""
    return name_uuid("inbox", org_id)


def stix_id(kind: str, *parts: str) -> str:
    """A STIX identifier named by what it stands for (`indicator`, "ipv4", "192.0.2.1")."""
    return f"{kind}--{name_uuid(kind, *parts)}"
