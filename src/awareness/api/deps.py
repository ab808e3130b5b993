"""FastAPI dependencies: the parts of the app a route needs, and the caller's principal. 401, 403,
the per-key rate limit and the per-address throttle of failed authentications are decided here,
for HTTP and for the feed alike."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from awareness.api.components import Components
from awareness.auth.keys import KEY_SHAPE, well_formed
from awareness.auth.principal import Principal, Role
from awareness.db.engine import Database
from awareness.errors import Forbidden, RateLimited, Unauthenticated
from awareness.ingest.submit import Ingest
from awareness.settings import Settings


def components_of(connection: HTTPConnection) -> Components:
    components: Components = connection.app.state.components
    return components


# async, so FastAPI calls them in the event loop instead of a worker thread.
async def _components(request: Request) -> Components:
    return components_of(request)


async def _database(request: Request) -> Database:
    return components_of(request).database


async def _settings(request: Request) -> Settings:
    return components_of(request).settings


async def _ingest(request: Request) -> Ingest:
    return components_of(request).ingest


ComponentsDep = Annotated[Components, Depends(_components)]
DatabaseDep = Annotated[Database, Depends(_database)]
SettingsDep = Annotated[Settings, Depends(_settings)]
IngestDep = Annotated[Ingest, Depends(_ingest)]


def _address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def refuse(components: Components, connection: HTTPConnection, message: str) -> Unauthenticated:
    """A failed authentication, counted against the caller's address and tallied for the audit
    trail in memory (written once per address per window, never per refusal)."""
    address = _address(connection)
    components.failures.retry_after(address)
    components.refusals.note(address, at=components.clock.now(), reason=message)
    return Unauthenticated(message)


async def admit(
    components: Components,
    connection: HTTPConnection,
    key: str | None = None,
    *,
    key_id: int | None = None,
) -> Principal:
    """The principal of a presented key (or of a key id a feed ticket stood for), within its
    rate limit; else 401 or 429. An address that failed too often is refused before its key is
    looked at, and a key that cannot be one is refused without a database look-up."""
    wait = components.failures.waiting(_address(connection))
    if wait is not None:
        raise RateLimited(
            "too many failed authentications from this address; retry later", retry_after=wait
        )
    if key is not None:
        if not well_formed(key):
            raise refuse(components, connection, f"malformed API key: keys are {KEY_SHAPE}")
        principal = await components.keys.resolve(key)
    elif key_id is not None:
        principal = await components.keys.resolve_id(key_id)
    else:
        principal = None
    if principal is None:
        raise refuse(components, connection, "unknown or revoked API key")
    wait = components.limiter.retry_after(principal.key_id)
    if wait is not None:
        raise RateLimited("too many requests for this API key; slow down", retry_after=wait)
    return principal


def bearer_key(connection: HTTPConnection) -> str | None:
    """The key of `Authorization: Bearer KEY`, or of `Basic` with the key as the password (and
    any user name): OpenCTI and MISP fetch TAXII collections and feeds with Basic."""
    scheme, _, key = connection.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() == "basic" and key:
        try:
            key = base64.b64decode(key, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return key or None
    return key if scheme.lower() == "bearer" and key else None


async def authenticate(request: Request) -> Principal:
    key = bearer_key(request)
    if key is None:
        # A refused authentication for the audit trail, not a failure that throttles the
        # address: clients that ask once without credentials (a 401 then Basic) are normal.
        components_of(request).refusals.note(
            _address(request), at=components_of(request).clock.now(), reason="no API key"
        )
        raise Unauthenticated(
            "send your API key as 'Authorization: Bearer <key>' (or as the password of Basic)"
        )
    principal = await admit(components_of(request), request, key)
    request.state.key_id = principal.key_id
    return principal


def allow(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    names = ", ".join(role.value for role in roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"the {principal.role.value} role may not do this (allowed: {names})")
        return principal

    return check


Operator = Annotated[Principal, Depends(allow(Role.operator))]
ReportReader = Annotated[Principal, Depends(allow(Role.operator, Role.supervisor, Role.admin))]
Responder = Annotated[Principal, Depends(allow(Role.supervisor, Role.responder, Role.admin))]
Anyone = Annotated[
    Principal, Depends(allow(Role.operator, Role.supervisor, Role.responder, Role.admin))
]
Admin = Annotated[Principal, Depends(allow(Role.admin))]
