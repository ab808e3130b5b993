"""FastAPI dependencies that authenticate the caller and check the role. Routers declare
`Annotated[Principal, Depends(allow(...))]` and never look at headers themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from awareness.auth.principal import Principal, Role
from awareness.errors import Forbidden, RateLimited, Unauthenticated
from awareness.services import Services


async def get_services(request: Request) -> Services:
    # async, so FastAPI calls it in the event loop instead of a worker thread.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def authenticate(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
    principal = await services.keys.resolve(key.strip())
    if principal is None:
        raise Unauthenticated("unknown or revoked API key")
    request.state.key_id = principal.key_id
    wait = services.limiter.retry_after(principal.key_id)
    if wait is not None:
        raise RateLimited("too many requests for this API key; slow down", retry_after=wait)
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
Admin = Annotated[Principal, Depends(allow(Role.admin))]
